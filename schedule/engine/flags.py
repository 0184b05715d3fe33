"""Flags that look across a whole course's events, after the engine has built them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from schedule.domain.model import SSA_SERIES, Event, Flag, Kind, Status
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
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


def flag_pregnancy(regimen: Regimen, events: list[Event]) -> list[Event]:
    """pregnancy-test-missing: a dose that is due, late or missed with no pregnancy test
    recorded for it, one given without it (the test is then `not-done`), or one whose test was
    taken too long before it to count (it then carries labs-stale)."""
    tests = {e.number: e for e in events if e.series == PREGNANCY_TEST}
    if not tests:
        return events
    out = []
    for event in events:
        test = tests.get(event.number)
        if event.series == regimen.dose.series and test is not None and _untested(event, test):
            event = event.with_flags(Flag.PREGNANCY_TEST_MISSING)
        out.append(event)
    return out


def _untested(dose: Event, test: Event) -> bool:
    return (
        (dose.status in _PENDING and test.status is not Status.GIVEN)
        or (dose.status is Status.GIVEN and test.status is Status.NOT_DONE)
        or (Flag.LABS_STALE in test.flags and dose.status not in _WONT_HAPPEN)
    )


def flag_orders(regimen: Regimen, events: list[Event]) -> list[Event]:
    """order-late: an order deadline that passed with no order recorded, while its dose can
    still be given (planned, due or late): it belongs on the due list, not nowhere."""
    orders = regimen.order_series
    if not orders:
        return events
    waiting = {
        e.number for e in events if e.series == regimen.dose.series and e.status in _CAN_BE_GIVEN
    }
    return [
        e.with_flags(Flag.ORDER_LATE)
        if e.series in orders
        and e.status is Status.PAST
        and e.given_on is None
        and e.number in waiting
        else e
        for e in events
    ]


_WONT_HAPPEN = (Status.SKIPPED, Status.CANCELLED)
_NO_DAY = (Status.SKIPPED, Status.CANCELLED, Status.HELD)
_PENDING = (Status.DUE, Status.OVERDUE, Status.MISSED)
_CAN_BE_GIVEN = (Status.PLANNED, Status.DUE, Status.OVERDUE)
