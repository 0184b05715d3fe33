"""The calendar engine: a pure function from (regimen, start, facts, as-of date) to events.

No clock, no I/O. With no facts it projects the plan; with facts it re-anchors: the next dose
counts from the day the previous one was really given, and a dose still pending past its target
pushes the projection of the later ones to the as-of date (it cannot happen before today).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from schedule.domain.dates import add_months, on_or_before_weekday
from schedule.domain.errors import InputError
from schedule.domain.model import Event, Fact, Flag, Kind, RecordType, Status
from schedule.domain.options import DEFAULT_OPTIONS, PlanOptions, check_options
from schedule.domain.regimen import AfterCourse, Regimen, Related, Window
from schedule.domain.settings import Settings
from schedule.engine.flags import flag_labs, flag_washout

DEFAULT_SETTINGS = Settings()


@dataclass
class _Facts:
    given: dict[str, Fact] = field(default_factory=dict)
    skipped: dict[str, Fact] = field(default_factory=dict)
    moved: dict[str, Fact] = field(default_factory=dict)
    holds: list[tuple[date, date | None]] = field(default_factory=list)
    discontinued: date | None = None

    @classmethod
    def index(cls, facts: Iterable[Fact]) -> _Facts:
        out = cls()
        course_level = []
        for fact in facts:  # in the order recorded: a later record of an event wins
            if fact.type is RecordType.GIVEN and fact.event:
                out.given[fact.event] = fact
            elif fact.type is RecordType.SKIPPED and fact.event:
                out.skipped[fact.event] = fact
            elif fact.type is RecordType.RESCHEDULED and fact.event:
                out.moved[fact.event] = fact
            elif fact.event is None:
                course_level.append(fact)
        open_hold: date | None = None
        for fact in sorted(course_level, key=lambda f: f.date):
            if fact.type is RecordType.HOLD and open_hold is None:
                open_hold = fact.date
            elif fact.type is RecordType.RESUME and open_hold is not None:
                out.holds.append((open_hold, fact.date))
                open_hold = None
            elif fact.type is RecordType.DISCONTINUED and out.discontinued is None:
                out.discontinued = fact.date
        if open_hold is not None:
            out.holds.append((open_hold, None))
        return out


@lru_cache(maxsize=4096)
def _title(template: str, n: int, count: int | None) -> str:
    """A regimen's title for event n; cached, as every course formats the same few."""
    return template.format(n=n, count=count or "")


@dataclass(frozen=True)
class _Parent:
    """The dose that events around it hang on: its status, and the days to count from before
    it (its target, or the day given) and after it (the day given, or when it can still be)."""

    status: Status
    before: date
    after: date

    @property
    def cancelled(self) -> bool:
        return self.status in (Status.SKIPPED, Status.CANCELLED)

    def dependent_status(self, own: Status, follows: bool, cancel: bool = True) -> Status:
        """The status of an event not recorded itself, given the state of its dose."""
        if self.status is Status.GIVEN:
            return own
        if (cancel and self.cancelled) or self.status is Status.CANCELLED:
            return Status.CANCELLED
        if self.status is Status.HELD:
            return Status.HELD
        if follows:
            return Status.PLANNED  # it comes after a dose not given yet
        return own


def _ladder(as_of: date | None, start: date, target: date, end: date) -> Status:
    if as_of is None or as_of < start:
        return Status.PLANNED
    if as_of <= target:
        return Status.DUE
    if as_of <= end:
        return Status.OVERDUE
    return Status.MISSED


def _info_status(as_of: date | None, start: date, end: date) -> Status:
    if as_of is None or as_of < start:
        return Status.PLANNED
    return Status.ACTIVE if as_of <= end else Status.PAST


