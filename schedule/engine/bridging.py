"""Long-acting SSA injections that bridge a hold of a radioligand course (series `ssa-bridge`).

While a dose waits on a hold, the monthly injection that keeps a functional tumour's symptoms
under control goes on every 4 weeks from the last one (L20, S1): one injection is planned at a
time while the hold is open (the next one due). Once the hold ends, those planned at least the
washout before the re-planned dose stay (L15, L19), and the dose moves to the first day that is
both orderable and the washout after the last bridging injection. A dose a hold does not delay
past one interval after the last injection needs no bridge. Site setting `ssa_bridging` turns
the planned ones off; those recorded always show and count for the washout.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from schedule.domain.model import SSA_BRIDGE, Event, Status
from schedule.engine.companions import ssa_event
from schedule.engine.context import Context
from schedule.engine.facts import Hold


def bridging(
    ctx: Context,
    state: _State,
    k: int,
    target: date,
    hold: Hold,
    held: bool,
    given_day: date | None,
) -> tuple[list[Event], date]:
    """The bridging injections before dose k and the dose's target after them. `given_day`:
    the day dose k was given, if it was: the injections recorded before it are this hold's
    (one recorded later belongs to a later hold), and a dose given keeps its target."""
    ssa, anchor = ctx.regimen.ssa, state.last_ssa_anchor
    if ssa is None or anchor is None:
        return [], target
    every = timedelta(days=ssa.maintenance_every)
    washout = timedelta(days=ssa.washout_days)
    interval = timedelta(days=ctx.options.interval_days or ctx.regimen.dose.interval_days)
    planned = ctx.settings.ssa_bridging  # off: only what was recorded
    if held:  # the next one due while the hold lasts
        needed, limit = planned, date.max
    else:  # those the washout before the re-planned dose still allows
        needed, limit = planned and target - anchor > interval, target - washout
    window = ssa.maintenance_window
    late = timedelta(days=ctx.window_after(window))
    title = f"{ssa.maintenance_title} during the hold"
    events: list[Event] = []
    last: date | None = None
    number = state.bridges
    while True:
        key = f"{SSA_BRIDGE}-{number + 1}"
        fact = ctx.facts.given.get(key)
        if fact is not None and given_day is not None and fact.date >= given_day:
            break  # given after this dose: a later hold's
        moved = ctx.facts.moved.get(key)
        day = moved.date if moved else max(anchor + every, hold.start)
        if fact is None and (not needed or day > limit):
            break
        number += 1
        early = day - timedelta(days=ctx.window_before(window))
        status, given_on = ctx.recorded(key, day, early, day + late)
        if held or ctx.pending_actual(day) <= limit:  # S9: due until given or skipped
            status = ctx.still_due(status, SSA_BRIDGE, number)  # (while it still fits)
        event = ssa_event(ctx, key, number, title, early, day, day + late, status, given_on)
        events.append(event._replace(series=SSA_BRIDGE))
        if status is Status.CANCELLED:
            break  # the course stopped: nothing more bridges it
        if status is Status.SKIPPED:
            anchor = day
            continue
        anchor = given_on or ctx.pending_actual(day)
        last = given_on or last  # only one given moves the dose: one planned fits before it
        if held and given_on is None:
            break  # one at a time while the hold is open
    state.bridges = number
    state.last_ssa_anchor = anchor if events else state.last_ssa_anchor
    if last is not None and not held and given_day is None:
        target = max(target, last + washout)
    return events, target


class _State(Protocol):
    """What `bridging` reads and writes of the series' state (`doses.SeriesState`): the last
    long-acting SSA so far (after the bridges: the last of them) and the bridges' count."""

    last_ssa_anchor: date | None
    bridges: int
