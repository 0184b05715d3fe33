"""Why an event has its date, window, status and flags, in plain words: the facts used and the
rule with the source id of the regimen file that carries it.

Nothing here is stored or decided: the reasons are derived again from the regimen, the course's
facts and the event the engine built, so they say what the engine did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from schedule.domain.closures import Closures, nearest_open_days
from schedule.domain.course import facts_of
from schedule.domain.errors import Hint, UnknownError
from schedule.domain.model import Event, Flag, RecordType, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import course_views
from schedule.store.database import Store
from schedule.tracking.reasons import (
    Basis,
    Reason,
    around,
    days_text,
    flag_reason,
    source_id,
    ssa_source,
)
from schedule.tracking.selection import open_hold


@dataclass(frozen=True)
class Explanation:
    patient_id: str
    course: int
    regimen: str
    as_of: date
    event: Event
    reasons: tuple[Reason, ...]


def explain_event(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    patient_id: str,
    key: str,
    course_number: int | None,
    as_of: date,
    closures: Closures | None = None,
    crowded: frozenset[date] = frozenset(),
) -> Explanation:
    """The reasons for event `key` of the patient's course (the latest course that has it when
    `course_number` is None). `closures` and `crowded`: the clinic's closed and full days."""
    with store.read() as tx:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient.id)
        records = tx.records([c.id for c in courses])
    views = course_views(
        catalog, settings, patient, courses, records, as_of, closures=closures, crowded=crowded
    )
    chosen = [v for v in views if course_number in (None, v.course.number)]
    if course_number is not None and not chosen:
        raise UnknownError(f"{patient.id} has no course {course_number}", field="course")
    found = [(v, e) for v in reversed(chosen) for e in v.events if e.key == key]
    if not found:
        raise UnknownError(
            f"{patient.id} has no event {key!r}",
            field="event",
            hint=Hint.SHOW_EVENTS,
            patient=patient.id,
        )
    view, event = found[0]
    why = _Why(view, views, event, settings, as_of)
    reasons = [why.date(), why.window(), why.status()]
    reasons += [
        closed_reason(closures, event)
        if flag is Flag.CLINIC_CLOSED and closures is not None
        else flag_reason(why, flag)
        for flag in event.flags
    ]
    return Explanation(
        patient.id, view.course.number, view.regimen.id, as_of, event, tuple(reasons)
    )


def closed_reason(closures: Closures, event: Event) -> Reason:
    """clinic-closed: the closure's name and the nearest open days inside the window."""
    before, after = nearest_open_days(closures, event)
    open_days = " and ".join(str(d) for d in (before, after) if d is not None)
    return Reason(
        "flag",
        Flag.CLINIC_CLOSED.value,
        (
            f"the clinic is closed on {event.date} ({closures.name(event.date)})",
            f"nearest open days in its window: {open_days}"
            if open_days
            else "no open day in its window",
        ),
        "the site's closures calendar",
        "site setting closures",
    )


