"""Changing a patient's stored details (name, time zone, appointment time, language), checked
like a new patient's and audited with the old and the new values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from schedule.domain.course import Actor, Course, Patient
from schedule.domain.errors import InputError
from schedule.domain.localtime import check_days
from schedule.domain.patients import check_name, check_pregnancy, check_time, check_tz
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.calendar import build_calendar
from schedule.i18n import check_language
from schedule.store.database import Store
from schedule.store.roster import PATIENT_FIELDS, update_patient


def check_lang(value: str | None) -> str | None:
    """A language code from `schedule.i18n.LANGUAGES` (those with catalogues), or None for the
    site's language.

    >>> check_lang("FR")
    'fr'
    """
    return check_language(value)


_CHECKS = {
    "name": check_name, "tz": check_tz, "time": check_time, "lang": check_lang,
    "pregnancy": check_pregnancy,
}  # fmt: skip


def checked(patient: Patient, changes: Mapping[str, str | None]) -> Patient:
    """`patient` with `changes` applied, each value checked; an empty value clears a field."""
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in PATIENT_FIELDS:
            raise InputError(f"{field!r} is not a patient's detail", field=field)
        values[field] = _CHECKS[field](value if value != "" else None)
    return replace(patient, **values)


def check_appointments(
    catalog: Catalog, settings: Settings, patient: Patient, courses: Iterable[Course]
) -> None:
    """A patient's appointment time must exist on every planned dose day of the courses (a
    time the clocks skip that night is refused, naming the day; a repeated one is fine)."""
    if not (patient.time and patient.tz):
        return
    at, zone = time.fromisoformat(patient.time), ZoneInfo(patient.tz)
    for course in courses:
        regimen = catalog.get(course.regimen)
        plan = build_calendar(regimen, course.start, options=course.options, settings=settings)
        check_days([e.date for e in plan if e.series == regimen.dose.series], at, zone)


@dataclass(frozen=True)
class PatientEdit:
    before: Patient
    after: Patient
    changes: dict[str, dict[str, Any]]  # {field: {"old": ..., "new": ...}}; empty: unchanged


def edit_patient(
    store: Store,
    patient_id: str,
    changes: Mapping[str, str | None],
    actor: Actor,
    catalog: Catalog | None = None,
    settings: Settings | None = None,
) -> PatientEdit:
    """Change a patient's details in one transaction, under a lock on the patient. With the
    catalog, a new appointment time is checked against the courses' dose days."""
    with store.write() as tx:
        patient_id = tx.require_patient(patient_id).id
        tx.lock_patient(patient_id)
        before = tx.require_patient(patient_id)
        after = checked(before, changes)
        if catalog is not None:
            check_appointments(catalog, settings or Settings(), after, tx.courses(patient_id))
        done = update_patient(tx, before, after, actor)
    return PatientEdit(before, after, done)
