"""One database transaction as an object: every read and write of the stored facts.

`Store.write()` and `Store.read()` hand one out; everything done through it commits together or
not at all. Writes through a read transaction are a bug and raise at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from sqlalchemy import Connection, String, func, select, type_coerce
from sqlalchemy.exc import IntegrityError

from schedule.domain.course import Actor, Course, Patient, Record
from schedule.domain.errors import ConflictError, Hint
from schedule.domain.model import Fact, RecordType
from schedule.store import tables
from schedule.store.bulk import Prepared, add_records
from schedule.store.fastpath import (
    ALL_RECORDS_SQL,
    COURSES_SQL,
    PATIENTS_SQL,
    driver_facts,
    driver_rows,
)
from schedule.store.published import PublishedMemory
from schedule.store.rows import (
    CLAIMS,
    audit_text,
    by_patient,
    course_of,
    entered_in_error,
    patient_detail,
    patient_of,
    record_detail,
    record_of,
    record_values,
    unknown_patient,
)
from schedule.store.tokens import FeedTokens


class Watch(Protocol):
    """What looks at the patients a write transaction changes (the calendars' memory,
    `calendars/memory.py`): `before` when the transaction first touches them, `after` (with
    what `before` said, by patient) just before it commits, in the same transaction."""

    def before(self, tx: Tx, patient_ids: Sequence[str]) -> dict[str, Any]: ...

    def after(self, tx: Tx, before: dict[str, Any]) -> None: ...


class Tx:
    """An open transaction on the store: reads, row locks and writes of patients, courses,
    records and the audit trail; `published` and `tokens` hold the calendars' memory."""

    def __init__(
        self, conn: Connection, dialect: str, writable: bool, watch: Watch | None = None
    ) -> None:
        self.conn = conn
        self.dialect = dialect
        self.writable = writable
        self.published = PublishedMemory(self)
        self.tokens = FeedTokens(self)
        self.watch = watch
        self._touched: dict[str, Any] = {}  # patient -> what the watch said before the change

    def touch(self, *patient_ids: str) -> None:
        """Say that the schedules of these patients are about to change in this transaction
        (the watch, if any, looks at them first: `Watch`)."""
        new = [p for p in dict.fromkeys(patient_ids) if p not in self._touched]
        if not new:
            return
        said = self.watch.before(self, new) if self.watch else {}
        for pid in new:
            self._touched[pid] = said.get(pid, {})

    def settle(self) -> None:
        """Just before the transaction commits: the watch remembers what changed."""
        if self.watch is not None and self._touched:
            self.watch.after(self, self._touched)

    def writing(self) -> Connection:
        """The connection, for a write; a write inside `Store.read()` is a bug."""
        if not self.writable:
            raise RuntimeError("a write inside a read transaction")
        return self.conn

    # -- reads --------------------------------------------------------------------------------

    def require_patient(self, patient_id: str, hidden: bool = False) -> Patient:
        """The patient of this ID, compared without case (`patient`); an unknown ID is refused
        with the stored IDs closest to it, one entered in error (unless `hidden`) with the
        way to restore it."""
        patient = self.patient(patient_id, hidden=True)
        if patient is None:
            ids = self.conn.execute(select(tables.patients.c.id)).scalars()
            raise unknown_patient(patient_id, ids)
        if not hidden:
            self.refuse_in_error(patient.id)
        return patient

    def patient(self, patient_id: str, hidden: bool = False) -> Patient | None:
        """The patient of this ID, compared without case (IDs are ASCII, so folding is the same
        on every database: `lookups.py`): `net-003` finds `NET-003`. One entered in error
        only with `hidden`."""
        p = tables.patients
        row = self.conn.execute(select(p).where(p.c.id == patient_id)).first()
        if row is None:
            folded = select(p).where(func.lower(p.c.id) == patient_id.lower())
            row = self.conn.execute(folded.order_by(p.c.id).limit(1)).first()
        if row is None or (row._mapping["in_error"] is not None and not hidden):
            return None
        return _patient(row._mapping)

    def in_error(self, patient_id: str) -> str | None:
        """The reason the patient (stored ID) was entered in error, or None."""
        p = tables.patients.c
        return self.conn.execute(select(p.in_error).where(p.id == patient_id)).scalar()

    def refuse_in_error(self, patient_id: str, course: Course | None = None) -> None:
        """A `ConflictError` for a patient (stored ID), or one of its courses, entered in
        error (the reason is not repeated: a note is never echoed)."""
        what, ref = f"patient {patient_id}", "P"
        wrong = self.in_error(patient_id) is not None
        if not wrong and course is not None:
            c = tables.courses.c
            reason = self.conn.execute(select(c.in_error).where(c.id == course.id)).scalar()
            what, ref, wrong = (
                f"course {course.number} of {patient_id}",
                f"C{course.number}",
                (reason is not None),
            )
        if wrong:
            raise entered_in_error(patient_id, what, ref)

    def patients(self, hidden: bool = False) -> list[Patient]:
        """Every patient in ID order; those entered in error only with `hidden`."""
        if not hidden:
            return [patient_of(row) for row in driver_rows(self.conn, PATIENTS_SQL)]
        p = tables.patients.c
        query = select(p.id, p.name, p.tz, p.appt_time, p.lang, p.pregnancy).order_by(p.id)
        return [Patient(*row) for row in self.conn.execute(query).fetchall()]

    def courses_by_patient(self) -> dict[str, list[Course]]:
        """Every course, by patient ID (a patient without courses is not a key)."""
        return by_patient(self.courses())

    def courses(self, patient_id: str | None = None, hidden: bool = False) -> list[Course]:
        """Courses in patient and number order; those entered in error, or of a patient
        entered in error, only with `hidden`. Columns are read in the dataclass's order and
        SQLite's dates as text: the worklists read every course, so this is kept quick."""
        if patient_id is None and not hidden:
            return [course_of(row) for row in driver_rows(self.conn, COURSES_SQL)]
        c = tables.courses.c
        query = select(*tables.COURSE_COLUMNS).order_by(c.patient_id, c.number)
        if patient_id is not None:
            query = query.where(c.patient_id == patient_id)
        if not hidden:
            p = tables.patients.c
            wrong = select(p.id).where(p.in_error.is_not(None))
            query = query.where(c.in_error.is_(None), c.patient_id.not_in(wrong))
        return [course_of(row) for row in self.conn.execute(query).fetchall()]

    def records(self, course_ids: Sequence[int] | None = None) -> dict[int, list[Record]]:
        """Records by course, in the order recorded; all courses when `course_ids` is None."""
        out: dict[int, list[Record]] = defaultdict(list)
        if course_ids is None:
            for row in driver_rows(self.conn, ALL_RECORDS_SQL):
                record = record_of(row)
                out[record.course_id].append(record)
            return dict(out)
        columns = [
            type_coerce(c, String) if c.name in ("day", "review") else c
            for c in tables.records.columns
        ]
        query = select(*columns).order_by(tables.records.c.id)
        query = query.where(tables.records.c.course_id.in_(list(course_ids)))
        for row in self.conn.execute(query).fetchall():  # fetchall: quicker than row by row
            record = record_of(row)
            out[record.course_id].append(record)
        return dict(out)

    def facts(self, course_ids: Sequence[int] | None = None) -> dict[int, list[Fact]]:
        """The engine's facts by course, from the records that stand, in the order recorded;
        what `facts_of(records(...))` gives, without building the records (for worklists).

        The one read of every record a worklist makes, so it goes to the driver's own cursor
        (`fastpath.read_facts`)."""
        return driver_facts(self.conn, course_ids)

    def last_ids(self) -> tuple[int, int]:
        """The highest record and course ids: they rise with every record or course added."""
        record = self.conn.execute(select(func.max(tables.records.c.id))).scalar()
        course = self.conn.execute(select(func.max(tables.courses.c.id))).scalar()
        return int(record or 0), int(course or 0)

    def audit(self, patient_id: str | None = None) -> list[dict[str, Any]]:
        query = select(tables.audit).order_by(tables.audit.c.id)
        if patient_id is not None:
            query = query.where(tables.audit.c.patient_id == patient_id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    # -- writes (inside `Store.write()`) ------------------------------------------------------

    def lock_course(self, course_id: int) -> None:
        """Serialise writers of one course (SQLite's BEGIN IMMEDIATE already serialises all)."""
        self.lock_courses([course_id])

    def lock_courses(self, course_ids: Sequence[int]) -> None:
        """The same for several courses, locked in id order so that two writers never wait on
        each other in a circle."""
        if self.dialect == "postgresql" and course_ids:
            c = tables.courses.c
            query = select(c.id).where(c.id.in_(sorted(course_ids))).order_by(c.id)
            self.conn.execute(query.with_for_update())

    def lock_patient(self, patient_id: str) -> None:
        if self.dialect == "postgresql":
            query = select(tables.patients.c.id).where(tables.patients.c.id == patient_id)
            self.conn.execute(query.with_for_update())

    def add_patient(self, patient: Patient, actor: Actor) -> None:
        self.touch(patient.id)
        self.writing().execute(
            tables.patients.insert().values(
                id=patient.id,
                name=patient.name,
                tz=patient.tz,
                appt_time=patient.time,
                lang=patient.lang,
                pregnancy=patient.pregnancy,
                created_at=actor.stamp,
            )
        )
        self.add_audit(actor, "patient-add", patient.id, detail=patient_detail(patient))

    def add_course(self, course: Course, actor: Actor) -> Course:
        self.touch(course.patient_id)
        number = (
            self.writing()
            .execute(
                select(func.coalesce(func.max(tables.courses.c.number), 0)).where(
                    tables.courses.c.patient_id == course.patient_id
                )
            )
            .scalar_one()
        )
        result = self.writing().execute(
            tables.courses.insert().values(
                patient_id=course.patient_id,
                number=number + 1,
                regimen=course.regimen,
                start=course.start,
                interval_days=course.interval_days,
                calendar_month=course.calendar_month,
                precautions=course.precautions,
                created_at=actor.stamp,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        stored = replace(course, id=int(key[0]), number=number + 1)
        detail = {
            "course": stored.number,
            "regimen": stored.regimen,
            "start": stored.start.isoformat(),
            "interval_days": stored.interval_days,
            "calendar_month": stored.calendar_month,
            "precautions": stored.precautions,
        }
        self.add_audit(actor, "course-add", course.patient_id, stored.id, detail=detail)
        return stored

    def add_record(self, patient_id: str, record: Record, actor: Actor) -> int:
        self.touch(patient_id)
        values = record_values(record, actor.stamp, actor.who)
        result = self.writing().execute(tables.records.insert().values(**values))
        key = result.inserted_primary_key
        assert key is not None
        record_id = int(key[0])
        self._claim(patient_id, record, record_id)
        detail = record_detail(record)
        self.add_audit(actor, record.type.value, patient_id, record.course_id, record_id, detail)
        return record_id

    def _claim(self, patient_id: str, record: Record, record_id: int) -> None:
        """Keep `standing` in step: a given or skipped event is claimed once per course (the
        database refuses a second claim, whatever the timing of two writers); a correction
        frees the claim of the record it names."""
        s = tables.standing
        if record.type in CLAIMS and record.event:
            insert = s.insert().values(
                course_id=record.course_id, event=record.event, record_id=record_id
            )
            try:
                with self.writing().begin_nested():
                    self.writing().execute(insert)
            except IntegrityError:
                raise ConflictError(
                    f"{record.event} of {patient_id} was recorded meanwhile by another writer",
                    field="event",
                    hint=Hint.SHOW_EVENTS,
                    patient=patient_id,
                ) from None
        elif record.type is RecordType.ENTERED_IN_ERROR and record.corrects is not None:
            self.writing().execute(s.delete().where(s.c.record_id == record.corrects))

    def add_records_bulk(
        self,
        items: Iterable[tuple[str, Record]],
        actor: Actor,
        action: str,
        prepared: Prepared | None = None,
    ) -> int:
        """Insert many records, their claims and their audit rows in a few statements, in the
        caller's transaction (as `add_record` one by one would): `bulk.add_records`, with
        their values made ahead if `prepared` has them."""
        rows = list(items)
        self.touch(*(patient_id for patient_id, _ in rows))
        count = add_records(self.writing(), rows, actor, prepared)
        self.add_audit(actor, action, None, detail={"records": count})
        return count

    def add_audit(
        self,
        actor: Actor,
        action: str,
        patient_id: str | None,
        course_id: int | None = None,
        record_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.writing().execute(
            tables.audit.insert().values(
                at=actor.stamp,
                who=actor.who,
                action=action,
                patient_id=patient_id,
                course_id=course_id,
                record_id=record_id,
                detail=audit_text(detail or {}),
            )
        )


def _patient(row: Any) -> Patient:
    return Patient(
        row["id"], row["name"], row["tz"], row["appt_time"], row["lang"], row["pregnancy"]
    )
