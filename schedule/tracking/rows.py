"""The typed rows of the listings: an event of a patient's calendar, a worklist's row, a row of
the patient list, and a course whose calendar cannot be computed from what is stored. Dates stay
dates and statuses enumerations; `columns()` names them by the output contract's columns and
the shared renderer (`schedule.output`) makes them text.

Named tuples: a worklist has a row for most courses, built in worker processes and sent back.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from schedule.domain.course import Course
from schedule.domain.model import CourseState, Event, Flag
from schedule.output.columns import UNCOMPUTABLE, event_columns


class CalendarRow(NamedTuple):
    """An event of a patient's course, as `patient show` lists it; a held dose with the open
    hold it waits on (its reason and first day)."""

    patient_id: str
    course: int
    event: Event
    name: str | None = None
    reason: str | None = None
    since: date | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "course": self.course,
            **event_columns(self.event),
            "name": self.name,
            "reason": self.reason,
            "since": self.since,
        }


class WorklistRow(NamedTuple):
    """An event on a worklist: how many days late it is (negative: still to come), the day it
    is due by, and for a held dose the open hold it waits on."""

    patient_id: str
    course: int
    event: Event
    days_late: int
    due_by: date
    reason: str | None = None
    since: date | None = None
    name: str | None = None

    def columns(self) -> dict[str, Any]:
        event = self.event  # spelled out: the list has a row for most courses
        return {
            "patient_id": self.patient_id,
            "course": self.course,
            "event": event.key,
            "kind": event.kind,
            "series": event.series,
            "number": event.number,
            "title": event.title,
            "drug": event.drug,
            "dose": event.dose,
            "date": event.date,
            "end": event.end,
            "window_start": event.window_start,
            "window_end": event.window_end,
            "status": event.status,
            "given_on": event.given_on,
            "flags": event.flags,
            "days_late": self.days_late,
            "due_by": self.due_by,
            "reason": self.reason,
            "since": self.since,
            "name": self.name,
        }


# The contract's `days_late` of a course that cannot be computed: it comes first wherever a
# program sorts by lateness, as it does on the list.
_UNKNOWN_LATENESS = 10**6


class UncomputableRow(NamedTuple):
    """A worklist's row for a course whose calendar cannot be computed from what is stored (a
    date out of range written by other means, a regimen gone): listed first, with the problem,
    dated on the list's day."""

    patient_id: str
    course: int
    as_of: date
    problem: str

    def columns(self) -> dict[str, Any]:
        day = self.as_of
        return {
            "patient_id": self.patient_id, "course": self.course, "event": None, "kind": None,
            "series": None, "number": None, "title": f"the calendar cannot be computed "
            f"({self.problem}); check the stored dates and the regimen", "drug": None,
            "dose": None, "date": day, "end": day, "window_start": day, "window_end": day,
            "status": UNCOMPUTABLE, "given_on": None, "flags": (),
            "days_late": _UNKNOWN_LATENESS, "due_by": day, "reason": None, "since": None,
            "name": None,
        }  # fmt: skip


Listed = WorklistRow | UncomputableRow


def urgency(row: Listed) -> tuple[bool, int, str, int, str]:
    """The worklists' order: courses that cannot be computed first, then the latest first;
    by patient, course and event within a day."""
    if isinstance(row, UncomputableRow):
        return (False, 0, row.patient_id, row.course, "")
    return (True, -row.days_late, row.patient_id, row.course, row.event.key)


class PatientRow(NamedTuple):
    """A course on the patient list: its state, the next thing to do and its due-by day, and
    the flags of everything still waiting."""

    patient_id: str
    name: str | None
    course: Course
    state: CourseState
    upcoming: Event | None
    flags: tuple[Flag, ...]
    due_by: date | None

    def columns(self) -> dict[str, Any]:
        upcoming = self.upcoming
        return {
            "patient_id": self.patient_id,
            "name": self.name,
            "course": self.course.number,
            "regimen": self.course.regimen,
            "start": self.course.start,
            "state": self.state,
            "next_event": upcoming.key if upcoming else None,
            "next_date": upcoming.date if upcoming else None,
            "next_title": upcoming.title if upcoming else None,
            "flags": self.flags,
            "next_due_by": self.due_by,
        }


class UncomputableCourse(NamedTuple):
    """A course on the patient list whose calendar cannot be computed from what is stored."""

    patient_id: str
    name: str | None
    course: Course

    def columns(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id, "name": self.name, "course": self.course.number,
            "regimen": self.course.regimen, "start": self.course.start, "state": UNCOMPUTABLE,
            "next_event": None, "next_date": None,
            "next_title": "the calendar cannot be computed; check the stored dates", "flags": (),
            "next_due_by": None,
        }  # fmt: skip
