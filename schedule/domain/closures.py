"""The days the clinic is closed, as a value: each day with the name of its closure.

The site names them in iCalendar files (`site.closures`); `schedule.calendars.closures` reads
those files. Here they are only dates and names, so the engine can flag what falls on them.

>>> from datetime import date
>>> year = date(2026, 1, 1), date(2026, 12, 31)
>>> closures = Closures.of({date(2026, 12, 25): "Christmas Day"}, *year)
>>> closures.closed(date(2026, 12, 25)), closures.name(date(2026, 12, 25))
(True, 'Christmas Day')
>>> closures.closed(date(2026, 12, 24)), closures.name(date(2026, 12, 24))
(False, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from schedule.domain.model import Event


@dataclass(frozen=True)
class Closure:
    """One closed day and what closes it (the calendar event's summary)."""

    day: date
    name: str


@dataclass(frozen=True)
class Closures:
    """The closed days between `first` and `last` (the span the files were expanded over);
    a day outside that span is not known to be closed."""

    days: frozenset[Closure] = frozenset()
    first: date | None = None
    last: date | None = None

    @classmethod
    def of(cls, names: Mapping[date, str], first: date, last: date) -> Closures:
        return cls(frozenset(Closure(d, n) for d, n in names.items()), first, last)

    @cached_property
    def by_day(self) -> dict[date, str]:
        """Each closed day with its name; two closures of one day are named together."""
        found: dict[date, list[str]] = {}
        for closure in sorted(self.days, key=lambda c: (c.day, c.name)):
            found.setdefault(closure.day, []).append(closure.name)
        return {day: " / ".join(dict.fromkeys(names)) for day, names in found.items()}

    def __bool__(self) -> bool:
        return bool(self.days)

    def closed(self, day: date) -> bool:
        return day in self.by_day

    def name(self, day: date) -> str | None:
        return self.by_day.get(day)

    def all_closed(self, first: date, last: date) -> bool:
        """Every day from `first` to `last` is closed."""
        day = first
        while day <= last:
            if not self.closed(day):
                return False
            day += timedelta(days=1)
        return True


def nearest_open_days(closures: Closures, event: Event) -> tuple[date | None, date | None]:
    """The open days nearest to `event`'s target inside its window: the last one before it and
    the first one after it (None where the window has none).

    >>> from datetime import date
    >>> from schedule.domain.model import Kind, Status
    >>> xmas = Closures.of({date(2026, 12, 25): "Christmas", date(2026, 12, 26): "Boxing Day"},
    ...                    date(2026, 1, 1), date(2026, 12, 31))
    >>> dose = Event("prrt-2", Kind.DOSE, "prrt", 2, "", None, None, date(2026, 12, 25),
    ...              date(2026, 12, 25), date(2026, 12, 18), date(2027, 1, 1), Status.PLANNED, None)
    >>> nearest_open_days(xmas, dose)
    (datetime.date(2026, 12, 24), datetime.date(2026, 12, 27))
    """
    before = after = None
    day = event.date - timedelta(days=1)
    while day >= event.window_start:
        if not closures.closed(day):
            before = day
            break
        day -= timedelta(days=1)
    day = event.date + timedelta(days=1)
    while day <= event.window_end:
        if not closures.closed(day):
            after = day
            break
        day += timedelta(days=1)
    return before, after
