"""The pregnancy test before each radioligand dose: an event the engine adds to the doses of a
patient who can become pregnant, or whose status is not known (`Patient.pregnancy`).

Lutathera's US label asks to verify the pregnancy status of females of reproductive potential
before starting; the EU text asks for pregnancy to be excluded with a validated test (domain.md
3b). prrt asks for a test before each dose, not only the first: a course runs over months, and
a test from an earlier dose says nothing of the next one. A test counts for a dose when it is
taken within the site's `pregnancy_test_days` (7 by default) before it, up to the day itself.
"""

from __future__ import annotations

from functools import lru_cache

from schedule.domain.model import Kind
from schedule.domain.regimen import DoseKind, Regimen, Related
from schedule.domain.settings import Settings

SERIES = "pregnancy-test"
SOURCE = (
    "domain.md 3b, pregnancy (radioligands); Lutathera US PI: verify the pregnancy status of "
    "females of reproductive potential before starting; EU: exclude pregnancy with a validated test"
)
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
    """The pregnancy test placed before each dose of a radioligand regimen; none for others."""
    if regimen.dose.kind is not DoseKind.RADIOLIGAND:
        return ()
    return (_test(settings.pregnancy_test_days),)


@lru_cache(maxsize=16)
def _test(days: int) -> Related:
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
        source=SOURCE,
        patient_title=PATIENT_TITLE,
        patient_description=PATIENT_DESCRIPTION,
    )
