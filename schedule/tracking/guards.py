"""The guards of a dose record: what could hurt a patient if it were stored as typed. Each
returns the refusals it finds (`GuardError`); `rules.check_record` lets the overridable ones
through when a clinician gives a reason, and stops at the others.

- order: a dose of a series while an earlier dose of the same series is still pending;
- spacing: a dose sooner after the previous one of its series than the regimen allows (a
  radioligand or a hormone injection (GnRH): the interval in days less the window's days
  before, L4/R1/H1-H4; a long-acting SSA injection: the site's minimum,
  `ssa_min_interval_days`, since no label gives one);
- amount: more than the full amount by over the site's tolerance (`dose_tolerance_percent`);
- window: dose 1 before its window opens (the start is the target, not a floor);
- closed: a new target on a day the clinic is closed (`site.closures`).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from schedule.domain.closures import Closures, nearest_open_days
from schedule.domain.errors import ConflictError, GuardError, Hint
from schedule.domain.model import SSA_SERIES, Event, Flag, Kind, RecordType, Status
from schedule.domain.regimen import DoseKind, Regimen
from schedule.domain.settings import Settings
from schedule.domain.units import Quantity
from schedule.engine.modify import FULL_DOSE
from schedule.engine.views import CourseView

_PENDING = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


@lru_cache(maxsize=256)
def source_id(source: str) -> str:
    """The row ids a regimen's `source` starts with: "L4: US PI ..." -> "L4"."""
    return source.split(":", 1)[0].strip()


_LATE = (Status.OVERDUE, Status.MISSED, Status.HELD)


def order_guard(view: CourseView, event: Event, done: str = "recorded") -> list[GuardError]:
    """An earlier dose of the same series still pending: the patient would be called for
    another dose while one is outstanding. Not overridable: record or skip that one first.
    A new target (`done="rescheduled"`) is refused only behind a dose already late or held:
    moving a later dose ahead of time, around one still to come, is planning."""
    pending = _PENDING if done == "recorded" else _LATE
    for other in view.events:
        if (
            other.series == event.series
            and other.kind is Kind.DOSE
            and other.number < event.number
            and other.status in pending
        ):
            pid = view.patient.id
            return [
                GuardError(
                    f"{other.key} of {pid} is still {other.status.value} (due {other.date}); "
                    f"{event.key} cannot be {done} before it",
                    overridable=False,
                    field="event",
                    hint=Hint.RECORD_OR_SKIP,
                    patient=pid,
                    event=other.key,
                )
            ]
    return []


def companion_dose(view: CourseView, event: Event) -> Event | None:
    """The radioligand dose that `event` follows when it is the long-acting SSA given 4 to 24 h
    after it (ssa-k after dose k, L18); None for any other event."""
    regimen = view.regimen
    if regimen.ssa is None or event.series != "ssa" or event.number > (regimen.dose.count or 0):
        return None
    return view.event(f"{regimen.dose.series}-{event.number}")


def companion_move(view: CourseView, event: Event) -> ConflictError | None:
    """The LAR after a dose is never moved apart from it (L18): its date follows the dose.
    The way out: move the dose (the LAR moves with it), or record the LAR when given."""
    parent = companion_dose(view, event)
    if parent is None:
        return None
    pid = view.patient.id
    if parent.given_on is None:
        way = f"reschedule {parent.key} and {event.key} moves with it"
    else:
        way = f"{parent.key} was given on {parent.given_on}: record {event.key} when it is given"
    return ConflictError(
        f"{event.key} follows {parent.key} (4 to 24 h after it, L18) and cannot move alone; " + way,
        field="event",
        patient=pid,
        event=parent.key,
    )


def companion_guard(view: CourseView, event: Event) -> list[GuardError]:
    """The long-acting SSA given after a radioligand dose (L18) waits for that dose: while the
    dose is still pending, record (or skip) it first. Not overridable."""
    parent = companion_dose(view, event)
    if parent is None or parent.status not in _PENDING:
        return []
    pid = view.patient.id
    return [
        GuardError(
            f"{event.key} follows {parent.key}, which is still {parent.status.value} (due "
            f"{parent.date}, L18)",
            overridable=False,
            field="event",
            hint=Hint.RECORD_OR_SKIP,
            patient=pid,
            event=parent.key,
        )
    ]


def minimum_gap(
    regimen: Regimen, view: CourseView, series: str, settings: Settings
) -> tuple[int, str]:
    """The fewest days between two doses of `series`, and why (the rule with its source)."""
    dose = regimen.dose
    if series == dose.series and dose.kind is not DoseKind.LONG_ACTING_SSA:
        interval = view.course.interval_days or dose.interval_days
        before = (
            settings.ssa_early_tolerance_days if dose.window.before is None else dose.window.before
        )
        sources = dict.fromkeys(source_id(s) for s in (dose.interval_source, dose.window.source))
        why = f"every {interval} days less the {before}-day window: {', '.join(sources)}"
        return interval - before, why
    days = settings.ssa_min_interval_days
    return days, f"at least {days} days between injections: site setting ssa_min_interval_days"


def spacing_guard(
    view: CourseView, event: Event, day: date, settings: Settings
) -> list[GuardError]:
    """Given sooner after the previous dose of its series than the regimen allows."""
    previous = max(
        (
            e
            for e in view.events
            if e.series == event.series
            and e.kind is Kind.DOSE
            and e.number < event.number
            and e.given_on is not None
        ),
        key=lambda e: e.number,
        default=None,
    )
    if previous is None or previous.given_on is None:
        return []
    gap, why = minimum_gap(view.regimen, view, event.series, settings)
    earliest = previous.given_on + timedelta(days=gap)
    if day >= earliest:
        return []
    days = (day - previous.given_on).days
    return [
        GuardError(
            f"{event.key} on {day} would be {days} days after {previous.key} "
            f"({previous.given_on}); the earliest is {earliest} ({why})",
            overridable=True,
            field="date",
        )
    ]


