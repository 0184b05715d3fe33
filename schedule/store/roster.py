"""The roster's writes beyond adding: a patient's stored details changed, with the audit row
that keeps the old and the new values. Runs inside the caller's transaction (`Tx`)."""

from __future__ import annotations

from typing import Any

from schedule.domain.course import Actor, Patient
from schedule.store import tables
from schedule.store.transaction import Tx

# The patient's fields and the columns that hold them.
PATIENT_FIELDS = {"name": "name", "tz": "tz", "time": "appt_time", "lang": "lang"}


def changed_fields(old: Patient, new: Patient) -> dict[str, dict[str, Any]]:
    """{field: {"old": ..., "new": ...}} for each field that differs, in the fields' order."""
    return {
        field: {"old": getattr(old, field), "new": getattr(new, field)}
        for field in PATIENT_FIELDS
        if getattr(old, field) != getattr(new, field)
    }


def update_patient(tx: Tx, old: Patient, new: Patient, actor: Actor) -> dict[str, Any]:
    """Store `new` over `old` (same ID) with a `patient-edit` audit row whose detail holds the
    old and the new values of the fields changed; returns the changes (nothing is written when
    there are none)."""
    changes = changed_fields(old, new)
    if not changes:
        return changes
    values = {PATIENT_FIELDS[field]: change["new"] for field, change in changes.items()}
    p = tables.patients
    tx.writing().execute(p.update().where(p.c.id == old.id).values(**values))
    detail = {
        "old": {field: change["old"] for field, change in changes.items()},
        "new": {field: change["new"] for field, change in changes.items()},
    }
    tx.add_audit(actor, "patient-edit", old.id, detail=detail)
    return changes
