"""Changing a patient's stored details (name, time zone, appointment time, language), checked
like a new patient's and audited with the old and the new values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from schedule.domain.course import Actor, Patient
from schedule.domain.errors import InputError
from schedule.domain.patients import check_name, check_time, check_tz
from schedule.store.database import Store
from schedule.store.roster import PATIENT_FIELDS, update_patient

# The languages a patient's calendar may be written in (ISO 639-1 codes).
LANGUAGES = ("de", "en", "es", "fr", "it", "nl", "pt")


def check_lang(value: str | None) -> str | None:
    """A language code from `LANGUAGES`, or None for the site's language.

    >>> check_lang("FR")
    'fr'
    """
    if value is None or value.strip() == "":
        return None
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise InputError(f"language {value!r} is not one of {', '.join(LANGUAGES)}", field="lang")
    return code


_CHECKS = {"name": check_name, "tz": check_tz, "time": check_time, "lang": check_lang}


def checked(patient: Patient, changes: Mapping[str, str | None]) -> Patient:
    """`patient` with `changes` applied, each value checked; an empty value clears a field."""
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in PATIENT_FIELDS:
            raise InputError(f"{field!r} is not a patient's detail", field=field)
        values[field] = _CHECKS[field](value if value != "" else None)
    return replace(patient, **values)


@dataclass(frozen=True)
class PatientEdit:
    before: Patient
    after: Patient
    changes: dict[str, dict[str, Any]]  # {field: {"old": ..., "new": ...}}; empty: unchanged


def edit_patient(
    store: Store, patient_id: str, changes: Mapping[str, str | None], actor: Actor
) -> PatientEdit:
    """Change a patient's details in one transaction, under a lock on the patient."""
    with store.write() as tx:
        tx.lock_patient(patient_id)
        before = tx.require_patient(patient_id)
        after = checked(before, changes)
        done = update_patient(tx, before, after, actor)
    return PatientEdit(before, after, done)
