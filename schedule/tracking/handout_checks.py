"""What the coordinator should know before handing a patient their schedule: a step the handout
lists to do before a visit still to come (a washout, blood tests) whose last day has already
passed with nothing recorded, so the patient cannot do it as printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from schedule.domain.model import Kind, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import course_views

if TYPE_CHECKING:
    from schedule.store.database import Store

_GONE = (Status.SKIPPED, Status.CANCELLED)


@dataclass(frozen=True)
class PassedStep:
    """A step before a dose still to come whose last day is before the handout's day."""

    step: str  # its event key (ssa-washout-1)
    dose: str  # the dose it prepares (prrt-1)
    last: date  # its last day


def passed_steps(
    store: Store, catalog: Catalog, settings: Settings, patient_id: str, as_of: date
) -> list[PassedStep]:
    """The patient's steps to do before a dose still to come (as the handout lists them under
    the dose), not done, whose last day is before `as_of`."""
    with store.read() as tx:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient_id)
        records = tx.records([c.id for c in courses])
    found = []
    for view in course_views(catalog, settings, patient, courses, records, as_of):
        regimen = view.regimen
        prep = {r.series for r in regimen.related if r.series not in regimen.staff_series}
        events = [e for e in view.events if e.status not in _GONE]
        for dose in events:
            if dose.series != regimen.dose.series or dose.given_on is not None:
                continue
            found += [
                PassedStep(other.key, dose.key, other.end)
                for other in events
                if other.series in prep
                and other.number == dose.number
                and other.kind is not Kind.DOSE
                and other.date <= dose.date
                and other.given_on is None
                and other.end < as_of
            ]
    return found
