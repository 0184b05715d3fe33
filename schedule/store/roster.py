"""The roster's writes: many new patients at once, and a patient's stored details changed,
with the audit row that keeps the old and the new values. Runs inside the caller's
transaction (`Tx`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from schedule.domain.course import Actor, Course, Patient
from schedule.store import tables
from schedule.store.rows import patient_detail
from schedule.store.transaction import Tx

# The patient's fields and the columns that hold them.
PATIENT_FIELDS = {
    "name": "name", "tz": "tz", "time": "appt_time", "lang": "lang", "pregnancy": "pregnancy",
}  # fmt: skip


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
    tx.touch(old.id)
    p = tables.patients
    tx.writing().execute(p.update().where(p.c.id == old.id).values(**values))
    detail = {
        "old": {field: change["old"] for field, change in changes.items()},
        "new": {field: change["new"] for field, change in changes.items()},
    }
    tx.add_audit(actor, "patient-edit", old.id, detail=detail)
    return changes


def _added(
    patient: Patient, course: Course, course_id: int | None, actor: Actor
) -> list[dict[str, Any]]:
    """The audit rows of a patient added with a first course."""
    base = {"at": actor.stamp, "who": actor.who, "patient_id": patient.id, "record_id": None}
    course_detail = {"course": 1, "regimen": course.regimen, "start": course.start.isoformat()}
    return [
        {**base, "action": "patient-add", "course_id": None,
         "detail": json.dumps(patient_detail(patient), sort_keys=True)},
        {**base, "action": "course-add", "course_id": course_id,
         "detail": json.dumps(course_detail, sort_keys=True)},
    ]  # fmt: skip


def add_roster(tx: Tx, items: Sequence[tuple[Patient, Course]], actor: Actor) -> None:
    """New patients, each with a first course, in a few statements (for large rosters)."""
    if not items:
        return
    tx.touch(*(p.id for p, _ in items))
    tx.writing().execute(
        tables.patients.insert(),
        [
            {
                "id": p.id,
                "name": p.name,
                "tz": p.tz,
                "appt_time": p.time,
                "lang": p.lang,
                "pregnancy": p.pregnancy,
                "created_at": actor.stamp,
            }
            for p, _ in items
        ],
    )
    tx.writing().execute(
        tables.courses.insert(),
        [
            {
                "patient_id": c.patient_id,
                "number": 1,
                "regimen": c.regimen,
                "start": c.start,
                "interval_days": c.interval_days,
                "calendar_month": c.calendar_month,
                "precautions": c.precautions,
                "created_at": actor.stamp,
            }
            for _, c in items
        ],
    )
    query = select(tables.courses.c.patient_id, tables.courses.c.id).where(
        tables.courses.c.created_at == actor.stamp, tables.courses.c.number == 1
    )
    ids = {row.patient_id: row.id for row in tx.writing().execute(query)}
    audit_rows = [row for p, c in items for row in _added(p, c, ids.get(p.id), actor)]
    tx.writing().execute(tables.audit.insert(), audit_rows)
    tx.add_audit(actor, "import-roster", None, detail={"patients": len(items)})
