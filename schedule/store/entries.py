"""The writes that correct an entry rather than record a fact: a course's start changed, and a
patient or a course marked entered in error or reinstated. Each is audited in the caller's
transaction, and touches the patient first, so that the calendars' memory (`Tx.touch`) sees
the change and raises the SEQUENCE of every event it moves."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from schedule.domain.course import Actor, Course
from schedule.store import tables
from schedule.store.transaction import Tx


def change_start(tx: Tx, course: Course, start: date, actor: Actor) -> None:
    """Store a new start of `course` (nothing of it is recorded: the caller checked)."""
    tx.touch(course.patient_id)
    c = tables.courses.c
    tx.writing().execute(tables.courses.update().where(c.id == course.id).values(start=start))
    old = course.start.isoformat()
    detail = {
        "course": course.number,
        "old": old,
        "start": start.isoformat(),
        "note": f"start: {old} -> {start.isoformat()}",
    }
    tx.add_audit(actor, "course-start", course.patient_id, course.id, detail=detail)


def set_in_error(
    tx: Tx, patient_id: str, course: Course | None, reason: str | None, actor: Actor, note: str
) -> None:
    """Mark the patient (`course` None) or one of its courses entered in error (`reason`), or
    reinstate it (`reason` None); the audit row keeps `note` (the reason, or why it is
    reinstated): `patient-entered-in-error`, `course-reinstated` and so on."""
    tx.touch(patient_id)
    if course is None:
        table, key = tables.patients, tables.patients.c.id == patient_id
    else:
        table, key = tables.courses, tables.courses.c.id == course.id
    tx.writing().execute(table.update().where(key).values(in_error=reason))
    what = "patient" if course is None else "course"
    action = f"{what}-{'entered-in-error' if reason is not None else 'reinstated'}"
    detail: dict[str, object] = {"note": note}
    if course is not None:
        detail["course"] = course.number
    tx.add_audit(actor, action, patient_id, None if course is None else course.id, detail=detail)


def courses_in_error(tx: Tx) -> dict[int, str]:
    """The reason of every course entered in error, by course id (a patient's own mark is
    not a course's)."""
    c = tables.courses.c
    rows = tx.conn.execute(select(c.id, c.in_error).where(c.in_error.is_not(None)))
    return {row.id: row.in_error for row in rows}
