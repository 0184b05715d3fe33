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
    days, series = regimen.ssa.washout_days, regimen.dose.series
    ssa_days = []  # (index, day as an ordinal): days apart as whole numbers
    doses = []
    for i, e in enumerate(events):
        if e.series in SSA_SERIES and e.status not in _WONT_HAPPEN:
            ssa_days.append((i, (e.given_on or e.date).toordinal()))
        if e.series == series and e.status not in _NO_DAY:
            doses.append((i, (e.given_on or e.date).toordinal()))
    # a held dose has no day yet: it moves past its hold
    others = [d.toordinal() for d in other_ssa]
    conflicted: set[int] = set()
    for i, day in doses:
        hits = [j for j, d in ssa_days if 0 < day - d < days]
        if hits or any(0 < day - d < days for d in others):
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
    labs, doses = _by_number(events, regimen.dose.series, "labs", Kind.LAB)
    out = None
    for i in doses if labs else ():
        event = events[i]
        lab = labs.get(event.number)
        if lab is None:
            continue
        if (
            event.status in (Status.DUE, Status.OVERDUE, Status.MISSED)
            and lab.status is not Status.GIVEN
        ) or (event.status is Status.GIVEN and lab.status is Status.NOT_DONE):
            flag = Flag.LABS_MISSING
        elif Flag.LABS_STALE in lab.flags and event.status not in _WONT_HAPPEN:
            flag = Flag.LABS_STALE
        else:
            continue
        out = out or list(events)
        out[i] = event.with_flags(flag)
    return events if out is None else out


def flag_pregnancy(regimen: Regimen, events: list[Event]) -> list[Event]:
    """pregnancy-test-missing: a dose that is due, late or missed with no pregnancy test
    recorded for it, one given without it (the test is then `not-done`), or one whose test was
    taken too long before it to count (it then carries labs-stale)."""
    tests, doses = _by_number(events, regimen.dose.series, PREGNANCY_TEST, None)
    out = None
    for i in doses if tests else ():
        event = events[i]
        test = tests.get(event.number)
        if test is not None and _untested(event, test):
            out = out or list(events)
            out[i] = event.with_flags(Flag.PREGNANCY_TEST_MISSING)
    return events if out is None else out


def _by_number(
    events: list[Event], dose_series: str, series: str, kind: Kind | None
) -> tuple[dict[int, Event], list[int]]:
    """The events of `series` (and `kind`, if given) by number, the last of a number winning,
    and the places of the doses of the dose series."""
    found: dict[int, Event] = {}
    doses = []
    for i, e in enumerate(events):
        if e.series == series and (kind is None or e.kind is kind):
            found[e.number] = e
        if e.series == dose_series:
            doses.append(i)
    return found, doses


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
