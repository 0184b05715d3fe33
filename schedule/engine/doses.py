"""The main dose series, each dose followed by the events around it.

With no facts each dose is one interval after the last. With facts the series re-anchors: the
next dose counts from the day the previous one was really given, a dose still pending past its
target pushes the later ones to the as-of date, and a toxicity hold pushes the next dose past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from schedule.domain.dates import add_months, on_or_before_weekday
from schedule.domain.model import Event, Fact, Flag, Kind, Status
from schedule.domain.regimen import DoseKind, Regimen, Related
from schedule.engine.bridging import bridging
from schedule.engine.companions import companion_ssa, related_event, related_names
from schedule.engine.context import Context, event_title
from schedule.engine.facts import Hold
from schedule.engine.modify import Decision, after_dose, below_expected, decide
from schedule.engine.series import SeriesPlan, SeriesState, Step
from schedule.engine.status import ParentDose

_WONT_HAPPEN = (Status.SKIPPED, Status.CANCELLED)


def dose_series(
    ctx: Context,
    steps: list[Step] | None = None,
    resume: Step | None = None,
    before: Sequence[Event] = (),
) -> tuple[list[Event], SeriesState]:
    """The doses in order, each followed by its events; and the state after the last dose.
    `steps`: where the series stood before each dose is added to it (`Step`); `resume`: the
    series is built from that step on, `before` holding the events built before it (the
    caller knows that nothing before dose `resume.k` changed: `engine.resume`)."""
    # long: one loop carries the series' state from dose to dose, and each of its steps is a
    # function already; what is left is their order, read best in one place.
    dose = ctx.regimen.dose
    plan = SeriesPlan.of(ctx)
    horizon = ctx.options.until or (
        max(ctx.start, ctx.as_of or ctx.start) + timedelta(days=ctx.settings.horizon_days)
    )  # an open-ended series stops here
    if resume is None:
        state, events, k = SeriesState(anchor=ctx.start), [], 0
    else:
        state, events, k = resume.state.copy(), list(before[: resume.built]), resume.k - 1
    given, count, title = ctx.facts.given, dose.count, dose.title
    while count is None or k < count:
        k += 1
        if steps is not None:
            steps.append(Step(k, len(events), state.copy()))
        key = f"{dose.series}-{k}"
        projected = _projected(plan, state)
        given_fact = given.get(key)
        if given_fact is None and count is None and _past_the_end(ctx, horizon, projected):
            break
        moved = ctx.facts.moved.get(key)
        target = moved.date if moved else projected
        if ctx.lean and _lean_stop(ctx, plan, k, key, target):
            state.cut_short = True
            break
        target, holds, held = _apply_hold(ctx, state, k, target)
        # Most doses: no hold since the previous one and nothing modified before.
        touched = bool(holds) or bool(state.level.why)
        decision = decide(ctx.regimen, state.own_level(), holds) if touched else plan.full
        if holds and k > 1:  # none without an SSA (`bridging` says)
            given_day = given_fact.date if given_fact is not None else None
            bridges, target = bridging(ctx, state, k, target, holds[-1], held, given_day)
            events += bridges
        if k == 1 and plan.first is not None and not decision.reduced:
            decision = decision._replace(amount=dose.amount_of(1)[0])  # a loading dose (H1)
        state.decisions[key] = decision
        w_start, w_end = target - plan.before, target + plan.after
        status, given_on = ctx.recorded(key, target, w_start, w_end, held=held)
        if dose.kind is DoseKind.LONG_ACTING_SSA or dose.kind is DoseKind.HORMONE:
            status = ctx.still_due(status, dose.series, k)  # S9: stays due until given
        dose_text, flags = _amount(ctx, plan, given_fact, decision, k)
        actual = _actual(ctx, status, given_on, target)
        if decision.toxic is not None and _over_max_delay(
            ctx, state, status, given_on, actual, projected, decision.toxic
        ):
            flags.append(Flag.MAX_DELAY_EXCEEDED)
        if decision.stop is not None and status is not Status.CANCELLED:
            flags.append(Flag.DISCONTINUE_PER_LABEL)
        flags += record_flags(ctx, key, given_on, w_start, w_end)
        events.append(
            Event(
                key=key,
                kind=Kind.DOSE,
                series=dose.series,
                number=k,
                title=event_title(title, k, count),
                date=target,
                end=target,
                window_start=w_start,
                window_end=w_end,
                status=status,
                given_on=given_on,
                drug=dose.drug,
                dose=dose_text,
                flags=tuple(flags),
                description=dose.description,
            )
        )
        if touched:
            after_dose(state.level, given_on is not None, status in _WONT_HAPPEN)
        if plan.needs_parent:
            parent = _parent(status, given_on, target, actual)
            _add_around(ctx, plan, state, events, k, parent)
        _advance(state, status, given_on, actual, projected)
    return events, state


def _parent(status: Status, given_on: date | None, target: date, actual: date) -> ParentDose:
    """The dose the events around it hang on (`ParentDose`)."""
    after = given_on or (target if status in _WONT_HAPPEN else actual)
    return ParentDose(status=status, before=given_on or target, after=after)


def parent_of(ctx: Context, dose: Event) -> ParentDose:
    """`_parent` of a dose event the series built (its target is its day)."""
    status, given_on, target = dose.status, dose.given_on, dose.date
    return _parent(status, given_on, target, _actual(ctx, status, given_on, target))


def _projected(plan: SeriesPlan, state: SeriesState) -> date:
    """The next dose's day by the rhythm alone: whole intervals (or months) from the anchor."""
    if plan.months:
        return add_months(state.anchor, state.steps * plan.months)
    return state.anchor + plan.interval * state.steps


