"""The days a record may have: what was done is not in the future, a dose lies inside its
course, a new target is today or later (and not years ahead) where its event can happen.
`rules.check_record` calls them; none of them is a guard an override passes."""

from __future__ import annotations

from datetime import date

from schedule.domain.errors import ConflictError, InputError
from schedule.domain.model import Event, Kind
from schedule.engine.views import CourseView


def check_not_future(day: date, today: date) -> None:
    if day > today:
        raise InputError(
            f"date {day} is in the future; record what was done, up to {today}", field="date"
        )


def check_day(view: CourseView, event: Event, day: date) -> None:
    """Labs and scans may come inside their window, even before the course starts."""
    earliest = min(view.course.start, event.window_start)
    if day < earliest:
        raise InputError(
            f"date {day} is before the course start ({view.course.start})"
            if earliest == view.course.start
            else f"date {day} is before {event.key}'s window opens ({earliest})",
            field="date",
        )


def check_in_course(view: CourseView, event: Event, day: date) -> None:
    """A dose is given inside its course: not before anything of the course can happen (its
    start, or the earliest window of its events: the labs before the first dose). Not a guard:
    no override passes it, for a dose before its course is a mistyped date, never a clinical
    decision (a dose a little early, inside the course, meets the window guard)."""
    earliest = min([view.course.start, *(e.window_start for e in view.events)])
    if day < earliest:
        raise InputError(
            f"date {day} is outside course {view.course.number}, which started "
            f"{view.course.start} (nothing of it comes before {earliest}); an override passes "
            "a clinical guard, never a date outside the course: check the date",
            field="date",
        )


# How far ahead a new target may lie: past any delay a course meets (holds of months), short
# of a mistyped year (2062 for 2026). Not a clinical number: a check of the date as typed.
FAR_AHEAD_DAYS = 730


def check_new_target(view: CourseView, event: Event, day: date, today: date) -> None:
    """A new target is today or later (and not years ahead), where the event can happen, and
    after the previous dose of its series."""
    if day < today:
        raise InputError(
            f"date {day} is in the past; a new target is today ({today}) or later",
            field="date",
        )
    if (day - today).days > FAR_AHEAD_DAYS:
        raise InputError(
            f"date {day} is more than {FAR_AHEAD_DAYS} days ahead (course {view.course.number} "
            f"started {view.course.start}); check the year",
            field="date",
        )
    earliest = min(view.course.start, event.window_start)
    if day < earliest:
        raise InputError(
            f"date {day} is before {event.key} can happen ({earliest}, the course start or "
            "its window)",
            field="date",
        )
    if event.kind is not Kind.DOSE:
        return
    previous = [
        e
        for e in view.events
        if e.series == event.series
        and e.kind is Kind.DOSE
        and e.number < event.number
        and e.given_on is not None
    ]
    if previous:
        last = max(previous, key=lambda e: e.number)
        if last.given_on is not None and day <= last.given_on:
            raise ConflictError(
                f"date {day} is not after {last.key}, given on {last.given_on}", field="date"
            )
