"""Tracking patients: add courses, record what happened, correct mistakes. Every change is one
transaction with its audit row, checked against the course's calendar inside that transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from schedule.domain.course import Actor, Course, Patient, Record, effective, facts_of
from schedule.domain.errors import ConflictError, InputError, UnknownError
from schedule.domain.model import Event, Fact, Kind, RecordType, Status
from schedule.domain.options import PlanOptions, check_options
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.domain.units import Quantity
from schedule.engine.calendar import build_calendar
from schedule.store.database import Store

_PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_DONE = (Status.GIVEN, Status.SKIPPED)


def check_patient_id(value: str) -> str:
    if not _PATIENT_ID.fullmatch(value):
        raise InputError(
            f"patient ID {value!r} is not valid; use up to 64 letters, digits, '.', '_' or '-'"
        )
    return value


def check_tz(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"time zone {value!r} is unknown; use an IANA name such as Europe/Zurich"
        ) from None
    return value


def check_time(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _TIME.fullmatch(value):
        raise InputError(f"time {value!r} is not valid; use HH:MM on a 24-hour clock, e.g. 09:00")
    return value


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


class Tracker:
    """The operations of the tracker over one store, one regimen catalog and one site."""

    def __init__(self, store: Store, catalog: Catalog, settings: Settings) -> None:
        self.store = store
        self.catalog = catalog
        self.settings = settings

    # -- calendars ----------------------------------------------------------------------------

    def views(
        self,
        patient: Patient,
        courses: Sequence[Course],
        records: dict[int, list[Record]],
        as_of: date | None,
        informational: bool = True,
        until: date | None = None,
        facts: Mapping[int, Sequence[Fact]] | None = None,
    ) -> list[CourseView]:
        """Calendars of one patient's courses; SSA from each course counts in the others'.
        `facts`, when given, are the courses' facts already read (`Store.facts`), and `records`
        may then be empty."""

        def calendar(course: Course, other_ssa: Sequence[date] = ()) -> tuple[Event, ...]:
            options = course.options if until is None else replace(course.options, until=until)
            return build_calendar(
                self.catalog.get(course.regimen),
                course.start,
                facts.get(course.id, ())
                if facts is not None
                else facts_of(records.get(course.id, [])),
                as_of=as_of,
                options=options,
                settings=self.settings,
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
                if others and self.catalog.get(course.regimen).ssa is not None:
                    built[course.id] = calendar(course, others)
        return [CourseView(patient, c, tuple(records.get(c.id, [])), built[c.id]) for c in courses]

    def patient_views(self, conn: Connection, patient_id: str, as_of: date) -> list[CourseView]:
        patient = self.require_patient(conn, patient_id)
        courses = self.store.courses(conn, patient_id)
        records = self.store.records(conn, [c.id for c in courses])
        return self.views(patient, courses, records, as_of)

    def require_patient(self, conn: Connection, patient_id: str) -> Patient:
        patient = self.store.patient(conn, patient_id)
        if patient is None:
            raise UnknownError(
                f"unknown patient {patient_id!r}; 'prrt patient list' shows the patients"
            )
        return patient

    def course_view(
        self, conn: Connection, patient_id: str, as_of: date, course_number: int | None
    ) -> CourseView:
        views = self.patient_views(conn, patient_id, as_of)
        if not views:
            raise UnknownError(
                f"patient {patient_id!r} has no course; add one with 'prrt course add'"
            )
        if course_number is None:
            return views[-1]
        for view in views:
            if view.course.number == course_number:
                return view
        raise UnknownError(
            f"patient {patient_id!r} has no course {course_number}; "
            f"courses: {', '.join(str(v.course.number) for v in views)}"
        )

    # -- patients and courses -----------------------------------------------------------------

    def new_course(
        self, patient_id: str, regimen: str, start: date, options: PlanOptions
    ) -> Course:
        check_options(self.catalog.get(regimen), options)
        return Course(
            id=0,
            patient_id=patient_id,
            number=0,
            regimen=regimen,
            start=start,
            interval_days=options.interval_days,
            calendar_month=options.calendar_month,
            precautions=options.precautions,
        )

    def add_patient(
        self, patient: Patient, regimen: str, start: date, options: PlanOptions, actor: Actor
    ) -> Course:
        check_patient_id(patient.id)
        patient = replace(patient, tz=check_tz(patient.tz), time=check_time(patient.time))
        course = self.new_course(patient.id, regimen, start, options)
        try:
            with self.store.write() as conn:
                if self.store.patient(conn, patient.id) is not None:
                    raise ConflictError(
                        f"patient {patient.id!r} already exists; to start a new course use "
                        f"'prrt course add {patient.id}'"
                    )
                self.store.add_patient(conn, patient, actor)
                return self.store.add_course(conn, course, actor)
        except IntegrityError:
            raise ConflictError(f"patient {patient.id!r} already exists") from None

    def add_course(
        self, patient_id: str, regimen: str, start: date, options: PlanOptions, actor: Actor
    ) -> Course:
        course = self.new_course(patient_id, regimen, start, options)
        with self.store.write() as conn:
            self.require_patient(conn, patient_id)
            self.store.lock_patient(conn, patient_id)
            return self.store.add_course(conn, course, actor)

    # -- recording ----------------------------------------------------------------------------

    def record(
        self,
        patient_id: str,
        event: str,
        day: date,
        dose: str | None,
        note: str,
        actor: Actor,
        today: date,
        course_number: int | None = None,
    ) -> int:
        """Record an event as given (a dose, labs, a scan) on `day`."""
        with self.store.write() as conn:
            view = self._locked_view(conn, patient_id, today, course_number)
            target = self.pending_event(view, event, "record")
            self.check_day(view, target, day, today)
            quantity = self.check_dose(target, dose)
            record = Record(
                id=0,
                course_id=view.course.id,
                type=RecordType.GIVEN,
                day=day,
                event=event,
                dose=str(quantity) if quantity else None,
                note=note,
            )
            return self.store.add_record(conn, patient_id, record, actor)

    def skip(
        self,
        patient_id: str,
        event: str,
        reason: str,
        actor: Actor,
        today: date,
        course_number: int | None = None,
    ) -> int:
        reason = _reason(reason)
        with self.store.write() as conn:
            view = self._locked_view(conn, patient_id, today, course_number)
            self.pending_event(view, event, "skip")
            record = Record(0, view.course.id, RecordType.SKIPPED, today, event, note=reason)
            return self.store.add_record(conn, patient_id, record, actor)

    def reschedule(
        self,
        patient_id: str,
        event: str,
        day: date,
        reason: str,
        actor: Actor,
        today: date,
        course_number: int | None = None,
    ) -> int:
        reason = _reason(reason)
        with self.store.write() as conn:
            view = self._locked_view(conn, patient_id, today, course_number)
            target = self.pending_event(view, event, "reschedule")
            earliest = min(view.course.start, target.window_start)
            if day < earliest:
                raise InputError(
                    f"date {day} is before {event} can happen ({earliest}, the course start or "
                    "its window)"
                )
            record = Record(0, view.course.id, RecordType.RESCHEDULED, day, event, note=reason)
            return self.store.add_record(conn, patient_id, record, actor)

    def hold(self, patient_id: str, reason: str, actor: Actor, today: date) -> int:
        reason = _reason(reason)
        with self.store.write() as conn:
            view = self._locked_view(conn, patient_id, today, None)
            if view.on_hold:
                raise ConflictError(
                    f"{patient_id}'s course is already on hold; 'prrt resume {patient_id}' ends it"
                )
            record = Record(0, view.course.id, RecordType.HOLD, today, note=reason)
            return self.store.add_record(conn, patient_id, record, actor)

    def resume(self, patient_id: str, reason: str, actor: Actor, today: date) -> int:
        with self.store.write() as conn:
            view = self._locked_view(conn, patient_id, today, None)
            if not view.on_hold:
                raise ConflictError(f"{patient_id}'s course is not on hold")
            record = Record(0, view.course.id, RecordType.RESUME, today, note=reason)
            return self.store.add_record(conn, patient_id, record, actor)

    def discontinue(self, patient_id: str, reason: str, actor: Actor, today: date) -> int:
        reason = _reason(reason)
        with self.store.write() as conn:
            view = self._locked_view(conn, patient_id, today, None)
            record = Record(0, view.course.id, RecordType.DISCONTINUED, today, note=reason)
            return self.store.add_record(conn, patient_id, record, actor)

    def correct(
        self, patient_id: str, record_id: int, reason: str, actor: Actor, today: date
    ) -> int:
        """Mark a record entered-in-error. The record stays; a new one says it was wrong."""
        reason = _reason(reason)
        with self.store.write() as conn:
            self.require_patient(conn, patient_id)
            self.store.lock_patient(conn, patient_id)
            courses = self.store.courses(conn, patient_id)
            records = [
                r for rs in self.store.records(conn, [c.id for c in courses]).values() for r in rs
            ]
            wrong = next((r for r in records if r.id == record_id), None)
            if wrong is None:
                raise UnknownError(
                    f"{patient_id} has no record {record_id}; "
                    f"'prrt history {patient_id}' lists them"
                )
            if wrong.type is RecordType.ENTERED_IN_ERROR:
                raise ConflictError(f"record {record_id} is itself a correction")
            if any(r.corrects == record_id for r in records):
                raise ConflictError(f"record {record_id} is already marked entered-in-error")
            record = Record(
                0,
                wrong.course_id,
                RecordType.ENTERED_IN_ERROR,
                today,
                wrong.event,
                note=reason,
                corrects=record_id,
            )
            return self.store.add_record(conn, patient_id, record, actor)

    # -- checks shared by the writes ----------------------------------------------------------

    def _locked_view(
        self, conn: Connection, patient_id: str, today: date, course_number: int | None
    ) -> CourseView:
        view = self.course_view(conn, patient_id, today, course_number)
        self.store.lock_course(conn, view.course.id)
        # Read again under the lock: what another writer committed meanwhile counts.
        view = self.course_view(conn, patient_id, today, course_number)
        stopped = view.discontinued
        if stopped is not None:
            raise ConflictError(
                f"{patient_id}'s course {view.course.number} ({view.course.regimen}) was "
                f"discontinued on {stopped}; start a new one with 'prrt course add {patient_id}'"
            )
        return view

    def pending_event(self, view: CourseView, key: str, verb: str) -> Event:
        event = view.event(key)
        pid = view.patient.id
        if event is None:
            raise UnknownError(
                f"{pid} has no event {key!r} in course {view.course.number} "
                f"({view.course.regimen}); 'prrt show {pid}' lists the events"
            )
        if not event.kind.recordable:
            raise InputError(f"{key} is a {event.kind.value}: there is nothing to {verb}")
        if event.status in _DONE:
            done = next(
                r
                for r in reversed(view.standing)
                if r.event == key and r.type in (RecordType.GIVEN, RecordType.SKIPPED)
            )
            raise ConflictError(
                f"{key} of {pid} is already recorded as {done.type.value} on {done.day} "
                f"(record {done.id}); if that is wrong, run 'prrt correct {pid} {done.id} "
                "--reason ...' first"
            )
        return event

    @staticmethod
    def check_day(view: CourseView, event: Event, day: date, today: date) -> None:
        if day > today:
            raise InputError(f"date {day} is in the future; record what was done, up to {today}")
        # Labs may come before the first dose; doses never before the course starts.
        earliest = view.course.start
        if event.kind is not Kind.DOSE:
            earliest = min(earliest, event.window_start)
        if day < earliest:
            raise InputError(
                f"date {day} is before the course start ({view.course.start})"
                if earliest == view.course.start
                else f"date {day} is before {event.key}'s window opens ({earliest})"
            )

    @staticmethod
    def check_dose(event: Event, dose: str | None) -> Quantity | None:
        if dose is None or dose == "":
            return None
        quantity = Quantity.parse(dose)
        if event.kind is not Kind.DOSE or event.dose is None:
            raise InputError(f"{event.key} is a {event.kind.value}: it takes no --dose")
        planned = Quantity.parse(event.dose)
        if not quantity.comparable(planned):
            unit = "GBq, MBq or mCi" if planned.dimension == "activity" else "mg"
            raise InputError(f"dose {dose!r} does not fit {event.key}; give it in {unit}")
        return quantity


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputError("a reason is required; give --reason TEXT")
    return reason.strip()