def _lean_stop(ctx: Context, plan: SeriesPlan, k: int, key: str, target: date) -> bool:
    """Whether a lean calendar stops before dose k: a later dose than the first, its window
    opening past the cutoff, with nothing recorded for it."""
    cutoff = ctx.cutoff
    return (
        ctx.lean
        and cutoff is not None
        and k > 1
        and target - plan.before > cutoff
        and key not in ctx.facts.given
        and key not in ctx.facts.skipped
    )


def _past_the_end(ctx: Context, horizon: date, projected: date) -> bool:
    """Whether an open-ended series stops before this dose: past the horizon, or discontinued."""
    return projected > horizon or ctx.cancelled_after(projected)


def _apply_hold(
    ctx: Context, state: SeriesState, k: int, target: date
) -> tuple[date, list[Hold], bool]:
    """The target after the holds begun since the previous dose, those holds, and whether
    the dose is held still. A dose waits for its hold to end, then for the first day it can
    still be ordered for (L41); its window follows the new target, given or not."""
    if not ctx.facts.holds:
        return target, [], False
    since = state.last_given or date.min  # a hold before dose 1 (even before the start) holds it
    key = f"{ctx.regimen.dose.series}-{k}"
    holds = ctx.facts.holds_for(since, key, state.used_holds)
    state.used_holds = state.used_holds | {h.start for h in holds}  # a copy may share it
    if not holds:
        return target, holds, False
    last = holds[-1]
    if last.end is None:
        return target, holds, True
    return first_orderable(ctx.regimen, k, max(target, last.end), last.end), holds, False


def first_orderable(regimen: Regimen, k: int, day: date, since: date) -> date:
    """The first day from `day` on whose dose k can still be ordered on or after `since`:
    every order deadline of the dose falls on or after `since`."""
    orders = [r for r in regimen.related if r.order and (not r.doses or k in r.doses)]
    while any(order_deadline(r, day) < since for r in orders):
        day += timedelta(days=1)
    return day


def order_deadline(related: Related, dose_day: date) -> date:
    """When the order of a dose on `dose_day` must be placed."""
    day = dose_day + timedelta(days=related.start)
    return on_or_before_weekday(day, related.weekday) if related.weekday else day


def record_flags(
    ctx: Context, key: str, given_on: date | None, w_start: date, w_end: date
) -> list[Flag]:
    """Flags a dose carries from its own record: given outside its window, or recorded past
    a guard by a clinician's override."""
    flags = []
    if given_on is not None and not w_start <= given_on <= w_end:
        flags.append(Flag.OUTSIDE_WINDOW)
    if ctx.facts.overridden(key):
        flags.append(Flag.OVERRIDE)
    return flags


