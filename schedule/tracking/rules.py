"""The rules of a record, in one place: what may be recorded against a course, given its
calendar as it stands. The command line and CSV import both call `check_record`, so they refuse
the same things in the same words; each error names the field it is about.

The guards that could hurt a patient live in `guards.py`. A guard a clinician may have a reason
to pass is overridable: with an override (the reason) the record goes through, carrying the
reason into the audit trail and the flag `override` onto its event. An override where no guard
refused is itself refused, so the flag always means something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schedule.domain.closures import Closures
from schedule.domain.course import Record
from schedule.domain.errors import ConflictError, GuardError, Hint, InputError, UnknownError
from schedule.domain.model import Event, Kind, RecordType, Status
from schedule.domain.patients import check_note
from schedule.domain.settings import Settings
from schedule.domain.suggest import did_you_mean
from schedule.domain.toxicity import Toxicity, check_cause
from schedule.domain.units import Quantity
from schedule.engine.views import CourseView
from schedule.tracking.days_allowed import (
    check_day,
    check_in_course,
    check_new_target,
    check_not_future,
)
from schedule.tracking.guards import (
    amount_guard,
    closed_guard,
    companion_guard,
    companion_move,
    order_guard,
    resume_guard,
    spacing_guard,
    window_guard,
)

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
    """A record someone wants to add: what it says, about which event, on which day; a
    clinician's reason to pass a guard (`override`); a hold's review day; whether a
    discontinuation also ends the after-course care."""

    type: RecordType
    event: str | None
    day: date
    dose: str | None = None
    note: str = ""
    override: str | None = None
    review: date | None = None
    end_care: bool = False
    toxicity: Toxicity | None = None  # a hold's adverse reaction (OTHER: not a toxicity)
    grade: int | None = None  # its CTCAE grade


def check_record(
    view: CourseView,
    proposal: Proposal,
    today: date,
    settings: Settings | None = None,
    closures: Closures | None = None,
) -> Record:
    """The record to store for `proposal` on the course of `view`, or the error that refuses
    it (nothing is stored either way). `closures`: the clinic's closed days, on which a new
    target is refused unless overridden."""
    settings = settings or Settings()
    toxic = proposal.toxicity not in (None, Toxicity.OTHER)
    check_extras(proposal)
    note = check_reason(proposal.type, proposal.note, optional=toxic)
    override = check_override(proposal.override)
    kind, day = proposal.type, proposal.day
    if kind in COURSE_LEVEL:
        return _course_level_record(view, proposal, today, settings, note, override)
    if not proposal.event:
        raise InputError("no event is named; name one such as prrt-2", field="event")
    event = pending_event(view, proposal.event, _VERBS.get(kind, "reschedule"))
    check_open(view, event, proposal)
    check_not_held(view, event, kind)
    quantity: Quantity | None = None
    found: list[GuardError] = []
    if kind is RecordType.GIVEN:
        check_not_future(day, today)
        quantity = check_dose(event, proposal.dose)
        if event.kind is Kind.DOSE:
            check_in_course(view, event, day)
            found += order_guard(view, event)
            found += companion_guard(view, event)
            found += window_guard(view, event, day)
            found += spacing_guard(view, event, day, settings)
            if quantity is not None:
                found += amount_guard(view, event, quantity, settings, today)
        elif event.series not in view.regimen.order_series:  # an order is placed any day
            check_day(view, event, day)
    elif proposal.dose:
        raise InputError(f"a {kind.value} record takes no dose", field="dose")
    if kind is RecordType.RESCHEDULED:
        alone = companion_move(view, event)
        if alone is not None:
            raise alone
        check_new_target(view, event, day, today)
        if event.kind is Kind.DOSE:  # a new target meets the guards a dose given there would
            found += order_guard(view, event, "rescheduled")
            found += spacing_guard(view, event, day, settings)
        found += closed_guard(event, day, closures, today)
    passed(found, override)
    dose_text = str(quantity) if quantity else None
    return Record(
        0, view.course.id, kind, day, event.key, dose_text, note, override=override or None
    )


def _course_level_record(
    view: CourseView,
    proposal: Proposal,
    today: date,
    settings: Settings,
    note: str,
    override: str | None,
) -> Record:
    """The record of a hold, a resume or a discontinuation, which name no event."""
    kind, day = proposal.type, proposal.day
    check_open(view)
    check_not_future(day, today)
    check_course_level(view, proposal)
    passed(resume_guard(view, settings, today) if kind is RecordType.RESUME else [], override)
    toxicity = proposal.toxicity or (Toxicity.OTHER if kind is RecordType.HOLD else None)
    return Record(
        0,
        view.course.id,
        kind,
        day,
        None,
        None,
        note,
        override=override,
        review=proposal.review,
        end_care=proposal.end_care,
        toxicity=toxicity.value if toxicity else None,
        grade=proposal.grade,
    )


def check_override(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = check_note(reason.strip())
    if not reason:
        raise InputError("an override needs the clinician's reason", field="override")
    return reason


def passed(found: list[GuardError], override: str | None) -> None:
    """Stop at a guard that cannot be passed; pass the others only with a reason."""
    for error in found:
        if not error.overridable:
            raise error
    if found and override is None:
        if len(found) == 1:
            raise found[0]
        first = found[0]
        raise GuardError(
            "; and ".join(e.message for e in found), overridable=True, field=first.field
        )
    if override is not None and not found:
        raise InputError(
            "nothing to override: the record passes every check",
            field="override",
            hint=Hint.DROP_OVERRIDE,
        )


def check_extras(proposal: Proposal) -> None:
    """A review day belongs to a hold, the end of care to a discontinuation."""
    if proposal.review is not None:
        if proposal.type is not RecordType.HOLD:
            raise InputError("only a hold has a review day", field="review")
        if proposal.review < proposal.day:
            raise InputError(
                f"review day {proposal.review} is before the hold begins ({proposal.day})",
                field="review",
            )
    if proposal.end_care and proposal.type is not RecordType.DISCONTINUED:
        raise InputError("only a discontinuation ends the care", field="end_care")
    if proposal.type is RecordType.HOLD:
        check_cause(proposal.toxicity, proposal.grade)
    elif proposal.toxicity is not None or proposal.grade is not None:
        raise InputError("only a hold records a toxicity", field="toxicity")


def check_open(
    view: CourseView, event: Event | None = None, proposal: Proposal | None = None
) -> None:
    """Nothing more happens on a discontinued course, but for its after-course care (events
    the discontinuation left in place) and what was done before it (a late entry)."""
    stopped = view.discontinued
    if stopped is None:
        return
    if event is not None and proposal is not None:
        late_entry = proposal.type is RecordType.GIVEN and proposal.day < stopped
        if event.status is not Status.CANCELLED or late_entry:
            return
    pid = view.patient.id
    raise ConflictError(
        f"{pid}'s course {view.course.number} ({view.course.regimen}) was "
        f"discontinued on {stopped}",
        field="patient_id",
        hint=Hint.NEW_COURSE_ENDED,
        patient=pid,
    )


def check_not_held(view: CourseView, event: Event, kind: RecordType) -> None:
    """A dose waiting on a toxicity hold is neither given nor moved until the hold ends (it
    may still be skipped: that is a decision, not a dose)."""
    if event.status is Status.HELD and kind in (RecordType.GIVEN, RecordType.RESCHEDULED):
        pid = view.patient.id
        raise ConflictError(
            f"{event.key} of {pid} waits on the hold begun {view.hold_began}",
            field="event",
            hint=Hint.RESUME,
            patient=pid,
        )


def check_reason(kind: RecordType, reason: str, optional: bool = False) -> str:
    """Skips, reschedules, holds, discontinuations and corrections say why (`optional`: a
    hold whose toxicity says it)."""
    reason = check_note((reason or "").strip())
    if kind in NEEDS_REASON and not reason and not optional:
        raise InputError("a reason is required", field="note", hint=Hint.GIVE_REASON)
    return reason


def check_course_level(view: CourseView, proposal: Proposal) -> None:
    pid, kind, day = view.patient.id, proposal.type, proposal.day
    if proposal.event:
        raise InputError(f"a {kind.value} record names no event", field="event")
    if kind is RecordType.HOLD and view.on_hold:
        raise ConflictError(
            f"{pid}'s course is already on hold", field="type", hint=Hint.RESUME, patient=pid
        )
    if kind is RecordType.HOLD:
        series = view.regimen.dose.series
        given = [e for e in view.events if e.series == series and e.given_on is not None]
        last = max(given, key=lambda e: e.number, default=None)
        if last is not None and last.given_on is not None and day < last.given_on:
            raise InputError(
                f"date {day} is before {last.key} was given ({last.given_on}); a hold holds "
                "the next dose, so it begins on or after the last one given",
                field="date",
            )
    if kind is RecordType.DISCONTINUED:
        series = view.regimen.dose.series
        days = [d for e in view.events if e.series == series and (d := e.given_on) is not None]
        floor = max([view.course.start, *days])
        if day < floor:
            raise InputError(
                f"date {day} is before {'the last dose given' if days else 'the course start'}"
                f" ({floor}); a course stops on or after it",
                field="date",
            )
    if kind is RecordType.RESUME:
        began = view.hold_began
        if began is None:
            raise ConflictError(f"{pid}'s course is not on hold", field="type")
        if day < began:
            raise InputError(f"date {day} is before the hold began ({began})", field="date")


def pending_event(view: CourseView, key: str, verb: str) -> Event:
    """The event `key` of the course, if something can still be recorded for it."""
    event = view.event(key)
    pid = view.patient.id
    if event is None:
        raise UnknownError(
            f"{pid} has no event {key!r} in course {view.course.number} ({view.course.regimen})"
            + did_you_mean(key, [e.key for e in view.events]),
            field="event",
            hint=Hint.SHOW_EVENTS,
            patient=pid,
        )
    order = event.series in view.regimen.order_series
    if not event.kind.recordable and not (order and verb == "record"):
        raise InputError(
            f"{key} is a {event.kind.value}: there is nothing to {verb}", field="event"
        )
    if event.status in _DONE:
        done = next(
            r
            for r in reversed(view.standing)
            if r.event == key and r.type in (RecordType.GIVEN, RecordType.SKIPPED)
        )
        what = "placed" if order else done.type.value
        raise ConflictError(
            f"{key} of {pid} is already recorded as {what} on {done.day} (record {done.id})",
            field="event",
            hint=Hint.CORRECT_RECORD,
            patient=pid,
            record=done.id,
        )
    return event


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
