"""The pregnancy test before each dose of a regimen whose label asks for one (its file's
`pregnancy_test`, with the source: Lutathera; not Pluvicto, whose label treats men): an event
the engine adds to the doses of a patient who can become pregnant, or whose status is not known
(`Patient.pregnancy`). Patients' calendars show it only to a patient known to need it: an
unknown status is a question for the care team (`pregnancy-test-missing` says to ask).

Lutathera's US label asks to verify the pregnancy status of females of reproductive potential
before starting; the EU text asks for pregnancy to be excluded with a validated test (domain.md
3b). prrt asks for a test before each dose, not only the first: a course runs over months, and
a test from an earlier dose says nothing of the next one. A test counts for a dose when it is
taken within the site's `pregnancy_test_days` (7 by default) before it, up to the day itself.
"""

from __future__ import annotations

from functools import lru_cache

from schedule.domain.course import Patient
from schedule.domain.model import Kind
from schedule.domain.regimen import Regimen, Related
from schedule.domain.settings import Settings

SERIES = "pregnancy-test"
SETTING = "site setting pregnancy_test_days"
TITLE = "Pregnancy test before dose {n}"
DESCRIPTION = (
    "A pregnancy test for a patient who can become pregnant, or whose status is not known (ask, "
    "then record the answer as the patient's pregnancy, yes or no). The dose is not given "
    "during pregnancy."
)
PATIENT_TITLE = "Pregnancy test before treatment {n}"
PATIENT_DESCRIPTION = (
    "A pregnancy test in the days before the treatment, for women who could be pregnant: the "
    "treatment is not given during pregnancy. Tell the team if you cannot become pregnant."
)


def pregnancy_tests(regimen: Regimen, settings: Settings) -> tuple[Related, ...]:
    """The pregnancy test placed before each dose of a regimen that asks for one."""
    if not regimen.pregnancy_source:
        return ()
    return (_test(settings.pregnancy_test_days, regimen.pregnancy_source),)


def hidden_from(regimen: Regimen, patient: Patient) -> frozenset[str]:
    """The series a patient's own calendar and handout leave out: the staff's, and the
    pregnancy test unless the patient is known to need it."""
    if patient.pregnancy == "yes" or not regimen.pregnancy_source:
        return regimen.staff_series
    return regimen.staff_series | {SERIES}


@lru_cache(maxsize=16)
def _test(days: int, source: str) -> Related:
    return Related(
        series=SERIES,
        kind=Kind.LAB,
        title=TITLE,
        description=DESCRIPTION,
        start=-days,
        end=0,
        late_until=None,
        weekday=None,
        doses=(),
        source=source,
        patient_title=PATIENT_TITLE,
        patient_description=PATIENT_DESCRIPTION,
    )
