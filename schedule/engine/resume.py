"""Lean calendars built again from the dose a new record changes. An import checks each row
against its course's lean calendar with the rows before it applied (`tracking.transfer`): one
record more each time, so the doses before the one that record belongs to, with the events
around them, are as they were (`Step`); the series is built again from there, then what
follows it (maintenance, the care after the course) as always.

Only where that is sure: the same course, day and choices, a cutoff as late or later (an
open series, injections with no count, ends at a horizon the cutoff sets: as late or later,
it keeps every injection built before), one dose, lab, order or injection given more, and
nothing else the series reads across its doses (a hold, a discontinuation; an injection of a
regimen whose injections stay overdue until a later one is given, `Context.still_due`, that
is overdue before the step: the record given could end that). Anything else is built from the
first dose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from schedule.domain.model import Event, Fact, RecordType, Status
from schedule.domain.options import PlanOptions
from schedule.domain.regimen import DoseKind, Regimen
from schedule.domain.settings import Settings
from schedule.engine.calendar import course_context, finish
from schedule.engine.companions import companion_ssa
from schedule.engine.context import Context
from schedule.engine.doses import dose_series, parent_of
from schedule.engine.series import SeriesPlan, SeriesState, Step


@dataclass(frozen=True)
class Trace:
    """How a lean calendar was built: from what, its dose series' events (before what follows
    the series) and where the series stood before each dose it came to, and after its last
    when it ran to its end."""

    regimen: Regimen
    start: date
    facts: tuple[Fact, ...]
    as_of: date | None
    choices: tuple[object, ...]  # the options but `until` (`_choices`), compared on its own
    until: date | None  # where an open series ends (`dose_series`' horizon)
    settings: Settings
    pregnancy_test: bool
    cutoff: date | None
    series: tuple[Event, ...]
    steps: tuple[Step, ...]


class Lean(NamedTuple):
    """A lean calendar and how it was built."""

    events: tuple[Event, ...]
    trace: Trace


def build_lean(
    regimen: Regimen,
    start: date,
    facts: Sequence[Fact],
    *,
    as_of: date | None,
    options: PlanOptions,
    settings: Settings,
    cutoff: date | None,
    pregnancy_test: bool,
    after: Lean | None = None,
) -> Lean:
    """`build_calendar(..., informational=False, cutoff=cutoff, lean=True)`, and how it was
    built; from `after` (the course's lean calendar with one record less) where that is sure
    to give the same events."""
    facts = tuple(facts)
    ctx = course_context(
        regimen, start, facts, as_of, options, settings, False, cutoff, True, pregnancy_test
    )
    if _resumable(ctx):  # where the series stood before each dose kept, to build from
        events, state, steps = _traced_series(ctx, facts, after)
    else:
        (events, state), steps = dose_series(ctx), []
    series = tuple(events)
    trace = Trace(
        regimen, start, facts, as_of, _choices(options), options.until, settings,
        pregnancy_test, cutoff, series, tuple(steps),
    )  # fmt: skip
    return Lean(finish(ctx, events, state), trace)


def _traced_series(
    ctx: Context, facts: tuple[Fact, ...], after: Lean | None
) -> tuple[list[Event], SeriesState, list[Step]]:
    """The dose series of a `_resumable` context, from `after`'s step where `_resume` finds
    one, and where it stood before each dose it came to, and after its last when it ran to
    its end."""
    steps: list[Step] = []
    if after is not None and (from_step := _resume(after.trace, ctx, facts)) is not None:
        kept: Sequence[Step] = after.trace.steps
        before: Sequence[Event] = after.trace.series
        patched = _companion_patched(ctx, after.trace, facts[-1], from_step)
        if patched is not None:  # from the last step, the injection made again
            kept, before = patched
            from_step = kept[-1]
        events, state = dose_series(ctx, steps, from_step, before)
        steps[:0] = [s for s in kept if s.k < from_step.k]
    else:
        events, state = dose_series(ctx, steps)
    if not state.cut_short and ctx.regimen.dose.count is not None:
        # Ran to its end: built again from there for a record after it. (An open series stops
        # at a dose it came to, whose step is where it stood after the last.)
        steps.append(Step((steps[-1].k if steps else 0) + 1, len(events), state.copy()))
    return events, state, steps


def _companion_patched(
    ctx: Context, trace: Trace, new: Fact, step: Step
) -> tuple[tuple[Step, ...], list[Event]] | None:
    """Where the record that `step` was found for is of the companion injection of its dose
    (`ssa-k` after dose k), the series can go on from the last step instead: the doses after
    it and their events read nothing of that injection, and their saved states only where
    maintenance counts from (`last_ssa_anchor`). The steps so mended and the series' events
    up to the last one, that injection made again (None: not such a record)."""
    last, k = trace.steps[-1], step.k
    if last.k <= k or _companion(ctx, new.event) != k:
        return None
    events = list(trace.series[: last.built])
    dose_key, ssa_key = f"{ctx.regimen.dose.series}-{k}", f"ssa-{k}"
    dose = next((e for e in events if e.key == dose_key), None)
    at = next((i for i, e in enumerate(events) if e.key == ssa_key), None)
    if dose is None or at is None:
        return None
    events[at] = companion_ssa(ctx, k, parent_of(ctx, dose))
    steps = tuple(
        s if s.k <= k else Step(s.k, s.built, _anchored(ctx, s.state, events[: s.built]))
        for s in trace.steps
    )
    return steps, events


def _anchored(ctx: Context, state: SeriesState, before: Sequence[Event]) -> SeriesState:
    """`state` counting maintenance from the companion injections in `before` as
    `dose_series` does (the last one that has a day)."""
    anchor = None
    for event in before:
        if _companion(ctx, event.key) is not None and event.status not in _NO_DAY:
            anchor = event.given_on or ctx.pending_actual(event.date)
    mended = state.copy()
    mended.last_ssa_anchor = anchor
    return mended


_NO_DAY = (Status.SKIPPED, Status.CANCELLED, Status.HELD)


def _companion(ctx: Context, key: str | None) -> int | None:
    """The dose whose companion injection `key` is (`ssa-k`), or None."""
    series, _, tail = (key or "").rpartition("-")
    count = ctx.regimen.dose.count or 0
    if series != "ssa" or ctx.regimen.ssa is None or not tail.isdigit() or int(tail) > count:
        return None
    if series == ctx.regimen.dose.series or series in SeriesPlan.of(ctx).around_series:
        return None
    return int(tail)


def _resume(trace: Trace, ctx: Context, facts: tuple[Fact, ...]) -> Step | None:
    """The step of `trace` to build `ctx`'s series from, or None (from the first dose);
    `ctx` is `_resumable`."""
    if (
        trace.regimen is not ctx.regimen
        or (trace.start, trace.as_of, trace.pregnancy_test)
        != (ctx.start, ctx.as_of, ctx.pregnancy_test)
        or (trace.settings is not ctx.settings and trace.settings != ctx.settings)
        or trace.choices != _choices(ctx.options)
        or trace.cutoff is None
        or ctx.cutoff is None
        or ctx.cutoff < trace.cutoff  # a dose it built could stop short now
        or not _as_late(ctx.options.until, trace.until)  # an open series could end sooner
        or len(facts) != len(trace.facts) + 1
        or facts[:-1] != trace.facts
    ):
        return None
    new = facts[-1]
    if new.type is not RecordType.GIVEN or not new.event or not trace.steps:
        return None
    number = _dose_of(ctx, new.event)
    last = trace.steps[-1]
    if number is None or number >= last.k:
        step = last  # a record after the doses built: the series as it was, then the rest
    else:
        step = next(s for s in trace.steps if s.k == number)
    if _stays_due(ctx) and any(e.status is Status.OVERDUE for e in trace.series[: step.built]):
        return None  # a later injection given makes it missed
    return step


def _as_late(until: date | None, before: date | None) -> bool:
    """Whether an open series ends no sooner with `until` than it did with `before` (None:
    the horizon the settings give, the same for both)."""
    if until is None or before is None:
        return until is before
    return until >= before


def _resumable(ctx: Context) -> bool:
    """Whether nothing the course's series reads across all its doses is there: a hold, a
    discontinuation."""
    facts = ctx.facts
    return not facts.holds and facts.discontinued is None


def _stays_due(ctx: Context) -> bool:
    """Whether the regimen's injections stay overdue until a later one is given
    (`Context.still_due`, as `dose_series` asks it)."""
    return ctx.regimen.dose.kind in (DoseKind.LONG_ACTING_SSA, DoseKind.HORMONE)


def _dose_of(ctx: Context, key: str) -> int | None:
    """The dose whose turn of the series reads the event `key` (its own key, an event around
    it, its companion injection), or None: no turn reads it."""
    series, _, tail = key.rpartition("-")
    if not tail.isdigit() or not series:
        return None
    number = int(tail)
    dose = ctx.regimen.dose
    if series == dose.series or series in SeriesPlan.of(ctx).around_series:
        return number
    return _companion(ctx, key)  # the companion injection after dose `number`


def _choices(options: PlanOptions) -> tuple[object, ...]:
    """The options but `until`, as plain values (compared for every calendar built)."""
    return options.interval_days, options.calendar_month, options.precautions
