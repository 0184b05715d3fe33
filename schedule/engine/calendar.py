"""The calendar engine: a pure function from (regimen, start, facts, as-of date) to events.

No clock, no I/O. With no facts it projects the plan; with facts it re-anchors: the next dose
counts from the day the previous one was really given, and a dose still pending past its target
pushes the projection of the later ones to the as-of date (it cannot happen before today).

The events are built in order (the dose series with the events around each dose, maintenance
SSA, after-course events), flagged across the course, then sorted by date, stable on that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from operator import attrgetter

from schedule.domain.errors import InputError
from schedule.domain.model import Event, Fact
from schedule.domain.options import DEFAULT_OPTIONS, PlanOptions, check_options
from schedule.domain.regimen import Regimen
from schedule.domain.settings import Settings
from schedule.engine.context import Context
from schedule.engine.doses import dose_series
from schedule.engine.facts import FactIndex
from schedule.engine.flags import flag_labs, flag_orders, flag_pregnancy, flag_washout
from schedule.engine.maintenance import after_course_events, maintenance_events
from schedule.engine.modify import Decision
from schedule.engine.series import SeriesState

DEFAULT_SETTINGS = Settings()


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
    cutoff: date | None = None,
    lean: bool = False,
    pregnancy_test: bool = False,
) -> tuple[Event, ...]:
    """The course's events in date order.

    `as_of=None` projects the plan (every event `planned`). `other_ssa` lists the days of
    long-acting SSA injections from the patient's other courses, for the washout check.
    `informational=False` leaves out deadlines, reminders and precautions (for worklists);
    `cutoff` leaves out maintenance injections and care after the course planned past it
    (a worklist's horizon: nothing there can be listed); `lean` is the calendar a record is
    checked against (see `Context.lean`); `pregnancy_test`: a pregnancy test before each
    radioligand dose (`Patient.pregnancy_test`; `schedule.domain.pregnancy`).
    """
    if type(facts) in (list, tuple) and not facts:  # nothing recorded: the plan as of a day
        return _unrecorded(
            regimen, start, as_of, options, settings, tuple(other_ssa), informational, cutoff,
            lean, pregnancy_test,
        )  # fmt: skip
    return _build(
        regimen, start, facts, as_of, options, settings, other_ssa, informational, cutoff, lean,
        pregnancy_test,
    )  # fmt: skip


@lru_cache(maxsize=4096)
def _unrecorded(
    regimen: Regimen,
    start: date,
    as_of: date | None,
    options: PlanOptions,
    settings: Settings,
    other_ssa: tuple[date, ...],
    informational: bool,
    cutoff: date | None,
    lean: bool,
    pregnancy_test: bool,
) -> tuple[Event, ...]:
    """The calendar of a course with nothing recorded, kept by its arguments: a roster import
    remembers thousands of new courses, most of them sharing a regimen and a start."""
    return _build(
        regimen, start, (), as_of, options, settings, other_ssa, informational, cutoff, lean,
        pregnancy_test,
    )  # fmt: skip


def _build(
    regimen: Regimen,
    start: date,
    facts: Iterable[Fact],
    as_of: date | None,
    options: PlanOptions,
    settings: Settings,
    other_ssa: Sequence[date],
    informational: bool,
    cutoff: date | None,
    lean: bool,
    pregnancy_test: bool,
) -> tuple[Event, ...]:
    ctx = course_context(
        regimen, start, facts, as_of, options, settings, informational, cutoff, lean,
        pregnancy_test,
    )  # fmt: skip
    events, state = dose_series(ctx)
    return finish(ctx, events, state, other_ssa)


def course_context(
    regimen: Regimen,
    start: date,
    facts: Iterable[Fact],
    as_of: date | None,
    options: PlanOptions,
    settings: Settings,
    informational: bool,
    cutoff: date | None,
    lean: bool,
    pregnancy_test: bool,
) -> Context:
    """The context a course's calendar is built in, its choices checked."""
    check_options(regimen, options)
    variant = options.precautions or settings.precautions
    if variant is not None and regimen.precautions and variant not in regimen.precaution_variants:
        raise InputError(
            f"precautions {variant!r} unknown for {regimen.id!r}; "
            f"choose {' or '.join(regimen.precaution_variants)}"
        )
    return Context(
        regimen,
        start,
        FactIndex.from_facts(facts),
        as_of,
        options,
        settings,
        informational,
        cutoff,
        lean,
        pregnancy_test,
    )


def finish(
    ctx: Context, events: list[Event], state: SeriesState, other_ssa: Sequence[date] = ()
) -> tuple[Event, ...]:
    """The calendar from its dose series (`events`, extended here, and the state after it):
    the maintenance injections and the care after the course, the course-wide flags, in date
    order."""
    regimen = ctx.regimen
    if not state.cut_short:  # a lean calendar that stopped early has nothing after the doses
        events += maintenance_events(ctx, state.last_ssa_anchor)
        events += after_course_events(ctx, events, state.last_given)
    if not ctx.lean:  # a record's guards look at no flag
        events = flag_washout(regimen, events, other_ssa)
        events = flag_labs(regimen, events)
        if ctx.pregnancy_test:
            events = flag_pregnancy(regimen, events)
        events = flag_orders(regimen, events)
    events.sort(key=_BY_DAY)  # stable: events of one day keep the order they were built in
    return tuple(events)


def dose_decisions(
    regimen: Regimen,
    start: date,
    facts: Iterable[Fact] = (),
    *,
    as_of: date | None = None,
    options: PlanOptions = DEFAULT_OPTIONS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Decision]:
    """Why each dose of the course is expected at its amount, and the stop rules met
    (`engine.modify`), by dose key: what `build_calendar` decided along the way."""
    ctx = Context(regimen, start, FactIndex.from_facts(facts), as_of, options, settings, False)
    return dose_series(ctx)[1].decisions


_BY_DAY = attrgetter("date", "end")
