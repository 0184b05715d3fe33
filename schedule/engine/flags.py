"""Flags that look across a whole course's events, after the engine has built them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from schedule.domain.model import SSA_SERIES, Event, Flag, Kind, Status
from schedule.domain.regimen import Regimen


def flag_washout(regimen: Regimen, events: list[Event], other_ssa: Sequence[date]) -> list[Event]:
    """ssa-washout-conflict: a long-acting SSA, planned or given, under N days before a dose."""
    if regimen.ssa is None:
        return events
    days = regimen.ssa.washout_days
    ssa_days = [
        (i, e.effective_date)
        for i, e in enumerate(events)
        if e.series in SSA_SERIES and e.status not in (Status.SKIPPED, Status.CANCELLED)
    ]
    conflicted: set[int] = set()
    for i, event in enumerate(events):
        if event.series != regimen.dose.series or event.status in _NO_DAY:
            continue  # a held dose has no day yet: it moves past its hold
        day = event.effective_date
        hits = [j for j, d in ssa_days if 0 < (day - d).days < days]
        if hits or any(0 < (day - d).days < days for d in other_ssa):
            conflicted.update([i, *hits])
    if not conflicted:
        return events
    return [
        e.with_flags(Flag.SSA_WASHOUT_CONFLICT) if i in conflicted else e
        for i, e in enumerate(events)
    ]


def flag_labs(regimen: Regimen, events: list[Event]) -> list[Event]:
    """labs-missing: a dose that is due, late or missed with no labs recorded for it, or one
    given without them (its labs are then `not-done`). labs-stale: its labs were recorded too
    long before it to count (L28; the lab event carries the flag, see `related_event`)."""
    labs = {e.number: e for e in events if e.series == "labs" and e.kind is Kind.LAB}
    if not labs:
        return events
    out = []
    for event in events:
        lab = labs.get(event.number)
        if event.series == regimen.dose.series and lab is not None:
            if (
                event.status in (Status.DUE, Status.OVERDUE, Status.MISSED)
                and lab.status is not Status.GIVEN
            ) or (event.status is Status.GIVEN and lab.status is Status.NOT_DONE):
                event = event.with_flags(Flag.LABS_MISSING)
            elif Flag.LABS_STALE in lab.flags and event.status not in _WONT_HAPPEN:
                event = event.with_flags(Flag.LABS_STALE)
        out.append(event)
    return out


_WONT_HAPPEN = (Status.SKIPPED, Status.CANCELLED)
_NO_DAY = (Status.SKIPPED, Status.CANCELLED, Status.HELD)
