"""Local appointment times across daylight-saving changes.

A wall-clock time can be missing on a day (02:30 when the clocks go forward) or happen twice
(01:30 when they go back). A missing one is refused where a time is chosen; a repeated one means
its first occurrence (`fold=0`). An appointment's end is its start plus its length in real time,
so a 30-minute visit lasts 30 minutes whatever the clocks do.

>>> from zoneinfo import ZoneInfo
>>> ny = ZoneInfo("America/New_York")
>>> exists(date(2027, 3, 14), time(2, 30), ny), exists(date(2027, 3, 14), time(3, 30), ny)
(False, True)
>>> start, end = appointment_span(date(2027, 11, 7), time(1, 30), ny, 30)
>>> start.isoformat(), end.isoformat()
('2027-11-07T05:30:00+00:00', '2027-11-07T06:00:00+00:00')
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedule.domain.errors import InputError


def exists(day: date, at: time, zone: ZoneInfo) -> bool:
    """Whether the wall-clock time `at` happens on `day` in `zone` (not skipped by a change)."""
    local = datetime.combine(day, at, tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def appointment_span(
    day: date, at: time, zone: ZoneInfo, minutes: int
) -> tuple[datetime, datetime]:
    """Start and end in UTC of an appointment at local `at` on `day` lasting `minutes`.
    A repeated local time is its first occurrence; a missing one (a day moved onto a change
    after the time was chosen) is read with the offset before the change (02:30 is 03:30)."""
    start = datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)
    return start, start + timedelta(minutes=minutes)


def check_days(days: Iterable[date], at: time, zone: ZoneInfo) -> None:
    """Refuse a time that does not exist on one of `days` in `zone`, naming the first such day."""
    for day in sorted(set(days)):
        if not exists(day, at, zone):
            raise InputError(
                f"{at:%H:%M} does not exist on {day.isoformat()} in {zone.key} (the clocks go "
                "forward that night); choose a time outside the change, e.g. 09:00",
                field="time",
            )
