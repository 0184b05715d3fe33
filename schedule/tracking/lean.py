"""How far the lean calendar a row of an import is checked against goes (`transfer.py`)."""

from __future__ import annotations

from datetime import date, timedelta

# Past the row's day, how far a lean calendar goes at least: past the window of a dose given
# early on that day (a record far ahead of its window meets the whole calendar instead).
LOOK_AHEAD = timedelta(days=63)
STEP = 28  # days: the cutoffs of lean calendars fall on every 28th day


def lean_end(day: date) -> date:
    """The cutoff of the lean calendar a row of `day` is checked against: at least
    `LOOK_AHEAD` past it, on the next of the days every `STEP` that all files share, so that
    rows a few days apart of courses alike meet one calendar.

    >>> lean_end(date(2026, 11, 2)), lean_end(date(2026, 11, 3))
    (datetime.date(2027, 1, 31), datetime.date(2027, 1, 31))
    """
    least = (day + LOOK_AHEAD).toordinal()
    return date.fromordinal(-(-least // STEP) * STEP)
