"""What a report is computed from: each dose of the span with the engine's status, the labs
before each dose given, the toxicity holds, and each clinic day of the weeks ahead.

The statuses are the engine's own, as `prrt show` and `prrt missed` give them for the as-of
date: a dose is on time when given inside its window (no `outside-window` flag), early or late
when given before or after it, missed when the engine says missed. The clinic days are those
of `prrt days` (`tracking.days.add_load`), so the weekly load adds up the same hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from schedule.domain.closures import Closures
from schedule.domain.course import Course
from schedule.domain.errors import PrrtError
from schedule.domain.model import Event, Fact, Flag, Kind, Status
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.engine.companions import pre_dose_labs
from schedule.engine.facts import FactIndex
from schedule.engine.views import course_views
from schedule.store.interface import ReadStore
from schedule.tracking.days import Day, add_load, empty_days

# What became of a dose due in the span (the `doses` table's columns, in this order).
OUTCOMES = ("on_time", "early", "late", "missed", "skipped", "open")
# What became of the labs before a dose given (the `labs` table's columns, in this order).
LAB_OUTCOMES = ("in_window", "too_early", "too_late", "not_done")
_OPEN = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.HELD)


@dataclass(frozen=True)
class Span:
    """The report's span: doses due from `start` to `end`; statuses as of `as_of`; the load of
    `weeks` ISO weeks from the week of `as_of`."""

    start: date
    end: date
    as_of: date
    weeks: int

    @property
    def cutoff(self) -> date:
        """The last day whose facts a hold's length counts (the end, or the as-of if sooner)."""
        return min(self.end, self.as_of)

    @property
    def first_monday(self) -> date:
        return self.as_of - timedelta(days=self.as_of.weekday())

    @property
    def last_load_day(self) -> date:
        return self.first_monday + timedelta(days=7 * self.weeks - 1)


@dataclass(frozen=True)
class DoseFact:
    regimen: str
    series: str
    due: date  # the dose's target date: the dose counts in this month
    outcome: str
    days_late: int | None  # given minus target, for a dose given


@dataclass(frozen=True)
class LabFact:
    regimen: str
    due: date  # the target date of the dose the labs serve
    outcome: str


@dataclass(frozen=True)
class HoldFact:
    regimen: str
    patient_id: str
    course: int
    start: date
    end: date | None  # None: still open at the span's cutoff
    ended_by: str  # resume, discontinue or open
    days: int


@dataclass(frozen=True)
class Collected:
    doses: list[DoseFact]
    labs: list[LabFact]
    holds: list[HoldFact]
    days: list[Day]
    unreadable: int  # courses whose calendar cannot be computed from what is stored


def collect(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    span: Span,
) -> Collected:
    """Every patient's courses, as of `span.as_of`, reduced to what the report counts."""
    with store.read() as tx:
        patients = tx.patients()
        courses = tx.courses_by_patient()
        facts = tx.facts()
    doses: list[DoseFact] = []
    labs: list[LabFact] = []
    holds: list[HoldFact] = []
    unreadable = 0
    # One pass for the counts and the load: the calendars go as far as either needs (the
    # days of the weeks ahead are counted as `prrt days` counts them).
    days = empty_days(settings, closures, span.first_monday, span.last_load_day)
    until = max(span.end, span.as_of, span.last_load_day)
    for patient in patients:
        mine = courses.get(patient.id, [])
        try:
            views = course_views(
                catalog, settings, patient, mine, {}, span.as_of, False, until, facts
            )
        except (OverflowError, ValueError, PrrtError):
            unreadable += len(mine)  # listed with the status `error` by the worklists
            continue
        add_load(days, views, settings)
        for view in views:
            doses += dose_facts(view.regimen, view.events, span)
            labs += lab_facts(view.regimen, view.events, span)
            holds += hold_facts(view.regimen, view.course, facts.get(view.course.id, ()), span)
    return Collected(doses, labs, holds, list(days.values()), unreadable)


def dose_outcome(event: Event, as_of: date | None = None) -> str | None:
    """What became of a dose, in the engine's terms; None for a cancelled one (its course was
    discontinued: it was never to be given). An SSA injection past its window stays overdue
    until given or skipped (S9); as of `as_of` it counts as missed."""
    if event.status is Status.GIVEN and event.given_on is not None:
        if Flag.OUTSIDE_WINDOW not in event.flags:
            return "on_time"
        return "early" if event.given_on < event.window_start else "late"
    if event.status is Status.MISSED or (
        event.status is Status.OVERDUE and as_of is not None and event.window_end < as_of
    ):
        return "missed"
    if event.status is Status.SKIPPED:
        return "skipped"
    if event.status in _OPEN:
        return "open"
    return None


def dose_facts(regimen: Regimen, events: Sequence[Event], span: Span) -> list[DoseFact]:
    """The doses (main series and SSA injections) whose target falls in the span."""
    out = []
    for event in events:
        if event.kind is not Kind.DOSE or not span.start <= event.date <= span.end:
            continue
        outcome = dose_outcome(event, span.as_of)
        if outcome is None:
            continue
        late = (event.given_on - event.date).days if event.given_on is not None else None
        out.append(DoseFact(regimen.id, event.series, event.date, outcome, late))
    return out


def lab_outcome(lab: Event) -> str:
    """Labs before a dose given: in their window (L28), too early (the engine's `labs-stale`),
    too late, or not done (never recorded, or skipped)."""
    if lab.status is not Status.GIVEN or lab.given_on is None:
        return "not_done"
    if Flag.LABS_STALE in lab.flags or lab.given_on < lab.window_start:
        return "too_early"
    if lab.given_on > lab.window_end:
        return "too_late"
    return "in_window"


def lab_facts(regimen: Regimen, events: Sequence[Event], span: Span) -> list[LabFact]:
    """For each main dose given whose target falls in the span, what became of its labs."""
    series = {r.series for r in regimen.related if pre_dose_labs(r)}
    if not series:
        return []
    by_key = {e.key: e for e in events}
    out = []
    for event in events:
        if (
            event.series != regimen.dose.series
            or event.status is not Status.GIVEN
            or not span.start <= event.date <= span.end
        ):
            continue
        for name in sorted(series):
            lab = by_key.get(f"{name}-{event.number}")
            if lab is not None:
                out.append(LabFact(regimen.id, event.date, lab_outcome(lab)))
    return out


def hold_facts(
    regimen: Regimen, course: Course, facts: Sequence[Fact], span: Span
) -> list[HoldFact]:
    """The course's holds that overlap the span, paired with their resumes as the engine pairs
    them (`FactIndex.holds`); a discontinuation ends an open hold. A hold still open at the
    span's cutoff counts its days up to the cutoff."""
    index = FactIndex.from_facts(facts)
    stop = index.discontinued
    cutoff = span.cutoff
    out = []
    for start, resumed, *_ in index.holds:
        if start > cutoff:
            continue
        end, ended_by = resumed, "resume"
        if stop is not None and stop >= start and (end is None or stop < end):
            end, ended_by = stop, "discontinue"
        if end is None or end > cutoff:
            end, ended_by = None, "open"
        if end is not None and end < span.start:
            continue
        days = ((end or cutoff) - start).days
        out.append(
            HoldFact(regimen.id, course.patient_id, course.number, start, end, ended_by, days)
        )
    return out
