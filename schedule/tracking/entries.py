"""Entries corrected rather than facts recorded: a course's start changed while nothing of it
is recorded (a mistyped year found before the first dose), and a patient or a course marked
entered in error (hidden from every list, worklist and feed, kept in the audit trail) or
reinstated. What `history` shows on each row reaches them: a record's number, `C2` for course 2
itself, `P` for the patient (`parse_reference`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from schedule.domain.course import Actor, Course, effective
from schedule.domain.errors import ConflictError, Hint, InputError, UnknownError
from schedule.domain.model import RecordType
from schedule.store import entries
from schedule.store.transaction import Tx
from schedule.tracking.patients import check_appointments
from schedule.tracking.rules import check_reason
from schedule.tracking.starts import check_start
from schedule.tracking.tracker import Tracker, choose_course

_REFERENCE = re.compile(r"(?:(\d{1,9})|[cC](\d{1,9})|([pP]))", re.ASCII)


@dataclass(frozen=True)
class Reference:
    """What a row of `history` names: a record (`record`), a course (`course`, its number)
    or, with neither, the patient."""

    record: int | None = None
    course: int | None = None


def parse_reference(text: str) -> Reference:
    """A record's number, `C` and a course number, or `P` for the patient (any case).

    >>> parse_reference("89").record, parse_reference("c2").course, parse_reference("P")
    (89, 2, Reference(record=None, course=None))
    """
    match = _REFERENCE.fullmatch(text.strip())
    record, course, _ = match.groups() if match else ("0", None, None)
    if (record is not None and int(record) < 1) or (course is not None and int(course) < 1):
        raise InputError(
            f"{text!r} is not a record: give a record's number, C and a course's number "
            "(C2), or P for the patient, as the history shows them",
            field="record",
        )
    return Reference(int(record) if record else None, int(course) if course else None)


def change_start(
    tracker: Tracker,
    patient_id: str,
    start: date,
    actor: Actor,
    today: date,
    course_number: int | None = None,
    past_start: bool = False,
) -> tuple[Course, date]:
    """Move a course's start while nothing of it is recorded (audited; the calendars'
    memory raises the SEQUENCE of what moves); the course as changed and its old start. A
    start more than `past_start_days` before today is refused unless `past_start`."""
    check_start(start, today, tracker.settings, past_start)
    with tracker.store.write() as tx:
        patient = tx.require_patient(patient_id)
        tx.lock_patient(patient.id)
        views = tracker.patient_views(tx, patient.id, today)
        course = choose_course(patient.id, views, course_number).course
        standing = effective(tx.records([course.id]).get(course.id, []))
        if standing:
            listed = ", ".join(str(r.id) for r in standing[:5])
            raise ConflictError(
                f"course {course.number} of {patient.id} has {len(standing)} record(s) that "
                f"stand (record {listed}); its start changes only while nothing of it is "
                "recorded",
                field="start",
                hint=Hint.HISTORY,
                patient=patient.id,
            )
        changed = replace(course, start=start)
        check_appointments(tracker.catalog, tracker.settings, patient, [changed])
        if start != course.start:
            entries.change_start(tx, course, start, actor)
    return changed, course.start


def mark_in_error(
    tracker: Tracker, patient_id: str, course_number: int | None, reason: str, actor: Actor
) -> str:
    """Mark the patient (`course_number` None) or one of its courses entered in error; its
    stored ID."""
    reason = check_reason(RecordType.ENTERED_IN_ERROR, reason)
    with tracker.store.write() as tx:
        patient = tx.require_patient(patient_id)
        tx.lock_patient(patient.id)
        course = None if course_number is None else _course(tx, patient.id, course_number, True)
        entries.set_in_error(tx, patient.id, course, reason, actor, reason)
    return patient.id


def reinstate(
    tracker: Tracker, patient_id: str, course_number: int | None, reason: str, actor: Actor
) -> str:
    """Put back a patient or a course entered in error (`reason`: why); its stored ID."""
    reason = check_reason(RecordType.ENTERED_IN_ERROR, reason)
    with tracker.store.write() as tx:
        patient = tx.require_patient(patient_id, hidden=True)
        tx.lock_patient(patient.id)
        if course_number is None:
            if tx.in_error(patient.id) is None:
                raise ConflictError(f"patient {patient.id} is not entered in error")
            entries.set_in_error(tx, patient.id, None, None, actor, reason)
        else:
            tx.refuse_in_error(patient.id)  # the patient comes back first
            course = _course(tx, patient.id, course_number, False)
            entries.set_in_error(tx, patient.id, course, None, actor, reason)
    return patient.id


def _course(tx: Tx, patient_id: str, number: int, standing: bool) -> Course:
    """Course `number` of the patient: one that stands (`standing`), else one entered in
    error; either refused, with what can be done, when it is the other kind."""
    every = {c.number: c for c in tx.courses(patient_id, hidden=True)}
    shown = {c.number for c in tx.courses(patient_id)}
    course = every.get(number)
    if course is None:
        raise UnknownError(
            f"patient {patient_id!r} has no course {number}; courses: "
            + (", ".join(map(str, sorted(every))) or "none"),
            field="course",
        )
    if standing and number not in shown:
        tx.refuse_in_error(patient_id, course)
    if not standing and number in shown:
        raise ConflictError(f"course {number} of {patient_id} is not entered in error")
    return course