class _Builder:
    def __init__(
        self,
        regimen: Regimen,
        start: date,
        facts: _Facts,
        as_of: date | None,
        options: PlanOptions,
        settings: Settings,
        informational: bool,
    ) -> None:
        self.informational = informational
        self.regimen = regimen
        self.start = start
        self.facts = facts
        self.as_of = as_of
        self.options = options
        self.settings = settings
        self.events: list[Event] = []

    # -- shared pieces ------------------------------------------------------------------------

    def window_after(self, window: Window) -> int:
        return self.settings.ssa_late_tolerance_days if window.after is None else window.after

    def pending_actual(self, target: date) -> date:
        """When a dose not yet given can happen at the earliest: its target, or today if later."""
        return max(target, self.as_of) if self.as_of else target

    def cancelled_after(self, day: date) -> bool:
        stop = self.facts.discontinued
        return stop is not None and day >= stop

    def recorded(
        self,
        key: str,
        target: date,
        window_start: date,
        window_end: date,
        held: bool = False,
    ) -> tuple[Status, date | None]:
        """Status and given date of a recordable event from the facts, else from the ladder."""
        given = self.facts.given.get(key)
        if given is not None:
            return Status.GIVEN, given.date
        if key in self.facts.skipped:
            return Status.SKIPPED, None
        if self.cancelled_after(target):
            return Status.CANCELLED, None
        if held:
            return Status.HELD, None
        return _ladder(self.as_of, window_start, target, window_end), None

    # -- the main dose series -----------------------------------------------------------------

    def build(self) -> list[Event]:
        regimen, dose = self.regimen, self.regimen.dose
        months = self.options.calendar_month
        interval = self.options.interval_days or dose.interval_days
        horizon = self.options.until or (
            max(self.start, self.as_of or self.start) + timedelta(days=self.settings.horizon_days)
        )
        anchor, steps = self.start, 0
        previous_given: date | None = None
        last_anchor: date | None = None
        last_given: date | None = None
        used_holds: set[date | None] = set()
        pending_before = False  # an earlier dose is neither given nor skipped
        around_dose = [
            r
            for r in (*regimen.related, *regimen.precautions_for(self.precaution_variant()))
            if self.informational or r.kind.recordable
        ]
        full_text, reduced_text = str(dose.amount), str(dose.reduced)
        # Loop invariants, computed once: this loop runs for every dose of every course.
        before_td = timedelta(days=dose.window.before)
        after_td = timedelta(days=self.window_after(dose.window))
        interval_td = timedelta(days=interval)
        given, moved_facts, holds = self.facts.given, self.facts.moved, self.facts.holds
        full_base, full_dimension = dose.amount.base, dose.amount.dimension
        lower: dict[str, bool] = {}  # recorded amount (as text) -> below the full dose?
        title = dose.title
        needs_parent = bool(around_dose) or regimen.ssa is not None
        k = 0
        while dose.count is None or k < dose.count:
            k += 1
            key = f"{dose.series}-{k}"
            projected = add_months(anchor, steps) if months else anchor + interval_td * steps
            given_fact = given.get(key)
            open_ended_stop = given_fact is None and dose.count is None
            if open_ended_stop and (projected > horizon or self.cancelled_after(projected)):
                break
            moved = moved_facts.get(key)
            target = moved.date if moved else projected
            hold_start = hold_end = None
            if holds:
                hold_start, hold_end = self.hold_for(previous_given or self.start, key, used_holds)
                used_holds.add(hold_start)
            reduced_after_hold = False
            if hold_start is not None and hold_end is not None and given_fact is None:
                target = max(target, hold_end)
                reduced_after_hold = dose.reduced is not None
            held = hold_start is not None and hold_end is None
            w_start = target - before_td
            w_end = target + after_td
            status, given_on = self.recorded(key, target, w_start, w_end, held=held)
            flags: list[Flag] = []
            dose_text = reduced_text if reduced_after_hold else full_text
            if given_fact is not None and given_fact.dose is not None:
                amount = given_fact.dose
                dose_text = amount.text
                if dose_text not in lower:
                    lower[dose_text] = (
                        amount.dimension == full_dimension and amount.base < full_base
                    )
                if lower[dose_text]:
                    flags.append(Flag.REDUCED_DOSE)
            elif reduced_after_hold:
                flags.append(Flag.REDUCED_DOSE)
            if status is Status.SKIPPED:
                actual = target
            elif given_on is not None:
                actual = given_on
            else:
                actual = self.pending_actual(target)
            known = self.as_of is not None or given_on is not None
            live = status not in (Status.SKIPPED, Status.CANCELLED)
            gap = (actual - previous_given).days if previous_given is not None else 0
            counted = live and known and not pending_before
            if dose.max_gap_days and counted and gap >= dose.max_gap_days:
                flags.append(Flag.MAX_DELAY_EXCEEDED)
            self.events.append(
                Event(
                    key=key,
                    kind=Kind.DOSE,
                    series=dose.series,
                    number=k,
                    title=_title(title, k, dose.count),
                    drug=dose.drug,
                    dose=dose_text,
                    date=target,
                    end=target,
                    window_start=w_start,
                    window_end=w_end,
                    status=status,
                    given_on=given_on,
                    flags=tuple(flags),
                    description=dose.description,
                )
            )
            if needs_parent:
                parent = _Parent(
                    status=status,
                    before=given_on or target,
                    after=given_on or (target if status is Status.SKIPPED else actual),
                )
            for related in around_dose:
                if not related.doses or k in related.doses:
                    self.add_related(related, k, parent)
            if regimen.ssa is not None:
                ssa_status = self.add_companion_ssa(k, parent)
                if ssa_status is not Status.SKIPPED and ssa_status is not Status.CANCELLED:
                    last_anchor = self.events[-1].given_on or self.pending_actual(
                        self.events[-1].date
                    )
            if given_on is not None:
                previous_given = given_on
                last_given = given_on
            elif status is not Status.SKIPPED:
                pending_before = True
            if actual == projected:
                steps += 1
            else:
                anchor, steps = actual, 1
        self.add_maintenance(last_anchor)
        self.add_after_course(last_given)
        return self.events

    def precaution_variant(self) -> str | None:
        return self.options.precautions or self.settings.precautions

    def hold_for(
        self, since: date, key: str, used: set[date | None]
    ) -> tuple[date | None, date | None]:
        """The latest toxicity hold begun while this dose was the next one pending.

        A hold applies to one dose only: the first pending dose after it begins.
        """
        given = self.facts.given.get(key)
        found: tuple[date | None, date | None] = (None, None)
        for hold_start, hold_end in self.facts.holds:
            if hold_start in used or hold_start < since:
                continue
            if given is None or hold_start <= given.date:
                found = (hold_start, hold_end)
        return found

    # -- events around each dose --------------------------------------------------------------

    def add_related(self, related: Related, k: int, parent: _Parent) -> None:
        around = parent.before if related.start < 0 else parent.after
        day = around + timedelta(days=related.start)
        if related.weekday:
            day = on_or_before_weekday(day, related.weekday)
        end = day if related.start == related.end else around + timedelta(days=related.end)
        late = (
            around + timedelta(days=related.late_until) if related.late_until is not None else end
        )
        key = f"{related.series}-{k}"
        given_on = None
        if related.kind.recordable:
            status, given_on = self.recorded(key, end, day, late)
            if given_on is None and status is not Status.SKIPPED:
                status = parent.dependent_status(status, follows=related.start >= 0)
        else:
            status = _info_status(self.as_of, day, end)
            status = parent.dependent_status(status, follows=related.start >= 0)
        self.events.append(
            Event(
                key=key,
                kind=related.kind,
                series=related.series,
                number=k,
                title=_title(related.title, k, self.regimen.dose.count),
                drug=None,
                dose=None,
                date=day,
                end=end,
                window_start=day,
                window_end=late,
                status=status,
                given_on=given_on,
                description=related.description,
            )
        )

    def add_companion_ssa(self, k: int, parent: _Parent) -> Status:
        ssa = self.regimen.ssa
        assert ssa is not None
        key = f"ssa-{k}"
        moved = self.facts.moved.get(key)
        target = moved.date if moved else parent.after + timedelta(days=ssa.after_from)
        w_end = target + timedelta(days=ssa.after_to - ssa.after_from)
        status, given_on = self.recorded(key, target, target, w_end)
        if (
            given_on is None
            and parent.status is not Status.SKIPPED
            and status is not Status.SKIPPED
        ):
            # The LAR after a dose waits for that dose; after a skipped dose it keeps its rhythm.
            status = parent.dependent_status(status, follows=True, cancel=False)
        self.events.append(
            self.ssa_event(
                key, k, _title(ssa.title, k, None), target, target, w_end, status, given_on
            )
        )
        return status

    def ssa_event(
        self,
        key: str,
        number: int,
        title: str,
        w_start: date,
        target: date,
        w_end: date,
        status: Status,
        given_on: date | None,
    ) -> Event:
        ssa = self.regimen.ssa
        assert ssa is not None
        fact = self.facts.given.get(key)
        dose = str(fact.dose) if fact is not None and fact.dose is not None else str(ssa.amount)
        return Event(
            key=key,
            kind=Kind.DOSE,
            series="ssa",
            number=number,
            title=title,
            drug=ssa.drug,
            dose=dose,
            date=target,
            end=target,
            window_start=w_start,
            window_end=w_end,
            status=status,
            given_on=given_on,
            description=ssa.description,
        )

    def add_maintenance(self, anchor: date | None) -> None:
        """After the last dose: SSA every N days until M months after the start (L20)."""
        ssa, count = self.regimen.ssa, self.regimen.dose.count
        if ssa is None or anchor is None or count is None:
            return
        until = add_months(self.start, ssa.maintenance_until_months)
        window = ssa.maintenance_window
        number = count
        while True:
            number += 1
            key = f"ssa-{number}"
            moved = self.facts.moved.get(key)
            target = moved.date if moved else anchor + timedelta(days=ssa.maintenance_every)
            if key not in self.facts.given and (target > until or self.cancelled_after(target)):
                return
            w_start = target - timedelta(days=window.before)
            w_end = target + timedelta(days=self.window_after(window))
            status, given_on = self.recorded(key, target, w_start, w_end)
            title = ssa.maintenance_title
            self.events.append(
                self.ssa_event(key, number, title, w_start, target, w_end, status, given_on)
            )
            skipped = status is Status.SKIPPED
            anchor = target if skipped else given_on or self.pending_actual(target)

    def add_after_course(self, last_given: date | None) -> None:
        """Follow-up labs, scans and end dates, counted from the last dose (given or planned)."""
        dose_events = [e for e in self.events if e.series == self.regimen.dose.series]
        if self.facts.discontinued is not None:
            last = last_given
        else:
            live = [e for e in dose_events if e.status is not Status.SKIPPED]
            last = (live[-1].given_on or live[-1].date) if live else None
        if last is None:
            return
        for item in self.regimen.after_course:
            if self.informational or item.kind.recordable:
                self.add_after(item, last)

    def add_after(self, item: AfterCourse, last: date) -> None:
        day = add_months(last, item.months) + timedelta(days=item.days)
        if item.window is not None:
            w_start = day - timedelta(days=item.window.before)
            w_end = day + timedelta(days=self.window_after(item.window))
        else:
            w_start = w_end = day
        given_on = None
        if item.kind.recordable:
            status, given_on = self.recorded(item.key, day, w_start, w_end)
        else:
            status = _info_status(self.as_of, day, day)
        self.events.append(
            Event(
                key=item.key,
                kind=item.kind,
                series=item.series,
                number=item.number,
                title=item.title,
                drug=None,
                dose=None,
                date=day,
                end=day,
                window_start=w_start,
                window_end=w_end,
                status=status,
                given_on=given_on,
                description=item.description,
            )
        )


def build_calendar(
    regimen: Regimen,
    start: date,
    facts: Iterable[Fact] = (),
    *,
    as_of: date | None = None,
    options: PlanOptions = DEFAULT_OPTIONS,
    settings: Settings = DEFAULT_SETTINGS,
    other_ssa: Sequence[date] = (),
    informational: bool = True,
) -> tuple[Event, ...]:
    """The course's events in date order.

    `as_of=None` projects the plan (every event `planned`). `other_ssa` lists the days of
    long-acting SSA injections from the patient's other courses, for the washout check.
    `informational=False` leaves out deadlines, reminders and precautions (for worklists).
    """
    check_options(regimen, options)
    variant = options.precautions or settings.precautions
    if variant is not None and regimen.precautions and variant not in regimen.precaution_variants:
        raise InputError(
            f"precautions {variant!r} unknown for {regimen.id!r}; "
            f"choose {' or '.join(regimen.precaution_variants)}"
        )
    builder = _Builder(regimen, start, _Facts.index(facts), as_of, options, settings, informational)
    events = builder.build()
    events = flag_washout(regimen, events, other_ssa)
    events = flag_labs(regimen, events)
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1].date, pair[1].end, pair[0]))
    return tuple(event for _, event in ordered)
