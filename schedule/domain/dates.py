"""Date helpers: strict ISO parsing and calendar arithmetic that never skips a month."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta

from schedule.domain.errors import DateError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The days a date typed or imported may fall on: wide enough for any birth, course or record,
# narrow enough that every calendar computed from it (18 months of injections, a year's horizon)
# stays far inside what `datetime.date` can hold.
EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_iso_date(text: str) -> date:
    """Parse `YYYY-MM-DD` and nothing else: no other separators, no words, no impossible days.

    >>> parse_iso_date("2028-02-29")
    datetime.date(2028, 2, 29)
    """
    raw = text.strip()
    if not _ISO_DATE.fullmatch(raw):
        raise DateError(f"{text!r} is not a date in the form YYYY-MM-DD (e.g. 2027-03-01)")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise DateError(
            f"{text!r} is not a real calendar date; use YYYY-MM-DD (e.g. 2027-03-01)"
        ) from None
    return check_date_range(day)


def check_date_range(day: date) -> date:
    """`day` if it lies between 1900-01-01 and 2200-12-31, else a `DateError`.

    >>> check_date_range(date(2027, 3, 1))
    datetime.date(2027, 3, 1)
    """
    if not EARLIEST <= day <= LATEST:
        raise DateError(f"{day} is outside the accepted range ({EARLIEST} to {LATEST})")
    return day


def add_months(day: date, months: int) -> date:
    """Add calendar months, clamping the 29th-31st to the month's last day instead of skipping.

    >>> add_months(date(2027, 1, 31), 1)
    datetime.date(2027, 2, 28)
    >>> add_months(date(2027, 1, 31), 2)
    datetime.date(2027, 3, 31)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, days_in_month(year, month + 1)))


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def on_or_before_weekday(day: date, weekday: str) -> date:
    """The given weekday on or before `day`.

    >>> on_or_before_weekday(date(2027, 3, 4), "tuesday")  # a Thursday
    datetime.date(2027, 3, 2)
    """
    target = WEEKDAYS.index(weekday)
    return day - timedelta(days=(day.weekday() - target) % 7)


def utc_iso(moment: datetime) -> str:
    """An aware moment as a UTC ISO stamp to the second, the form every stored stamp takes.

    >>> utc_iso(datetime(2027, 3, 1, 9, 30, tzinfo=UTC))
    '2027-03-01T09:30:00Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