class _Why(Basis):
    """The date, window and status of the event, explained."""

    def date(self) -> Reason:
        event, regimen = self.event, self.regimen
        value = str(event.date) if event.date == event.end else f"{event.date} to {event.end}"
        moved = self.record(RecordType.RESCHEDULED)
        if moved:
            return Reason("date", value, (moved,), "a rescheduled target")
        dose = regimen.dose
        if event.series == dose.series:
            return self._dose_date(value)
        if event.series == "ssa" and regimen.ssa is not None:
            count = dose.count or 0
            if event.number <= count:
                parent = self.other(f"{dose.series}-{event.number}")
                rule = days_text(regimen.ssa.after_from) + " after the dose"
                return Reason(
                    "date", value, (self.said(parent),), rule, ssa_source(regimen, "after_dose")
                )
            before = self.other(f"ssa-{event.number - 1}")
            until = regimen.ssa.maintenance_until_months
            rule = (
                f"{days_text(regimen.ssa.maintenance_every)}, until {until} months after the start"
            )
            return Reason(
                "date", value, (self.said(before),), rule, ssa_source(regimen, "maintenance")
            )
        for related in (*regimen.related, *(r for _, items in regimen.precautions for r in items)):
            if related.series == event.series:
                parent = self.other(f"{dose.series}-{event.number}")
                rule = around(related.start)
                if related.weekday:
                    rule += f", on or before a {related.weekday.capitalize()}"
                return Reason("date", value, (self.said(parent),), rule, source_id(related.source))
        for item in regimen.after_course:
            if item.key == event.key:
                last = self._last_dose()
                rule = f"+ {item.months} months" + (f" {item.days} days" if item.days else "")
                rule += " after the last dose"
                if item.before_ssa:
                    rule += (
                        f"; {item.before_ssa} day(s) before the nearest SSA injection in its "
                        "window, if any"
                    )
                return Reason("date", value, (last,), rule, source_id(item.source))
        return Reason("date", value)

    def _dose_date(self, value: str) -> Reason:
        event, dose = self.event, self.regimen.dose
        options = self.view.course.options
        months = 1 if options.calendar_month else 0
        if not options.calendar_month and not options.interval_days:
            months = dose.interval_months
        every = (
            f"+ {months} calendar month{'s' if months > 1 else ''}"
            if months
            else days_text(options.interval_days or dose.interval_days)
        )
        source = None if options.interval_days else source_id(dose.interval_source)
        facts: list[str] = []
        if event.number == 1:
            facts.append(f"course {self.view.course.number} starts {self.view.course.start}")
            rule = "the course start"
            source = None
        else:
            facts.append(self.said(self.other(f"{dose.series}-{event.number - 1}")))
            rule = every
        hold = self.hold_before()
        if hold:
            facts.append(hold)
        if (
            event.status is not Status.GIVEN
            and event.date < self.as_of
            and event.status
            in (
                Status.OVERDUE,
                Status.MISSED,
            )
        ):
            facts.append(f"still not given on {self.as_of}")
        return Reason("date", value, tuple(facts), rule, source)

    def _last_dose(self) -> str:
        series = self.regimen.dose.series
        doses = [
            e for e in self.view.events if e.series == series and e.status is not Status.SKIPPED
        ]
        stopped = self.view.discontinued
        if stopped is not None and any(e.status is Status.CANCELLED for e in doses):
            return f"course discontinued {stopped}"
        return self.said(doses[-1]) if doses else "(no dose)"

    # -- the window and the status ------------------------------------------------------------

    def window(self) -> Reason:
        event, regimen = self.event, self.regimen
        value = f"{event.window_start} to {event.window_end}"
        if not event.kind.recordable:
            return Reason("window", value, ("the event's own days",))
        if event.series == regimen.dose.series:
            w = regimen.dose.window
            after = self.settings.ssa_late_tolerance_days if w.after is None else w.after
            rule = f"{w.before} days before and {after} after the target"
            return Reason(
                "window",
                value,
                (),
                rule,
                source_id(w.source)
                if w.after is not None
                else "site setting ssa_late_tolerance_days",
            )
        if event.series == "ssa" and regimen.ssa is not None:
            if event.number <= (regimen.dose.count or 0):
                low, high = days_text(regimen.ssa.after_from), days_text(regimen.ssa.after_to)
                rule = f"{low} to {high} after the dose"
                return Reason("window", value, (), rule, ssa_source(regimen, "after_dose"))
            days = self.settings.ssa_late_tolerance_days
            return Reason(
                "window",
                value,
                (),
                f"up to {days} days late",
                "site setting ssa_late_tolerance_days",
            )
        for related in regimen.related:
            if related.series == event.series:
                late = related.late_until if related.late_until is not None else related.end
                rule = f"from {around(related.start)} to {around(late)}"
                return Reason("window", value, (), rule, source_id(related.source))
        for item in regimen.after_course:
            if item.key == event.key and item.window is not None:
                after = (
                    self.settings.ssa_late_tolerance_days
                    if item.window.after is None
                    else item.window.after
                )
                rule = f"{item.window.before} days before and {after} after"
                return Reason("window", value, (), rule, source_id(item.window.source))
        return Reason("window", value)

    def status(self) -> Reason:
        event, s = self.event, self.event.status
        if s is Status.GIVEN:
            return Reason(
                "status", s.value, (self.record(RecordType.GIVEN) or f"given {event.given_on}",)
            )
        if s is Status.SKIPPED:
            return Reason("status", s.value, (self.record(RecordType.SKIPPED) or "skipped",))
        if s is Status.HELD:
            hold = open_hold(facts_of(self.view.records), self.settings.hold_review_days)
            facts = (
                (f"on hold since {hold.since}: {hold.reason}", f"review on {hold.review}")
                if hold
                else ("it waits for a held dose",)
            )
            return Reason("status", s.value, facts, "the dose waits for the hold to end")
        if s is Status.CANCELLED:
            stop = self.view.discontinued
            fact = (
                f"course discontinued {stop}" if stop else "the dose it belongs to will not happen"
            )
            return Reason("status", s.value, (fact,))
        if s is Status.NOT_DONE:
            parent = self.other(f"{self.regimen.dose.series}-{event.number}")
            return Reason(
                "status", s.value, (f"nothing recorded; {self.said(parent)} without them",)
            )
        if s in (Status.ACTIVE, Status.PAST, Status.PLANNED) and not event.kind.recordable:
            return Reason(
                "status",
                s.value,
                (f"as of {self.as_of}, its days are {event.date} to {event.end}",),
            )
        ladder = {
            Status.PLANNED: f"its window opens {event.window_start}",
            Status.DUE: f"its window opened {event.window_start}; target {event.end}",
            Status.OVERDUE: f"past its target {event.end}; on time until {event.window_end}",
            Status.MISSED: f"its window closed {event.window_end}",
        }
        said = [f"as of {self.as_of}", ladder.get(s, s.value)]
        if s is not Status.PLANNED or event.window_start <= self.as_of:
            said.append("nothing recorded")
        return Reason("status", s.value, tuple(said))


def explanation_row(explanation: Explanation) -> dict[str, Any]:
    """The explanation as JSON-typed data."""
    e = explanation.event
    return {
        "patient_id": explanation.patient_id,
        "course": explanation.course,
        "regimen": explanation.regimen,
        "event": e.key,
        "as_of": explanation.as_of.isoformat(),
        "date": e.date.isoformat(),
        "end": e.end.isoformat(),
        "window_start": e.window_start.isoformat(),
        "window_end": e.window_end.isoformat(),
        "status": e.status.value,
        "given_on": e.given_on.isoformat() if e.given_on else None,
        "flags": [f.value for f in e.flags],
        "reasons": [
            {
                "about": r.about,
                "value": r.value,
                "facts": list(r.facts),
                "rule": r.rule,
                "source": r.source,
            }
            for r in explanation.reasons
        ],
    }
