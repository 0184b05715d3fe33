"""Reading the clinic's closed days from iCalendar files (`site.closures`).

Any calendar app's export works, a public-holiday calendar included: the files are read with
`icalendar` and their recurring events expanded with `recurring-ical-events`, over the span of
days asked for only (a yearly holiday has no last occurrence). Every day an event covers is
closed: an all-day event its days (DTEND excluded), an event with times every day it touches.
The event's SUMMARY names the closure. A file that cannot be read or understood is refused with
its name and the problem.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from schedule.domain.closures import Closures
from schedule.domain.errors import SettingsError

# The span the closures are expanded over: from the start of last year to the end of the third
# year ahead (a Lutathera course with its after-care fits; a yearly holiday has no end).
YEARS_BEFORE = 1
YEARS_AFTER = 3


def closure_span(today: date) -> tuple[date, date]:
    """The days the closures are read for, around `today`."""
    return date(today.year - YEARS_BEFORE, 1, 1), date(today.year + YEARS_AFTER, 12, 31)


def read_closures(path: Path, first: date, last: date) -> Closures:
    """The closed days from `first` to `last` named by the .ics file `path`, or by every .ics
    file of the folder `path`."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".ics" and p.is_file())
    elif path.exists():
        files = [path]
    else:
        raise SettingsError(f"{path}: closures: no such file or folder")
    names: dict[date, str] = {}
    for file in files:
        for day, name in _closed_days(file, first, last):
            names[day] = (
                f"{names[day]} / {name}" if day in names and name not in names[day] else name
            )
    return Closures.of(names, first, last)


def _closed_days(file: Path, first: date, last: date) -> list[tuple[date, str]]:
    import icalendar
    import recurring_ical_events  # type: ignore[import-untyped]  # ships no type hints

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SettingsError(f"{file}: closures: cannot be read: {exc.strerror or exc}") from None
    try:
        calendar = icalendar.Calendar.from_ical(data)
        occurrences = recurring_ical_events.of(calendar).between(first, last + timedelta(days=1))
        found = []
        for event in occurrences:
            name = str(event.get("SUMMARY") or "closed").strip() or "closed"
            found += [(day, name) for day in _days(event) if first <= day <= last]
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        recurring_ical_events.InvalidCalendar,
    ) as exc:
        raise SettingsError(
            f"{file}: closures: is not a calendar prrt can read: {_problem(exc)}"
        ) from None
    return found


def _problem(exc: Exception) -> str:
    """The library's words, on one line, with what a terminal would obey made harmless."""
    if isinstance(exc, KeyError):
        return f"an event without {exc.args[0]}" if exc.args else "a property is missing"
    text = "".join(c if c.isprintable() else "?" for c in " ".join(str(exc).split()))
    return text[:200] if text else type(exc).__name__


def _days(event: Any) -> list[date]:
    """The days an event covers."""
    if "DTSTART" not in event:
        raise ValueError(f"an event without DTSTART ({event.get('SUMMARY', 'no summary')})")
    start = event["DTSTART"].dt
    end = event["DTEND"].dt if "DTEND" in event else None
    if end is None and "DURATION" in event:
        end = start + event["DURATION"].dt
    if isinstance(start, datetime):
        last = end if isinstance(end, datetime) and end > start else start
        if isinstance(end, datetime) and end > start and last.time() == datetime.min.time():
            last -= timedelta(microseconds=1)  # ending at midnight: that day stays open
        return _span(start.date(), last.date())
    if end is None or end <= start:
        return [start]
    return _span(start, end - timedelta(days=1))


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
