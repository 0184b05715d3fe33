"""Long-acting SSA injections that bridge a hold of a radioligand course (series `ssa-bridge`).

While a dose waits on a hold, the monthly injection that keeps a functional tumour's symptoms
under control goes on every 4 weeks from the last one (L20, S1): one injection is planned at a
time while the hold is open (the next one due). Once the hold ends, those planned at least the
washout before the re-planned dose stay (L15, L19), and the dose moves to the first day that is
both orderable and the washout after the last bridging injection. A dose a hold does not delay
past one interval after the last injection needs no bridge. Site setting `ssa_bridging` turns
them off.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from schedule.domain.model import SSA_BRIDGE, Event, Status
from schedule.engine.companions import ssa_event
from schedule.engine.context import Context
from schedule.engine.facts import Hold


def bridging(
    ctx: Context, state: _State, k: int, target: date, hold: Hold, held: bool
) -> tuple[list[Event], date]:
    """The bridging injections before dose k and the dose's target after them."""
    ssa, anchor = ctx.regimen.ssa, state.last_ssa_anchor
    if ssa is None or anchor is None:
        return [], target
    every = timedelta(days=ssa.maintenance_every)
    washout = timedelta(days=ssa.washout_days)
    interval = timedelta(days=ctx.options.interval_days or ctx.regimen.dose.interval_days)
    if held:  # the next one due while the hold lasts
        needed, limit = True, max(ctx.as_of or hold.start, hold.start) + every
    else:  # those the washout before the re-planned dose still allows
        needed, limit = target - anchor > interval, target - washout
    window = ssa.maintenance_window
    late = timedelta(days=ctx.window_after(window))
    title = f"{ssa.maintenance_title} during the hold"
    events: list[Event] = []
    last: date | None = None
    number = state.bridges
    while True:
        key = f"{SSA_BRIDGE}-{number + 1}"
        moved = ctx.facts.moved.get(key)
        day = moved.date if moved else max(anchor + every, hold.start)
        if key not in ctx.facts.given and (not needed or day > limit):
            break
        number += 1
        early = day - timedelta(days=ctx.window_before(window))
        status, given_on = ctx.recorded(key, day, early, day + late)
        status = ctx.still_due(status, SSA_BRIDGE, number)  # S9: due until given or skipped
        event = ssa_event(ctx, key, number, title, early, day, day + late, status, given_on)
        events.append(event._replace(series=SSA_BRIDGE))
        if status is Status.SKIPPED or status is Status.CANCELLED:
            anchor = day
            continue
        anchor = given_on or ctx.pending_actual(day)
        last = given_on or last  # only one given moves the dose: one planned fits before it
    state.bridges = number
    if last is not None and not held:
        target = max(target, last + washout)
    return events, target


class _State(Protocol):
    """What `bridging` reads and writes of the series' state (`doses.SeriesState`)."""

    last_ssa_anchor: date | None
    bridges: int
