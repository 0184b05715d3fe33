"""A patient's courses as calendars: each course with its records and its events as of a day.
SSA injections of one course count in the washout check of the patient's other courses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

from schedule.domain.course import Course, Patient, Record, effective, facts_of
from schedule.domain.model import Event, Fact, RecordType, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.calendar import build_calendar


@dataclass(frozen=True)
class CourseView:
    """A course with its records and its calendar as of a date."""

    patient: Patient
    course: Course
    records: tuple[Record, ...]
    events: tuple[Event, ...]

    @cached_property
    def standing(self) -> list[Record]:
        """The records that stand (none marked entered-in-error)."""
        return effective(self.records)

    @property
    def discontinued(self) -> date | None:
        for record in self.standing:
            if record.type is RecordType.DISCONTINUED:
                return record.day
        return None

    @property
    def on_hold(self) -> bool:
        state = False
        for record in self.standing:
            if record.type is RecordType.HOLD:
                state = True
            elif record.type is RecordType.RESUME:
                state = False
        return state

    def event(self, key: str) -> Event | None:
        for event in self.events:
            if event.key == key:
                return event
        return None


def course_views(
    catalog: Catalog,
    settings: Settings,
    patient: Patient,
    courses: Sequence[Course],
    records: Mapping[int, Sequence[Record]],
    as_of: date | None,
    informational: bool = True,
    until: date | None = None,
    facts: Mapping[int, Sequence[Fact]] | None = None,
) -> list[CourseView]:
    """Calendars of one patient's courses; SSA from each course counts in the others'.
    `facts`, when given, are the courses' facts already read (`Tx.facts`), and `records`
    may then be empty."""

    def calendar(course: Course, other_ssa: Sequence[date] = ()) -> tuple[Event, ...]:
        options = course.options if until is None else replace(course.options, until=until)
        return build_calendar(
            catalog.get(course.regimen),
            course.start,
            facts.get(course.id, ()) if facts is not None else facts_of(records.get(course.id, [])),
            as_of=as_of,
            options=options,
            settings=settings,
            other_ssa=other_ssa,
            informational=informational,
        )

    built = {c.id: calendar(c) for c in courses}
    if len(courses) > 1:
        for course in courses:
            others = [
                e.effective_date
                for c in courses
                if c.id != course.id
                for e in built[c.id]
                if e.series == "ssa" and e.status not in (Status.SKIPPED, Status.CANCELLED)
            ]
            if others and catalog.get(course.regimen).ssa is not None:
                built[course.id] = calendar(course, others)
    return [CourseView(patient, c, tuple(records.get(c.id, [])), built[c.id]) for c in courses]
