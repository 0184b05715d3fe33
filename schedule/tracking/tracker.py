"""Tracking patients: add courses, record what happened, correct mistakes. Every change is one
transaction with its audit row, checked by the rules (`rules.py`) against the course's calendar
inside that transaction, under a lock on the course.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from schedule.domain.closures import Closures
from schedule.domain.course import Actor, Course, Patient, Record
from schedule.domain.errors import ConflictError, Hint, UnknownError
from schedule.domain.model import RecordType
from schedule.domain.options import PlanOptions, check_options
from schedule.domain.patients import (
    check_name,
    check_patient_id,
    check_pregnancy,
    check_time,
    check_tz,
)
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.domain.toxicity import Toxicity
from schedule.engine.views import CourseView, course_views
from schedule.store.database import Store
from schedule.store.lookups import refuse_case_twin
from schedule.store.transaction import Tx
from schedule.tracking.guards import stop_rule
from schedule.tracking.patients import check_appointments
from schedule.tracking.rules import Proposal, check_reason, check_record
from schedule.tracking.starts import check_start
from schedule.tracking.washout import Conflict, washout_conflicts


@dataclass(frozen=True)
class CourseAdded:
    """A course added; the course it replaced and the day that one stops; the conflicts left."""

    course: Course
    ended: tuple[Course, date] | None
    conflicts: tuple[Conflict, ...]


def only_active(patient_id: str, views: list[CourseView]) -> CourseView:
    """The course meant when none is named: the one active course, else the latest. Two or
    more active courses are refused, never guessed."""
    active = [v for v in views if v.active]
    if len(active) > 1:
        listed = ", ".join(
            f"{v.course.number} ({v.course.regimen} from {v.course.start})" for v in active
        )
        raise ConflictError(
            f"{patient_id} has {len(active)} active courses: {listed}; name the one meant",
            field="course",
            hint=Hint.CHOOSE_COURSE,
        )
    return active[0] if active else views[-1]


def choose_course(
    patient_id: str, views: list[CourseView], course_number: int | None
) -> CourseView:
    """The course named by its number, else the one active course (see `only_active`)."""
    if not views:
        raise UnknownError(f"patient {patient_id!r} has no course", hint=Hint.ADD_COURSE)
    if course_number is None:
        return only_active(patient_id, views)
    for view in views:
        if view.course.number == course_number:
            return view
    raise UnknownError(
        f"patient {patient_id!r} has no course {course_number}; "
        f"courses: {', '.join(str(v.course.number) for v in views)}",
        field="course",
    )


class Tracker:
    """The operations of the tracker over one store, one regimen catalog and one site."""

    def __init__(
        self,
        store: Store | Callable[[], Store],
        catalog: Catalog,
        settings: Settings,
        closures: Closures | None = None,
    ) -> None:
        # A store, or what opens it when first needed: input is checked before a database is
        # opened (or created), so a refused command leaves no new database behind.
        self._store = store
        self.catalog = catalog
        self.settings = settings
        self.closures = closures  # the clinic's closed days, for the reschedule guard

    @property
    def store(self) -> Store:
        if not isinstance(self._store, Store):
            self._store = self._store()
        return self._store

    # -- calendars ----------------------------------------------------------------------------

    def patient_views(self, tx: Tx, patient_id: str, as_of: date) -> list[CourseView]:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient.id)
        records = tx.records([c.id for c in courses])
        return course_views(self.catalog, self.settings, patient, courses, records, as_of)

    def course_view(
        self, tx: Tx, patient_id: str, as_of: date, course_number: int | None
    ) -> CourseView:
        views = self.patient_views(tx, patient_id, as_of)
        return choose_course(patient_id, views, course_number)

    # -- patients and courses -----------------------------------------------------------------

    def new_course(
        self, patient_id: str, regimen: str, start: date, options: PlanOptions
    ) -> Course:
        found = self.catalog.get(regimen)  # any case: `Lutathera` is `lutathera`
        check_options(found, options)
        return Course(
            id=0,
            patient_id=patient_id,
            number=0,
            regimen=found.id,
            start=start,
            interval_days=options.interval_days,
            calendar_month=options.calendar_month,
            precautions=options.precautions,
        )

    def add_patient(
        self,
        patient: Patient,
        regimen: str,
        start: date,
        options: PlanOptions,
        actor: Actor,
        today: date | None = None,
        past_start: bool = False,
    ) -> Course:
        """A patient with a first course; with `today`, a start long past needs `past_start`."""
        check_patient_id(patient.id)
        check_name(patient.name)
        patient = replace(
            patient,
            tz=check_tz(patient.tz),
            time=check_time(patient.time),
            pregnancy=check_pregnancy(patient.pregnancy),
        )
        course = self.new_course(patient.id, regimen, start, options)
        if today is not None:
            check_start(start, today, self.settings, past_start)
        check_appointments(self.catalog, self.settings, patient, [course])
        try:
            with self.store.write() as tx:
                existing = tx.patient(patient.id, hidden=True)
                if existing is not None and existing.id == patient.id:
                    tx.refuse_in_error(existing.id)  # restored, not added again
                    raise ConflictError(
                        f"patient {patient.id!r} already exists",
                        hint=Hint.NEW_COURSE_EXISTS,
                        patient=patient.id,
                    )
                refuse_case_twin(tx, patient.id)
                tx.add_patient(patient, actor)
                return tx.add_course(course, actor)
        except IntegrityError:
            raise ConflictError(f"patient {patient.id!r} already exists") from None

    def add_course(
        self,
        patient_id: str,
        regimen: str,
        start: date,
        options: PlanOptions,
        actor: Actor,
        today: date,
        replaces: int | None = None,
        past_start: bool = False,
    ) -> CourseAdded:
        """Add a course; with `replaces`, end that course where the new one needs it to end
        (a long-acting SSA course: on the last safe day before the first PRRT dose, L15).
        Reports the injections of the patient's other courses the new course conflicts with.
        A start more than `past_start_days` before today is refused unless `past_start`."""
        course = self.new_course(patient_id, regimen, start, options)
        check_start(start, today, self.settings, past_start)
        with self.store.write() as tx:
            patient = tx.require_patient(patient_id)
            tx.lock_patient(patient.id)
            course = replace(course, patient_id=patient.id)
            check_appointments(self.catalog, self.settings, patient, [course])
            stored = tx.add_course(course, actor)
            ended = None
            if replaces is not None:
                ended = self._replace(tx, stored, replaces, actor, today)
            views = self.patient_views(tx, patient.id, today)
        return CourseAdded(stored, ended, washout_conflicts(views, stored.id, today))

    def _replace(
        self, tx: Tx, new: Course, number: int, actor: Actor, today: date
    ) -> tuple[Course, date]:
        views = self.patient_views(tx, new.patient_id, today)
        old = next((v for v in views if v.course.number == number), None)
        if old is None or old.course.id == new.id:
            numbers = ", ".join(str(v.course.number) for v in views if v.course.id != new.id)
            raise UnknownError(
                f"patient {new.patient_id!r} has no course {number} to replace; courses: {numbers}",
                field="course",
            )
        regimen = self.catalog.get(new.regimen)
        # The day the old course stops: nothing of it on or after. A PRRT course needs the
        # washout before its first dose, so the last injection may be that many days before.
        stop = (
            new.start - timedelta(days=regimen.ssa.washout_days - 1) if regimen.ssa else new.start
        )
        stop = max(stop, old.course.start)
        reason = f"replaced by course {new.number} ({new.regimen} from {new.start})"
        # The new course takes over: the old one's maintenance injections end with it too.
        proposal = Proposal(
            RecordType.DISCONTINUED, None, min(stop, today), note=reason, end_care=True
        )
        record = check_record(old, proposal, today)
        tx.lock_course(old.course.id)
        tx.add_record(new.patient_id, replace(record, day=stop), actor)
        return old.course, stop

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
            record = check_record(view, proposal, today, self.settings, self.closures)
            return tx.add_record(view.patient.id, record, actor)

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
        override: str | None = None,
    ) -> int:
        """Record an event as given (a dose, labs, a scan, an order placed) on `day`."""
        proposal = Proposal(RecordType.GIVEN, event, day, dose, note, override)
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
        override: str | None = None,
    ) -> int:
        """A new target for one event; a closed day needs `override` (a reason)."""
        proposal = Proposal(RecordType.RESCHEDULED, event, day, note=reason, override=override)
        return self.add(patient_id, proposal, actor, today, course_number)

    def hold(
        self,
        patient_id: str,
        reason: str,
        actor: Actor,
        today: date,
        day: date | None = None,
        review: date | None = None,
        course_number: int | None = None,
        toxicity: Toxicity | None = None,
        grade: int | None = None,
    ) -> tuple[int, date]:
        """A hold from `day` (default today), up for review on `review` (default the site's
        `hold_review_days` after it), for a toxicity of a CTCAE grade, or for another cause
        (`toxicity` None or OTHER: the reason says what)."""
        day = day or today
        review = review or day + timedelta(days=self.settings.hold_review_days)
        proposal = Proposal(
            RecordType.HOLD, None, day, note=reason, review=review, toxicity=toxicity, grade=grade
        )
        return self.add(patient_id, proposal, actor, today, course_number), review

    def stop_rule(
        self, patient_id: str, today: date, course_number: int | None = None
    ) -> tuple[str, str] | None:
        """The dose of the course that meets the label's stop rule (`discontinue-per-label`)
        and the rule in words with its source ids, if one does."""
        with self.store.read() as tx:
            view = self.course_view(tx, patient_id, today, course_number)
        return stop_rule(view, self.settings, today)

    def resume(
        self,
        patient_id: str,
        reason: str,
        actor: Actor,
        today: date,
        day: date | None = None,
        course_number: int | None = None,
        override: str | None = None,
    ) -> int:
        """End the hold; past the label's stop rule only with `override` (a reason)."""
        proposal = Proposal(RecordType.RESUME, None, day or today, note=reason, override=override)
        return self.add(patient_id, proposal, actor, today, course_number)

    def discontinue(
        self,
        patient_id: str,
        reason: str,
        actor: Actor,
        today: date,
        day: date | None = None,
        end_care: bool = False,
        course_number: int | None = None,
    ) -> int:
        proposal = Proposal(
            RecordType.DISCONTINUED, None, day or today, note=reason, end_care=end_care
        )
        return self.add(patient_id, proposal, actor, today, course_number)

    def correct(
        self,
        patient_id: str,
        record_id: int,
        reason: str,
        actor: Actor,
        today: date,
        course_number: int | None = None,
    ) -> int:
        """Mark a record entered-in-error. The record stays; a new one says it was wrong."""
        reason = check_reason(RecordType.ENTERED_IN_ERROR, reason)
        with self.store.write() as tx:
            patient_id = tx.require_patient(patient_id).id
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
            number = next(c.number for c in courses if c.id == wrong.course_id)
            if course_number is not None and course_number != number:
                raise ConflictError(
                    f"record {record_id} belongs to course {number}, not {course_number}",
                    field="course",
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