def window_guard(view: CourseView, event: Event, day: date) -> list[GuardError]:
    """Dose 1 before its window opens: it may come inside the window before the target."""
    if event.kind is not Kind.DOSE or day >= min(view.course.start, event.window_start):
        return []
    return [
        GuardError(
            f"date {day} is before {event.key}'s window opens ({event.window_start}; "
            f"the course starts {view.course.start})",
            overridable=True,
            field="date",
        )
    ]


def full_amount(regimen: Regimen, event: Event) -> tuple[Quantity, str] | None:
    """The regimen's full amount for a dose event, and its source."""
    if event.series == regimen.dose.series:
        return regimen.dose.amount_of(event.number)
    if regimen.ssa is not None and event.series in SSA_SERIES:
        return regimen.ssa.amount, regimen.ssa.amount_source
    return None


def expected_amount(
    view: CourseView, event: Event, settings: Settings, today: date
) -> tuple[Quantity, str, str] | None:
    """The amount a dose event is expected at (after the dose-modification table, for the
    main series), "full" or "expected", and why: the rule's source ids, after the table's
    decision in words where one changed the dose."""
    full = full_amount(view.regimen, event)
    if full is None:
        return None
    # Only a hold ever makes a dose's decision other than the full dose (`engine.doses`:
    # `decide` runs for a dose a hold touched, or after one): without a hold recorded, the
    # course's decisions are not built (an import checks tens of thousands of doses).
    if event.series == view.regimen.dose.series and _held(view):
        decision = view.decisions(settings, today).get(event.key)
        if decision is not None and decision.why != FULL_DOSE:  # the table changed it
            what = "expected" if decision.reduced else "full"
            return decision.amount, what, f"{decision.why}: {decision.source}"
    return full[0], "full", source_id(full[1])


def _held(view: CourseView) -> bool:
    """Whether any hold was recorded on the course (standing or not)."""
    return any(r.type is RecordType.HOLD for r in view.records)


def amount_guard(
    view: CourseView, event: Event, quantity: Quantity, settings: Settings, today: date
) -> list[GuardError]:
    """More than the expected amount by over the site's tolerance (after a toxicity, the
    reduced amount: L7, R14), or about ten times off either way: likely a typing or unit
    slip. Less than expected is recorded, and flagged `dose-below-expected`."""
    expected = expected_amount(view, event, settings, today)
    if expected is None:
        return []
    amount, what, why = expected
    tolerance = settings.dose_tolerance_percent
    ratio = quantity.base / amount.base
    if ratio >= SLIP or ratio * SLIP <= 1:
        times = f"{float(ratio):.3g} times" if ratio >= 1 else f"1/{float(1 / ratio):.3g} of"
        message = (
            f"dose {quantity} is {times} the {what} {amount} of {event.key} ({why}): "
            "likely a unit or typing slip; check the amount"
        )
    elif quantity.base * 100 > amount.base * (100 + tolerance):
        message = (
            f"dose {quantity} is more than {tolerance}% above the {what} {amount} of "
            f"{event.key} ({why}; tolerance: site setting dose_tolerance_percent)"
        )
    else:
        return []
    return [GuardError(message, overridable=True, field="dose")]


SLIP = 5  # a recorded amount this many times off the expected one is taken for a slip


def stop_rule(view: CourseView, settings: Settings, today: date) -> tuple[str, str] | None:
    """The dose of the course that meets the label's stop rule (`discontinue-per-label`) and
    the rule in words with its source ids, if one does."""
    flagged = next((e for e in view.events if Flag.DISCONTINUE_PER_LABEL in e.flags), None)
    if flagged is None:
        return None
    decision = view.decisions(settings, today).get(flagged.key)
    stop = decision.stop if decision else None
    return flagged.key, f"{stop.rule} ({stop.source})" if stop else "the label's stop rule"


def resume_guard(view: CourseView, settings: Settings, today: date) -> list[GuardError]:
    """The held dose meets the label's stop rule: a resume goes on past it only with a
    clinician's reason."""
    found = stop_rule(view, settings, today)
    if found is None:
        return []
    pid, (key, rule) = view.patient.id, found
    return [
        GuardError(
            f"{key} of {pid} meets the label's stop rule: {rule}; a clinician confirms it by "
            "discontinuing the course",
            overridable=True,
            field="type",
        )
    ]


def closed_guard(
    event: Event, day: date, closures: Closures | None, today: date | None = None
) -> list[GuardError]:
    """A new target on a day the clinic is closed; the message names the closure and the
    nearest open days inside the event's window (none before `today`: a new target is never
    in the past)."""
    name = closures.name(day) if closures else None
    if closures is None or name is None:
        return []
    shift = day - event.date  # the window moves with the target
    moved = event._replace(
        date=day,
        end=event.end + shift,
        window_start=event.window_start + shift,
        window_end=event.window_end + shift,
    )
    if today is not None and moved.window_start < today:
        moved = moved._replace(window_start=today)
    before, after = nearest_open_days(closures, moved)
    near = " and ".join(str(d) for d in (before, after) if d is not None)
    open_days = f"; the nearest open days in its window: {near}" if near else ""
    return [
        GuardError(
            f"the clinic is closed on {day} ({name}){open_days}",
            overridable=True,
            field="date",
        )
    ]