def _amount(
    ctx: Context, plan: SeriesPlan, given_fact: Fact | None, decision: Decision, k: int
) -> tuple[str, list[Flag]]:
    """The dose as text (as recorded, else the expected amount) and its flags: reduced-dose
    when below the full dose (a loading dose 1: below the loading amount), dose-below-expected
    when recorded below the expected amount by more than the site's tolerance
    (`dose_tolerance_percent`)."""
    first = plan.first if k == 1 else None
    if given_fact is not None and given_fact.dose is not None:
        amount = given_fact.dose
        text = amount.text
        if first is not None:
            loaded = amount.dimension == plan.full_dimension and amount.base < first[1]
            flags = [Flag.REDUCED_DOSE] if loaded else []
        else:
            lower = plan.lower.get(text)
            if lower is None:
                lower = plan.lower[text] = (
                    amount.dimension == plan.full_dimension and amount.base < plan.full_base
                )
            flags = [Flag.REDUCED_DOSE] if lower else []
        if below_expected(amount, decision.amount, ctx.settings.dose_tolerance_percent):
            flags.append(Flag.DOSE_BELOW_EXPECTED)
        return text, flags
    if first is not None and not decision.reduced:
        return first[0], []
    if decision.reduced:
        return plan.reduced_text, [Flag.REDUCED_DOSE]
    return plan.full_text, []


def _actual(ctx: Context, status: Status, given_on: date | None, target: date) -> date:
    """The day the dose happened, or can still happen; a skipped or cancelled dose keeps its
    target."""
    if status in _WONT_HAPPEN:
        return target
    if given_on is not None:
        return given_on
    return ctx.pending_actual(target)


def _over_max_delay(
    ctx: Context,
    state: SeriesState,
    status: Status,
    given_on: date | None,
    actual: date,
    planned: date,
    toxic_from: date,
) -> bool:
    """max-delay-exceeded: a toxicity hold delays the dose (the caller checks), and it is
    given, or still not given, the regimen's maximum delay or more past its planned date (one
    interval after the previous dose given; L12: for Lutathera 8 + 16 weeks after it; R16 for
    Pluvicto). Counted for a dose after one given, that will happen, with a known day, and no
    earlier dose still pending; a skipped dose is no delay."""
    limit = ctx.regimen.dose.max_delay_days
    if not limit or state.pending_before or state.last_given is None:
        return False
    if (toxic_from - planned).days >= limit:
        return False  # the toxicity began after the limit had passed: it delayed nothing
    if status is Status.SKIPPED or status is Status.CANCELLED:
        return False
    if ctx.as_of is None and given_on is None:
        return False
    return (actual - planned).days >= limit


def _add_around(
    ctx: Context,
    plan: SeriesPlan,
    state: SeriesState,
    events: list[Event],
    k: int,
    parent: ParentDose,
) -> None:
    """The related events and the companion SSA of dose k; maintenance counts from the SSA."""
    names, count = plan.names, ctx.regimen.dose.count
    for i, related in enumerate(plan.around_dose):
        if not related.doses or k in related.doses:
            named = names.get((i, k))
            if named is None:
                named = names[i, k] = related_names(related, k, count)
            events.append(related_event(ctx, related, k, parent, plan.around_days[i], named))
    if ctx.regimen.ssa is not None:
        ssa = companion_ssa(ctx, k, parent)
        events.append(ssa)
        if ssa.status not in (Status.SKIPPED, Status.CANCELLED, Status.HELD):  # a day it has
            state.last_ssa_anchor = ssa.given_on or ctx.pending_actual(ssa.date)


def _advance(
    state: SeriesState, status: Status, given_on: date | None, actual: date, projected: date
) -> None:
    """Carry the dose into the state: the last dose given, whether one is pending, and the
    anchor (re-anchored on the dose's day when it moved off the rhythm)."""
    if given_on is not None:
        state.last_given = given_on
    elif status is not Status.SKIPPED:
        state.pending_before = True
    if actual == projected:
        state.steps += 1
    else:
        state.anchor, state.steps = actual, 1
