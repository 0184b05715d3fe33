"""What the worklists pick and show: a course's open hold (its start, reason and review day),
the date that matches an event's status (the DUE BY of the worklists and the patient list), and
the filters a coordinator narrows a list with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from schedule.domain.course import Course, Patient
from schedule.domain.model import Event, Fact, RecordType, Status
from schedule.domain.toxicity import hold_words


@dataclass(frozen=True)
class OpenHold:
    """A toxicity hold not yet ended: when it began, why, and the day it comes up for review."""

    since: date
    reason: str
    review: date


def open_hold(facts: Iterable[Fact], review_days: int) -> OpenHold | None:
    """The course's open hold, if any, from its facts (holds and resumes in date order, as the
    engine pairs them). A hold stored without a review day comes up `review_days` after it
    began (site setting `hold_review_days`)."""
    found: Fact | None = None
    level = [f for f in facts if f.event is None]
    for fact in sorted(level, key=lambda f: f.date):
        if fact.type is RecordType.HOLD and found is None:
            found = fact
        elif fact.type is RecordType.RESUME:
            found = None
    if found is None:
        return None
    review = found.review or found.date + timedelta(days=review_days)
    return OpenHold(found.date, hold_words(found.toxicity, found.grade, found.note), review)


def due_by(event: Event, hold: OpenHold | None = None) -> date:
    """The day that matches the event's status: when its window opens for an event not yet
    due, its target while it is due, the last day of its window once late or missed, the
    hold's review day for a held dose, else its (last) day."""
    if event.status is Status.PLANNED:
        return event.window_start
    if event.status in (Status.OVERDUE, Status.MISSED):
        return event.window_end
    if event.status is Status.HELD and hold is not None:
        return hold.review
    return event.end


@dataclass(frozen=True)
class Filters:
    """What a coordinator narrows a list to; None (or empty) matches everything.

    `patient`: one ID (any case); `name`: part of the name, any case; `regimen`: a regimen id;
    `kind` and `status`: an event's (the next event's, in the patient list; `status` there is
    the course's state); `start`/`end`: the DUE BY date falls on or between them."""

    patient: str | None = None
    name: str | None = None
    regimen: str | None = None
    kind: str | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None

    def patient_matches(self, patient: Patient) -> bool:
        if self.patient is not None and patient.id.casefold() != self.patient.casefold():
            return False
        if self.name:
            return self.name.casefold() in (patient.name or "").casefold()
        return True

    def course_matches(self, course: Course) -> bool:
        return self.regimen is None or course.regimen == self.regimen

    def row_matches(self, kind: str | None, status: str | None, day: date | None) -> bool:
        if self.kind is not None and kind != self.kind:
            return False
        if self.status is not None and status != self.status:
            return False
        if self.start is not None and (day is None or day < self.start):
            return False
        return self.end is None or (day is not None and day <= self.end)


EVERYTHING = Filters()
