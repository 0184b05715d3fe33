"""The course as a patient's calendar shows it: dates that stay put while nothing new is known.

The engine projects a dose still waiting past its day to the day it is asked about, so the
events behind it move by a day every day; and it projects an open-ended series a fixed number of
days past that day, so a new injection appears at the far end every few weeks. A phone would
then download a changed calendar every day. Here each course is settled instead:

- Statuses are as of today, so a dose, blood test or scan not done by its day reads "Not done
  yet" from the next day on (`calendars/entries.py`): once, as late and missed read the same.
- When a dose is late (not given past its day, or held past it), the events that wait behind
  it keep the dates they had on the day before the first late dose became late (the course
  built as of that day), and are `provisional`: marked tentative, the new date to be confirmed.
  Which events wait behind it is what the engine moves: those whose dates differ between that
  day and today. Every later day gives the same calendar until something new is recorded.
- An open-ended series is projected to a horizon that moves in steps of `STEP` days, at least
  the site's `horizon_days` ahead.

The worklists (`due`, `missed`, `show`) keep the engine's own projection as of today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from schedule.domain.course import Course, Patient, Record
from schedule.domain.model import Event, Kind, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import CourseView, course_views

STEP = 91  # days: an open-ended series grows by a quarter at a time
_LATE = (Status.OVERDUE, Status.MISSED)
_DONE = (Status.GIVEN, Status.SKIPPED, Status.CANCELLED)


@dataclass(frozen=True)
class Settled:
    """One course as the calendar shows it, the keys of the events that wait behind a late
    dose (their dates are those they had before it was late), and the day they began to wait
    (the first late dose's first late day; None when nothing waits)."""

    view: CourseView
    provisional: frozenset[str]
    since: date | None = None


def settled_courses(
    catalog: Catalog,
    settings: Settings,
    patient: Patient,
    courses: Sequence[Course],
    records: Mapping[int, Sequence[Record]],
    today: date,
) -> list[Settled]:
    """Each course of the patient, settled as of `today`."""
    return [_settle(catalog, settings, patient, c, records, today) for c in courses]


def _settle(
    catalog: Catalog,
    settings: Settings,
    patient: Patient,
    course: Course,
    records: Mapping[int, Sequence[Record]],
    today: date,
) -> Settled:
    open_ended = catalog.get(course.regimen).open_ended

    def view(as_of: date, until: date | None) -> CourseView:
        (one,) = course_views(catalog, settings, patient, [course], records, as_of, until=until)
        return one

    def until_from(day: date) -> date | None:
        return horizon(course.start, day, settings.horizon_days) if open_ended else None

    current = view(today, until_from(today))
    day = settle_day(current.events, today)
    if day is None:
        return Settled(current, frozenset())
    until = until_from(day)
    if until != until_from(today):
        current = view(today, until)
    before = view(day, until)
    now = {e.key: e for e in current.events}
    events: list[Event] = []
    provisional = set()
    for old in before.events:
        new = now.pop(old.key, None)
        if new is None:  # gone past the horizon by moving: shown where it was
            events.append(old)
            provisional.add(old.key)
        elif (new.date, new.end) == (old.date, old.end) or new.status in _DONE:
            events.append(new)
        else:
            events.append(_moved(new, old.date, old.end))
            provisional.add(new.key)
    events += now.values()  # what exists only as of today (nothing moves it)
    since = day + timedelta(days=1) if provisional else None
    return Settled(replace(current, events=tuple(events)), frozenset(provisional), since)


def _moved(event: Event, day: date, end: date) -> Event:
    """`event._replace(date=day, end=end)`, built with positional arguments: a fraction of the
    cost of `_replace`, for every event that waits behind a late dose (a third of a folder's)."""
    e = event
    return Event(
        e.key, e.kind, e.series, e.number, e.title, e.drug, e.dose, day, end, e.window_start,
        e.window_end, e.status, e.given_on, e.flags, e.description,
    )  # fmt: skip


def late_doses(events: Sequence[Event], today: date) -> list[Event]:
    """Doses not given past their day: late or missed, or held with their day gone."""
    return [
        e
        for e in events
        if e.kind is Kind.DOSE
        and e.given_on is None
        and (e.status in _LATE or (e.status is Status.HELD and e.date < today))
    ]


def settle_day(events: Sequence[Event], today: date) -> date | None:
    """The last day the first late dose was still on time (its day), or None when no dose is
    late: the events behind it keep the dates they had then."""
    late = late_doses(events, today)
    return min(e.date for e in late) if late else None


def horizon(start: date, as_of: date, days: int) -> date:
    """How far an open-ended series is shown: at least `days` past the later of the start and
    `as_of`, moving in steps of `STEP` days.

    >>> start = date(2027, 1, 1)
    >>> horizon(start, start, 364), horizon(start, date(2027, 3, 1), 364)
    (datetime.date(2028, 3, 31), datetime.date(2028, 3, 31))
    """
    base = max(start, as_of)
    steps = ((base - start).days // STEP + 1) * STEP
    return start + timedelta(days=steps + days)
