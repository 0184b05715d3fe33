"""A new course's start, checked against today: a start long past is refused unless it is
meant (a mistyped year, 2020 for 2026, would make every dose "missed"), and a start already
inside the order lead time is reported (the first dose's order deadline has passed, L41).
`patient add`, `course add` and the roster import call these alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schedule.domain.errors import Hint, InputError
from schedule.domain.regimen import Regimen
from schedule.domain.settings import Settings
from schedule.engine.doses import first_orderable, order_deadline


def check_start(start: date, today: date, settings: Settings, past_start: bool = False) -> None:
    """Refuse a start more than `settings.future_start_days` after today (a mistyped year: no
    way out but the right date) and, unless `past_start` says it is meant, one more than
    `settings.past_start_days` before it (the way out, an option or a column, is worded by the
    interface: `Hint.PAST_START`)."""
    days = (today - start).days
    if -days > settings.future_start_days:
        raise InputError(
            f"start {start} is {-days} days ahead, more than site.future_start_days "
            f"({settings.future_start_days}); check the year",
            field="start",
        )
    if days > settings.past_start_days and not past_start:
        raise InputError(
            f"start {start} is {days} days ago, more than site.past_start_days "
            f"({settings.past_start_days}); check the year",
            field="start",
            hint=Hint.PAST_START,
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
