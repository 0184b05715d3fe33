"""Events around each dose: the related events a regimen places relative to a dose (labs,
deadlines, reminders, precautions) and the companion long-acting SSA injection after it."""

from __future__ import annotations

from datetime import date, timedelta

from schedule.domain.dates import on_or_before_weekday
from schedule.domain.model import Event, Flag, Kind, Status
from schedule.domain.regimen import Related
from schedule.engine.context import Context, event_title
from schedule.engine.modify import below_expected
from schedule.engine.status import ParentDose, info_status


def related_event(
    ctx: Context,
    related: Related,
    k: int,
    parent: ParentDose,
    days: Days | None = None,
    named: Named | None = None,
) -> Event:
    """A related event of dose k, counted from before the dose (negative start) or after it.
    `days` (`related_days`) and `named` (`related_names`): when the caller has them already."""
    around = parent.before if related.start < 0 else parent.after
    start, end_days, late_days = days or related_days(related)
    day = around + start
    if related.weekday:
        day = on_or_before_weekday(day, related.weekday)
    end = day if end_days is None else around + end_days
    late = end if late_days is None else around + late_days
    key, title = named or related_names(related, k, ctx.regimen.dose.count)
    given_on = None
    flags: tuple[Flag, ...] = ()
    if related.kind.recordable:
        # Labs of a dose that was given stay as they were when the course is discontinued.
        done = parent.status is Status.GIVEN
        status, given_on = ctx.recorded(key, end, day, late, after_course=done)
        if given_on is None and status is not Status.SKIPPED:
            status = parent.dependent_status(status, follows=related.start >= 0)
            if done and pre_dose_labs(related) and status is not Status.CANCELLED:
                status = Status.NOT_DONE  # the dose was given without them: history now
        elif (
            given_on is not None
            and pre_dose_labs(related)
            and not parent.cancelled
            and labs_stale(related, given_on, parent.after)
        ):
            flags = (Flag.LABS_STALE,)
    elif related.order and key in ctx.facts.given:
        status, given_on = Status.GIVEN, ctx.facts.given[key].date  # the order is placed
    else:
        status = info_status(ctx.as_of, day, end)
        status = parent.dependent_status(status, follows=related.start >= 0)
    return Event(
        key=key,
        kind=related.kind,
        series=related.series,
        number=k,
        title=title,
        drug=None,
        dose=None,
        date=day,
        end=end,
        window_start=day,
        window_end=late,
        status=status,
        given_on=given_on,
        flags=flags,
        description=related.description,
    )


Named = tuple[str, str]  # an event's key and title


def related_names(related: Related, k: int, count: int | None) -> Named:
    """The key and title of a related event of dose k (of `count` doses)."""
    return f"{related.series}-{k}", event_title(related.title, k, count)


Days = tuple[timedelta, timedelta | None, timedelta | None]


def related_days(related: Related) -> Days:
    """A related event's day from its dose, its end's (None: its day) and the last day it
    still counts (None: its end), as spans: the same for every dose of every course."""
    end = None if related.end == related.start else timedelta(days=related.end)
    late = None if related.late_until is None else timedelta(days=related.late_until)
    return timedelta(days=related.start), end, late


def pre_dose_labs(related: Related) -> bool:
    """Labs a regimen places before each dose (L28): they serve that dose."""
    return related.kind is Kind.LAB and related.start < 0


def labs_stale(related: Related, taken: date, dose_day: date) -> bool:
    """Pre-dose labs taken longer before the dose than the regimen's window opens (`from`,
    e.g. 28 days, L28) do not count for it. `dose_day`: the day given, or the first day the
    dose can still happen."""
    return (dose_day - taken).days > -related.start


def companion_ssa(ctx: Context, k: int, parent: ParentDose) -> Event:
    """The long-acting SSA injection after dose k (key ssa-k), 4 to 24 h after it (L18). Its
    date always follows the dose: moving the dose moves it, and a dose given on another day
    takes it along. A reschedule of it alone is refused (`guards.companion_move`); one stored
    before that is not used: it was made while the dose was still to come."""
    ssa = ctx.regimen.ssa
    assert ssa is not None
    key = f"ssa-{k}"
    target = parent.after + timedelta(days=ssa.after_from)
    w_end = target + timedelta(days=ssa.after_to - ssa.after_from)
    status, given_on = ctx.recorded(key, target, target, w_end)
    if given_on is None and parent.status is not Status.SKIPPED and status is not Status.SKIPPED:
        # The LAR after a dose waits for that dose; after a skipped dose it keeps its rhythm.
        status = parent.dependent_status(status, follows=True, cancel=False)
    return ssa_event(
        ctx, key, k, event_title(ssa.title, k, None), target, target, w_end, status, given_on
    )


def ssa_event(
    ctx: Context,
    key: str,
    number: int,
    title: str,
    w_start: date,
    target: date,
    w_end: date,
    status: Status,
    given_on: date | None,
) -> Event:
    """An SSA injection of the regimen, with the amount recorded for it if any."""
    ssa = ctx.regimen.ssa
    assert ssa is not None
    fact = ctx.facts.given.get(key)
    dose = fact.dose.text if fact is not None and fact.dose is not None else ssa.amount.text
    flags = []
    tolerance = ctx.settings.dose_tolerance_percent
    if (
        fact is not None
        and fact.dose is not None
        and below_expected(fact.dose, ssa.amount, tolerance)
    ):
        flags.append(Flag.DOSE_BELOW_EXPECTED)
    if given_on is not None and not w_start <= given_on <= w_end:
        flags.append(Flag.OUTSIDE_WINDOW)
    if ctx.facts.overridden(key):
        flags.append(Flag.OVERRIDE)
    return Event(
        key=key,
        kind=Kind.DOSE,
        series="ssa",
        number=number,
        title=title,
        date=target,
        end=target,
        window_start=w_start,
        window_end=w_end,
        status=status,
        given_on=given_on,
        drug=ssa.drug,
        dose=dose,
        flags=tuple(flags),
        description=ssa.description,
    )
