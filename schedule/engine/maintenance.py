"""After the dose series: maintenance SSA injections after the last dose, and the follow-up
events (labs, scans, end dates) counted from the last dose of the course."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from schedule.domain.dates import add_months
from schedule.domain.model import Event, Kind, Status
from schedule.domain.regimen import AfterCourse, Regimen
from schedule.engine.companions import ssa_event
from schedule.engine.context import Context
from schedule.engine.status import info_status


def maintenance_events(ctx: Context, anchor: date | None) -> list[Event]:
    """After the last dose: SSA every N days until M months after the start (L20)."""
    ssa, count = ctx.regimen.ssa, ctx.regimen.dose.count
    events: list[Event] = []
    if ssa is None or anchor is None or count is None:
        return events
    until = add_months(ctx.start, ssa.maintenance_until_months)
    window = ssa.maintenance_window
    title = ssa.maintenance_title
    stop = ctx.facts.discontinued
    number = count
    recorded_up_to = _last_recorded(ctx, "ssa") if ctx.cutoff is not None else 0
    reach = timedelta(days=_scan_reach(ctx))
    while True:
        number += 1
        key = f"ssa-{number}"
        moved = ctx.facts.moved.get(key)
        target = moved.date if moved else anchor + timedelta(days=ssa.maintenance_every)
        if stop is not None and moved is None and ctx.care_goes_on():
            target = max(target, stop)  # after a discontinuation: from its day on
        ended = not ctx.care_goes_on() and ctx.cancelled_after(target)
        if key not in ctx.facts.given and (target > until or ended):
            return events
        w_start = target - timedelta(days=ctx.window_before(window))
        if number > recorded_up_to and ctx.beyond(w_start - reach, key):
            return events  # opens past the cutoff, and nothing later is recorded
        w_end = target + timedelta(days=ctx.window_after(window))
        status, given_on = ctx.recorded(key, target, w_start, w_end, after_course=True)
        status = ctx.still_due(status, "ssa", number)  # S9: stays due until given or skipped
        events.append(ssa_event(ctx, key, number, title, w_start, target, w_end, status, given_on))
        skipped = status is Status.SKIPPED
        anchor = target if skipped else given_on or ctx.pending_actual(target)


def _scan_reach(ctx: Context) -> int:
    """Days past a cutoff that maintenance injections are still built for: a follow-up event
    open by the cutoff lands before the nearest injection in its window (`before_ssa`), so
    those injections must be known."""
    settings = ctx.settings
    return _reach(ctx.regimen, settings.ssa_early_tolerance_days, settings.ssa_late_tolerance_days)


@lru_cache(maxsize=256)
def _reach(regimen: Regimen, early: int, late: int) -> int:
    """`_scan_reach` of a regimen with the site's default windows (`Context.window_before`,
    `window_after`): the same for all its courses."""
    return max(
        (
            (early if a.window.before is None else a.window.before)
            + (late if a.window.after is None else a.window.after)
            + a.before_ssa
            for a in regimen.after_course
            if a.before_ssa and a.window is not None
        ),
        default=0,
    )


def _last_recorded(ctx: Context, series: str) -> int:
    """The highest number of the series that is given or moved (0 for none)."""
    prefix = f"{series}-"
    numbers = [
        int(key[len(prefix) :])
        for key in (*ctx.facts.given, *ctx.facts.moved)
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    ]
    return max(numbers, default=0)


def after_course_events(
    ctx: Context, events: Sequence[Event], last_given: date | None
) -> list[Event]:
    """Follow-up labs, scans and end dates, counted from the last dose (given or planned).

    `events` are those built so far. A course discontinued before its last dose counts from
    the discontinuation (after at least one dose given); one discontinued with the care
    ended has none.
    """
    stop = ctx.facts.discontinued
    last: date | None
    held = False  # the last dose waits on a hold: what counts from it waits too
    if stop is not None:
        if last_given is None or not ctx.care_goes_on():
            return []
        series = ctx.regimen.dose.series
        cut_short = any(e.series == series and e.status is Status.CANCELLED for e in events)
        last = stop if cut_short else last_given
    else:
        series = ctx.regimen.dose.series
        final = next(
            (e for e in reversed(events) if e.series == series and e.status is not Status.SKIPPED),
            None,
        )
        last = final.given_on or final.date if final is not None else None
        held = final is not None and final.status is Status.HELD
    if last is None:
        return []
    ssa_days: list[date] | None = None  # the injections' days, for an item `before_ssa`
    # The end dates of the periods after the last dose (L39, L40) count from the last dose
    # given, even when the care after a discontinuation counts from its day; they and the
    # other items may belong to one precaution variant (jurisdiction) only.
    built = []
    for item in ctx.regimen.after_course_for(ctx.precaution_variant()):
        if ctx.informational or item.kind.recordable:
            start = last if item.kind.recordable or stop is None else last_given or last
            if _surely_beyond(ctx, item, start):
                continue  # what `_after_event` would say, without working out its days
            if item.before_ssa and ssa_days is None:
                ssa_days = [
                    e.effective_date
                    for e in events
                    if e.series == "ssa" and e.kind is Kind.DOSE and e.status not in _WONT_HAPPEN
                ]
            event = _after_event(ctx, item, start, ssa_days or ())
            if event is not None:
                if held and event.given_on is None and event.status is not Status.SKIPPED:
                    event = event._replace(status=Status.HELD)
                built.append(event)
    return built


_WONT_HAPPEN = (Status.SKIPPED, Status.CANCELLED)


def _surely_beyond(ctx: Context, item: AfterCourse, last: date) -> bool:
    """Whether `_after_event` leaves the item out for its window opening past the cutoff,
    known from a day its window cannot open before: `add_months` adds at least 28 days a
    month (a month's end clamps to a shorter month's, never more than the months between
    make up)."""
    cutoff = ctx.cutoff
    if cutoff is None or item.key in ctx.facts.given:
        return False
    before = ctx.window_before(item.window) if item.window is not None else 0
    return last + timedelta(days=28 * item.months + item.days - before) > cutoff


def _after_event(
    ctx: Context, item: AfterCourse, last: date, ssa_days: Sequence[date] = ()
) -> Event | None:
    """One follow-up event, its window (if any) around its day; None when its window opens
    past the cutoff with nothing recorded for it. An item with `before_ssa` lands that many
    days before the SSA injection nearest its day inside its window (R12), if there is one."""
    day = add_months(last, item.months) + timedelta(days=item.days)
    if item.window is not None:
        w_start = day - timedelta(days=ctx.window_before(item.window))
        w_end = day + timedelta(days=ctx.window_after(item.window))
    else:
        w_start = w_end = day
    if ctx.beyond(w_start, item.key):
        return None  # (its window does not move with `before_ssa`)
    if item.before_ssa:
        shift = timedelta(days=item.before_ssa)
        near = [d - shift for d in ssa_days if w_start <= d - shift <= w_end]
        if near:
            day = min(near, key=lambda d: (abs((d - day).days), d))
    given_on = None
    if item.kind.recordable:
        status, given_on = ctx.recorded(item.key, day, w_start, w_end, after_course=True)
    else:
        status = info_status(ctx.as_of, day, day)
    return Event(
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
