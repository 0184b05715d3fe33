"""The rules of a record, in one place: what may be recorded against a course, given its
calendar as it stands. The command line and CSV import both call `check_record`, so they refuse
the same things in the same words; each error names the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schedule.domain.course import Record
from schedule.domain.errors import ConflictError, Hint, InputError, UnknownError
from schedule.domain.model import Event, Kind, RecordType, Status
from schedule.domain.units import Quantity
from schedule.engine.views import CourseView

COURSE_LEVEL = (RecordType.HOLD, RecordType.RESUME, RecordType.DISCONTINUED)
NEEDS_REASON = (
    RecordType.SKIPPED,
    RecordType.RESCHEDULED,
    RecordType.HOLD,
    RecordType.DISCONTINUED,
    RecordType.ENTERED_IN_ERROR,
)
_VERBS = {RecordType.GIVEN: "record", RecordType.SKIPPED: "skip"}
_DONE = (Status.GIVEN, Status.SKIPPED)


@dataclass(frozen=True)
class Proposal:
    """A record someone wants to add: what it says, about which event, on which day."""

    type: RecordType
    event: str | None
    day: date
    dose: str | None = None
    note: str = ""


def check_record(view: CourseView, proposal: Proposal, today: date) -> Record:
    """The record to store for `proposal` on the course of `view`, or the error that refuses
    it (nothing is stored either way)."""
    note = check_reason(proposal.type, proposal.note)
    check_open(view)
    kind, day = proposal.type, proposal.day
    if kind in COURSE_LEVEL:
        check_not_future(day, today)
        check_course_level(view, proposal)
        return Record(0, view.course.id, kind, day, None, None, note)
    if not proposal.event:
        raise InputError("no event is named; name one such as prrt-2", field="event")
    event = pending_event(view, proposal.event, _VERBS.get(kind, "reschedule"))
    if kind is not RecordType.RESCHEDULED:
        check_not_future(day, today)
    quantity = None
    if kind is RecordType.GIVEN:
        check_day(view, event, day)
        quantity = check_dose(event, proposal.dose)
    elif proposal.dose:
        raise InputError(f"a {kind.value} record takes no dose", field="dose")
    if kind is RecordType.RESCHEDULED:
        earliest = min(view.course.start, event.window_start)
        if day < earliest:
            raise InputError(
                f"date {day} is before {event.key} can happen ({earliest}, the course start or "
                "its window)",
                field="date",
            )
    dose_text = str(quantity) if quantity else None
    return Record(0, view.course.id, kind, day, event.key, dose_text, note)


def check_not_future(day: date, today: date) -> None:
    if day > today:
        raise InputError(
            f"date {day} is in the future; record what was done, up to {today}", field="date"
        )


def check_open(view: CourseView) -> None:
    """Nothing more is recorded on a discontinued course."""
    stopped = view.discontinued
    if stopped is not None:
        pid = view.patient.id
        raise ConflictError(
            f"{pid}'s course {view.course.number} ({view.course.regimen}) was "
            f"discontinued on {stopped}",
            field="patient_id",
            hint=Hint.NEW_COURSE_ENDED,
            patient=pid,
        )


def check_reason(kind: RecordType, reason: str) -> str:
    """Skips, reschedules, holds, discontinuations and corrections say why."""
    reason = (reason or "").strip()
    if kind in NEEDS_REASON and not reason:
        raise InputError("a reason is required", field="note", hint=Hint.GIVE_REASON)
    return reason


def check_course_level(view: CourseView, proposal: Proposal) -> None:
    pid, kind = view.patient.id, proposal.type
    if proposal.event:
        raise InputError(f"a {kind.value} record names no event", field="event")
    if kind is RecordType.HOLD and view.on_hold:
        raise ConflictError(
            f"{pid}'s course is already on hold", field="type", hint=Hint.RESUME, patient=pid
        )
    if kind is RecordType.RESUME and not view.on_hold:
        raise ConflictError(f"{pid}'s course is not on hold", field="type")


def pending_event(view: CourseView, key: str, verb: str) -> Event:
    """The event `key` of the course, if something can still be recorded for it."""
    event = view.event(key)
    pid = view.patient.id
    if event is None:
        raise UnknownError(
            f"{pid} has no event {key!r} in course {view.course.number} ({view.course.regimen})",
            field="event",
            hint=Hint.SHOW_EVENTS,
            patient=pid,
        )
    if not event.kind.recordable:
        raise InputError(
            f"{key} is a {event.kind.value}: there is nothing to {verb}", field="event"
        )
    if event.status in _DONE:
        done = next(
            r
            for r in reversed(view.standing)
            if r.event == key and r.type in (RecordType.GIVEN, RecordType.SKIPPED)
        )
        raise ConflictError(
            f"{key} of {pid} is already recorded as {done.type.value} on {done.day} "
            f"(record {done.id})",
            field="event",
            hint=Hint.CORRECT_RECORD,
            patient=pid,
            record=done.id,
        )
    return event


def check_day(view: CourseView, event: Event, day: date) -> None:
    """Labs may come before the first dose; doses never before the course starts."""
    earliest = view.course.start
    if event.kind is not Kind.DOSE:
        earliest = min(earliest, event.window_start)
    if day < earliest:
        raise InputError(
            f"date {day} is before the course start ({view.course.start})"
            if earliest == view.course.start
            else f"date {day} is before {event.key}'s window opens ({earliest})",
            field="date",
        )


def check_dose(event: Event, dose: str | None) -> Quantity | None:
    if dose is None or dose == "":
        return None
    try:
        quantity = Quantity.parse(dose)
    except InputError as exc:
        raise InputError(exc.message, field="dose") from None
    if event.kind is not Kind.DOSE or event.dose is None:
        raise InputError(f"{event.key} is a {event.kind.value}: it takes no dose", field="dose")
    planned = Quantity.parse(event.dose)
    if not quantity.comparable(planned):
        unit = "GBq, MBq or mCi" if planned.dimension == "activity" else "mg"
        raise InputError(f"dose {dose!r} does not fit {event.key}; give it in {unit}", field="dose")
    return quantity
