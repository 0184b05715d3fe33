"""A new course's start, checked against today: a start long past is refused unless it is
meant (a mistyped year, 2020 for 2026, would make every dose "missed"), and a start already
inside the order lead time is reported (the first dose's order deadline has passed, L41).
`patient add`, `course add` and the roster import call these alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schedule.domain.errors import InputError
from schedule.domain.regimen import Regimen
from schedule.domain.settings import Settings
from schedule.engine.doses import first_orderable, order_deadline

PAST_START = "pass --past-start if it is meant"


def check_start(start: date, today: date, settings: Settings, how: str = PAST_START) -> None:
    """Refuse a start more than `settings.past_start_days` before today; `how` says what
    makes it pass (a command's option, a roster's column)."""
    days = (today - start).days
    if days > settings.past_start_days:
        raise InputError(
            f"start {start} is {days} days ago, more than site.past_start_days "
            f"({settings.past_start_days}); check the year, or {how}",
            field="start",
        )


@dataclass(frozen=True)
class LateOrder:
    """The first dose's order deadline, passed on the day the course is added."""

    event: str  # the order's event key, e.g. order-1
    deadline: date
    first_day: date  # the first day the first dose can be given if ordered today


def late_first_order(regimen: Regimen, start: date, today: date) -> LateOrder | None:
    """The first dose's order deadline when it is already past (the start is inside the order
    lead time); None when it is not, or the regimen orders nothing."""
    for related in regimen.related:
        if related.order and (not related.doses or 1 in related.doses):
            deadline = order_deadline(related, start)
            if deadline < today:
                day = first_orderable(regimen, 1, max(start, today), today)
                return LateOrder(f"{related.series}-1", deadline, day)
    return None


def late_order_warning(late: LateOrder, dose: str) -> str:
    """The warning a command prints for it."""
    return (
        f"the order deadline of {dose} ({late.event}) was {late.deadline}: ordered today, the "
        f"dose can be given from {late.first_day} (L41); it is on 'prrt due' as order-late"
    )
