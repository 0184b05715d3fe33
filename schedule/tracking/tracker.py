"""Tracking patients: add courses, record what happened, correct mistakes. Every change is one
transaction with its audit row, checked by the rules (`rules.py`) against the course's calendar
inside that transaction, under a lock on the course.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.exc import IntegrityError

from schedule.domain.course import Actor, Course, Patient, Record
from schedule.domain.errors import ConflictError, Hint, UnknownError
from schedule.domain.model import RecordType
from schedule.domain.options import PlanOptions, check_options
from schedule.domain.patients import check_patient_id, check_time, check_tz
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import CourseView, course_views
from schedule.store.database import Store
from schedule.store.transaction import Tx
from schedule.tracking.rules import Proposal, check_reason, check_record


class Tracker:
    """The operations of the tracker over one store, one regimen catalog and one site."""

    def __init__(self, store: Store, catalog: Catalog, settings: Settings) -> None:
        self.store = store
        self.catalog = catalog
        self.settings = settings

    # -- calendars ----------------------------------------------------------------------------

    def patient_views(self, tx: Tx, patient_id: str, as_of: date) -> list[CourseView]:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient_id)
        records = tx.records([c.id for c in courses])
        return course_views(self.catalog, self.settings, patient, courses, records, as_of)

    def course_view(
        self, tx: Tx, patient_id: str, as_of: date, course_number: int | None
    ) -> CourseView:
        views = self.patient_views(tx, patient_id, as_of)
        if not views:
            raise UnknownError(f"patient {patient_id!r} has no course", hint=Hint.ADD_COURSE)
        if course_number is None:
            return views[-1]
        for view in views:
            if view.course.number == course_number:
                return view
        raise UnknownError(
            f"patient {patient_id!r} has no course {course_number}; "
            f"courses: {', '.join(str(v.course.number) for v in views)}",
            field="course",
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
            with self.store.write() as tx:
                if tx.patient(patient.id) is not None:
                    raise ConflictError(
                        f"patient {patient.id!r} already exists",
                        hint=Hint.NEW_COURSE_EXISTS,
                        patient=patient.id,
                    )
                tx.add_patient(patient, actor)
                return tx.add_course(course, actor)
        except IntegrityError:
            raise ConflictError(f"patient {patient.id!r} already exists") from None

    def add_course(
        self, patient_id: str, regimen: str, start: date, options: PlanOptions, actor: Actor
    ) -> Course:
        course = self.new_course(patient_id, regimen, start, options)
        with self.store.write() as tx:
            tx.require_patient(patient_id)
            tx.lock_patient(patient_id)
            return tx.add_course(course, actor)

    # -- recording ----------------------------------------------------------------------------

    def add(
        self,
        patient_id: str,
        proposal: Proposal,
        actor: Actor,
        today: date,
        course_number: int | None = None,
    ) -> int:
        """Check `proposal` against the course as it stands, under its lock, and store it."""
        with self.store.write() as tx:
            view = self.course_view(tx, patient_id, today, course_number)
            tx.lock_course(view.course.id)
            # Read again under the lock: what another writer committed meanwhile counts.
            view = self.course_view(tx, patient_id, today, course_number)
            record = check_record(view, proposal, today)
            return tx.add_record(patient_id, record, actor)

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
        proposal = Proposal(RecordType.GIVEN, event, day, dose, note)
        return self.add(patient_id, proposal, actor, today, course_number)

    def skip(
        self,
        patient_id: str,
        event: str,
        reason: str,
        actor: Actor,
        today: date,
        course_number: int | None = None,
    ) -> int:
        proposal = Proposal(RecordType.SKIPPED, event, today, note=reason)
        return self.add(patient_id, proposal, actor, today, course_number)

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
        proposal = Proposal(RecordType.RESCHEDULED, event, day, note=reason)
        return self.add(patient_id, proposal, actor, today, course_number)

    def hold(self, patient_id: str, reason: str, actor: Actor, today: date) -> int:
        return self.add(
            patient_id, Proposal(RecordType.HOLD, None, today, note=reason), actor, today
        )

    def resume(self, patient_id: str, reason: str, actor: Actor, today: date) -> int:
        proposal = Proposal(RecordType.RESUME, None, today, note=reason)
        return self.add(patient_id, proposal, actor, today)

    def discontinue(self, patient_id: str, reason: str, actor: Actor, today: date) -> int:
        proposal = Proposal(RecordType.DISCONTINUED, None, today, note=reason)
        return self.add(patient_id, proposal, actor, today)

    def correct(
        self, patient_id: str, record_id: int, reason: str, actor: Actor, today: date
    ) -> int:
        """Mark a record entered-in-error. The record stays; a new one says it was wrong."""
        reason = check_reason(RecordType.ENTERED_IN_ERROR, reason)
        with self.store.write() as tx:
            tx.require_patient(patient_id)
            tx.lock_patient(patient_id)
            courses = tx.courses(patient_id)
            records = [r for rs in tx.records([c.id for c in courses]).values() for r in rs]
            wrong = next((r for r in records if r.id == record_id), None)
            if wrong is None:
                raise UnknownError(
                    f"{patient_id} has no record {record_id}",
                    hint=Hint.HISTORY,
                    patient=patient_id,
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
            return tx.add_record(patient_id, record, actor)
