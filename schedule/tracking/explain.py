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
from schedule.domain.model import SSA_BRIDGE, SSA_SERIES, Event, Flag, RecordType, Status
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
from schedule.domain.pregnancy import SETTING as PREGNANCY_SETTING
from schedule.domain.pregnancy import pregnancy_tests
from schedule.domain.regimen import Catalog, Window
from schedule.domain.settings import Settings
from schedule.domain.suggest import did_you_mean
from schedule.engine.views import course_views
from schedule.store.database import Store
from schedule.tracking.flag_reasons import flag_reason
from schedule.tracking.reasons import (
    Basis,
    Reason,
    around,
    days_text,
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
    found = [
        (v, e) for v in reversed(chosen) for e in v.events if e.key.casefold() == key.casefold()
    ]
    if not found:
        raise UnknownError(
            f"{patient.id} has no event {key!r}"
            + did_you_mean(key, [e.key for v in chosen for e in v.events]),
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
        dose = regimen.dose
        lar = (
            event.series == "ssa" and regimen.ssa is not None and event.number <= (dose.count or 0)
        )
        if moved and not lar:
            return Reason("date", value, (moved,), "a rescheduled target")
        if event.series == dose.series:
            return self._dose_date(value)
        if event.series == SSA_BRIDGE and regimen.ssa is not None:
            return self._bridge_date(value)
        if event.series == "ssa" and regimen.ssa is not None:
            count = dose.count or 0
            if event.number <= count:
                parent = self.other(f"{dose.series}-{event.number}")
                rule = days_text(regimen.ssa.after_from) + " after the dose"
                said = [self.said(parent)]
                if moved:  # stored before a LAR could no longer move alone
                    said.append(f"{moved} not used: the LAR follows its dose")
                return Reason("date", value, tuple(said), rule, ssa_source(regimen, "after_dose"))
            before = self.other(f"ssa-{event.number - 1}")
            until = regimen.ssa.maintenance_until_months
            rule = (
                f"{days_text(regimen.ssa.maintenance_every)}, until {until} months after the start"
            )
            facts = (self.said(before), *self.counted_from(before))
            return Reason("date", value, facts, rule, ssa_source(regimen, "maintenance"))
        tests = pregnancy_tests(regimen, self.settings)
        precautions = (r for _, items in regimen.precautions for r in items)
        for related in (*regimen.related, *tests, *precautions):
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
            before = self.other(f"{dose.series}-{event.number - 1}")
            facts += [self.said(before), *self.counted_from(before)]
            rule = every
        hold = self.hold_before()
        if hold:
            facts.append(hold)
        ssa = self.regimen.ssa
        pushed = [
            e
            for e in self.view.events
            if ssa is not None
            and e.series == SSA_BRIDGE
            and e.given_on is not None
            and (event.date - e.given_on).days == ssa.washout_days
        ]
        if pushed and ssa is not None:  # the dose waits for the washout after a bridge
            washout = ssa_source(self.regimen, "washout")
            facts.append(
                f"{self.said(pushed[0])}: no dose under {ssa.washout_days} days after a "
                f"long-acting SSA ({washout})"
            )
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

    def _bridge_date(self, value: str) -> Reason:
        """A bridging injection: 4 weeks after the last one, not before the hold began, and
        the washout before the dose it bridges to (engine/bridging.py)."""
        event, ssa = self.event, self.regimen.ssa
        assert ssa is not None
        earlier = [
            e
            for e in self.view.events
            if e.series in SSA_SERIES
            and e.effective_date < event.date
            and e.status not in (Status.SKIPPED, Status.CANCELLED)
        ]
        last = max(earlier, key=lambda e: e.effective_date, default=None)
        holds = [r for r in self.view.standing if r.type is RecordType.HOLD and r.day <= event.date]
        facts = [self.said(last)]
        if holds:
            facts.append(f"on hold from {holds[-1].day}")
        rule = (
            f"{days_text(ssa.maintenance_every)} while the course is on hold, from the day it "
            f"began at the earliest; none under {ssa.washout_days} days before the dose"
        )
        sources = (ssa_source(self.regimen, "maintenance"), ssa_source(self.regimen, "washout"))
        return Reason("date", value, tuple(facts), rule, ", ".join(s for s in sources if s))

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
            rule, source = self._days(regimen.dose.window)
            return Reason("window", value, (), rule + " the target", source)
        if event.series in SSA_SERIES and regimen.ssa is not None:
            if event.series == "ssa" and event.number <= (regimen.dose.count or 0):
                low, high = days_text(regimen.ssa.after_from), days_text(regimen.ssa.after_to)
                rule = f"{low} to {high} after the dose"
                return Reason("window", value, (), rule, ssa_source(regimen, "after_dose"))
            rule, source = self._days(regimen.ssa.maintenance_window)
            return Reason("window", value, (), rule + " the target", source)
        for related in (*regimen.related, *pregnancy_tests(regimen, self.settings)):
            if related.series == event.series:
                late = related.late_until if related.late_until is not None else related.end
                rule = f"from {around(related.start)} to {around(late)}"
                test = related.series == PREGNANCY_TEST
                cited = PREGNANCY_SETTING if test else source_id(related.source)
                return Reason("window", value, (), rule, cited)
        for item in regimen.after_course:
            if item.key == event.key and item.window is not None:
                rule, source = self._days(item.window)
                return Reason("window", value, (), rule, source)
        return Reason("window", value)

    def _days(self, window: Window) -> tuple[str, str]:
        """A window's days in words, and where they come from: the regimen's source, or the
        site settings for the bounds it leaves to the site (S10)."""
        site = self.settings
        before = site.ssa_early_tolerance_days if window.before is None else window.before
        after = site.ssa_late_tolerance_days if window.after is None else window.after
        names = [
            name
            for name, bound in (
                ("ssa_early_tolerance_days", window.before),
                ("ssa_late_tolerance_days", window.after),
            )
            if bound is None
        ]
        source = (
            f"site setting{'s' if len(names) > 1 else ''} {' and '.join(names)}"
            if names
            else source_id(window.source)
        )
        return f"{before} days before and {after} after", source

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
            Status.OVERDUE: f"{(self.as_of - event.end).days} d past its target {event.end}; "
            f"its window is open until {event.window_end}"
            if event.window_end >= self.as_of
            else f"its window closed {event.window_end}; still due until given or skipped "
            "(S9: the doctor decides when, never a double dose)",
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
