"""Storage behind one small interface: SQLAlchemy Core over SQLite (default) or PostgreSQL.

Every write runs in one transaction. On SQLite a write transaction starts with BEGIN IMMEDIATE,
so concurrent writers queue instead of failing half-way; on PostgreSQL the course row is locked
(SELECT ... FOR UPDATE) before anything is checked or written. A new SQLite file is created
readable and writable by its owner only.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    create_engine,
    event,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from schedule.domain.course import Actor, Course, Patient, Record
from schedule.domain.errors import StoreError
from schedule.domain.model import Fact, RecordType
from schedule.domain.units import Quantity
from schedule.store import tables
from schedule.store.migrations import migrate

_PG_LOCK_KEY = 5_177_0001  # advisory lock held while migrating a PostgreSQL database


def database_url(target: str) -> str:
    """A URL from a `--db` value: a URL as given, or a path to an SQLite file."""
    if "://" not in target:
        return f"sqlite:///{Path(target).expanduser().resolve()}"
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    return target


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        _create_private_file(Path(database))
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("prrt_write") else "BEGIN")

    return engine


class Store:
    """The database. Use `write()` for a transaction that changes data, `read()` otherwise."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, target: str, opened_at: str) -> Store:
        url = database_url(target)
        try:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            elif url.startswith("postgresql"):
                engine = create_engine(url, pool_pre_ping=True)
            else:
                raise StoreError(
                    f"database {target!r} is not supported; give a file path or a "
                    "postgresql+psycopg:// URL"
                )
        except (ArgumentError, NoSuchModuleError, OSError) as exc:
            raise StoreError(f"cannot open database {target!r}: {exc}") from None
        store = cls(engine)
        try:
            with store.write() as conn:
                if store.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                migrate(conn, opened_at)
        except DBAPIError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"cannot open database {_safe(url)}: {reason}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def after_fork(self) -> None:
        """In a forked process: leave the parent's connections alone, open new ones."""
        self.engine.dispose(close=False)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with self.engine.connect() as conn:
            conn.info["prrt_write"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("prrt_write", None)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- reads --------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.max(tables.schema_version.c.version))).scalar_one())

    @staticmethod
    def patient(conn: Connection, patient_id: str) -> Patient | None:
        row = conn.execute(
            select(tables.patients).where(tables.patients.c.id == patient_id)
        ).first()
        return _patient(row._mapping) if row else None

    @staticmethod
    def patients(conn: Connection) -> list[Patient]:
        p = tables.patients.c
        query = select(p.id, p.name, p.tz, p.appt_time).order_by(p.id)
        return [Patient(*row) for row in conn.execute(query).fetchall()]

    @staticmethod
    def courses(conn: Connection, patient_id: str | None = None) -> list[Course]:
        """Courses in patient and number order. Columns are read in the dataclass's order and
        SQLite's dates as text: the worklists read every course, so this is kept quick."""
        c = tables.courses.c
        query = select(
            c.id, c.patient_id, c.number, c.regimen, type_coerce(c.start, String),
            c.interval_days, c.calendar_month, c.precautions,
        ).order_by(c.patient_id, c.number)  # fmt: skip
        if patient_id is not None:
            query = query.where(c.patient_id == patient_id)
        iso = date.fromisoformat
        return [
            Course(cid, pid, number, regimen, iso(start) if isinstance(start, str) else start,
                   interval, bool(month), precautions)
            for cid, pid, number, regimen, start, interval, month, precautions
            in conn.execute(query).fetchall()
        ]  # fmt: skip

    @staticmethod
    def records(
        conn: Connection, course_ids: Sequence[int] | None = None
    ) -> dict[int, list[Record]]:
        """Records by course, in the order recorded; all courses when `course_ids` is None."""
        columns = [type_coerce(c, String) if c.name == "day" else c for c in tables.records.columns]
        query = select(*columns).order_by(tables.records.c.id)
        if course_ids is not None:
            query = query.where(tables.records.c.course_id.in_(list(course_ids)))
        out: dict[int, list[Record]] = defaultdict(list)
        types = {t.value: t for t in RecordType}
        for rid, course_id, kind, key, day, dose, note, corrects, at, by in conn.execute(
            query
        ).fetchall():  # fetchall: far quicker than row-by-row for the worklists' bulk load
            if isinstance(day, str):  # SQLite keeps dates as ISO text
                day = date.fromisoformat(day)
            out[course_id].append(
                Record(rid, course_id, types[kind], day, key, dose, note, corrects, at, by)
            )
        return dict(out)

    @staticmethod
    def facts(conn: Connection, course_ids: Sequence[int] | None = None) -> dict[int, list[Fact]]:
        """The engine's facts by course, from the records that stand, in the order recorded;
        what `facts_of(records(...))` gives, without building the records (for worklists)."""
        r = tables.records.c
        day_text = type_coerce(r.day, String)
        query = select(r.id, r.course_id, r.type, r.event, day_text, r.dose, r.note).order_by(r.id)
        if course_ids is not None:
            query = query.where(r.course_id.in_(list(course_ids)))
        rows = conn.execute(query).fetchall()
        wrong = set(
            conn.execute(
                select(r.corrects).where(r.type == RecordType.ENTERED_IN_ERROR.value)
            ).scalars()
        )
        types = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}
        parse, iso = Quantity.parse, date.fromisoformat
        out: dict[int, list[Fact]] = defaultdict(list)
        for rid, course_id, kind, key, day, dose, note in rows:
            if kind not in types or (wrong and rid in wrong):
                continue
            if isinstance(day, str):
                day = iso(day)
            out[course_id].append(Fact(types[kind], day, key, parse(dose) if dose else None, note))
        return dict(out)

    @staticmethod
    def audit(conn: Connection, patient_id: str | None = None) -> list[dict[str, Any]]:
        query = select(tables.audit).order_by(tables.audit.c.id)
        if patient_id is not None:
            query = query.where(tables.audit.c.patient_id == patient_id)
        return [dict(r._mapping) for r in conn.execute(query)]

    # -- writes (inside `write()`) ------------------------------------------------------------

    def lock_course(self, conn: Connection, course_id: int) -> None:
        """Serialise writers of one course (SQLite's BEGIN IMMEDIATE already serialises all)."""
        self.lock_courses(conn, [course_id])

    def lock_courses(self, conn: Connection, course_ids: Sequence[int]) -> None:
        """The same for several courses, locked in id order so that two writers never wait on
        each other in a circle."""
        if self.dialect == "postgresql" and course_ids:
            c = tables.courses.c
            query = select(c.id).where(c.id.in_(sorted(course_ids))).order_by(c.id)
            conn.execute(query.with_for_update())

    def lock_patient(self, conn: Connection, patient_id: str) -> None:
        if self.dialect == "postgresql":
            query = select(tables.patients.c.id).where(tables.patients.c.id == patient_id)
            conn.execute(query.with_for_update())

    @staticmethod
    def add_patient(conn: Connection, patient: Patient, actor: Actor) -> None:
        conn.execute(
            tables.patients.insert().values(
                id=patient.id,
                name=patient.name,
                tz=patient.tz,
                appt_time=patient.time,
                created_at=actor.stamp,
            )
        )
        Store.add_audit(conn, actor, "patient-add", patient.id, detail=_patient_detail(patient))

    @staticmethod
    def add_course(conn: Connection, course: Course, actor: Actor) -> Course:
        number = conn.execute(
            select(func.coalesce(func.max(tables.courses.c.number), 0)).where(
                tables.courses.c.patient_id == course.patient_id
            )
        ).scalar_one()
        result = conn.execute(
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
        Store.add_audit(conn, actor, "course-add", course.patient_id, stored.id, detail=detail)
        return stored

    @staticmethod
    def add_record(conn: Connection, patient_id: str, record: Record, actor: Actor) -> int:
        values = _record_values(record, actor)
        result = conn.execute(tables.records.insert().values(**values))
        key = result.inserted_primary_key
        assert key is not None
        record_id = int(key[0])
        detail = {k: v for k, v in values.items() if k not in ("recorded_at", "recorded_by")}
        detail["day"] = record.day.isoformat()
        Store.add_audit(
            conn, actor, record.type.value, patient_id, record.course_id, record_id, detail
        )
        return record_id

    @staticmethod
    def add_roster(conn: Connection, items: Sequence[tuple[Patient, Course]], actor: Actor) -> None:
        """New patients, each with a first course, in a few statements (for large rosters)."""
        if not items:
            return
        conn.execute(
            tables.patients.insert(),
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "tz": p.tz,
                    "appt_time": p.time,
                    "created_at": actor.stamp,
                }
                for p, _ in items
            ],
        )
        conn.execute(
            tables.courses.insert(),
            [
                {
                    "patient_id": c.patient_id,
                    "number": 1,
                    "regimen": c.regimen,
                    "start": c.start,
                    "interval_days": c.interval_days,
                    "calendar_month": c.calendar_month,
                    "precautions": c.precautions,
                    "created_at": actor.stamp,
                }
                for _, c in items
            ],
        )
        query = select(tables.courses.c.patient_id, tables.courses.c.id).where(
            tables.courses.c.created_at == actor.stamp, tables.courses.c.number == 1
        )
        ids = {row.patient_id: row.id for row in conn.execute(query)}
        audit_rows = []
        for patient, course in items:
            base = {
                "at": actor.stamp,
                "who": actor.who,
                "patient_id": patient.id,
                "record_id": None,
            }
            audit_rows.append(
                {**base, "action": "patient-add", "course_id": None,
                 "detail": json.dumps(_patient_detail(patient), sort_keys=True)}
            )  # fmt: skip
            course_detail = {
                "course": 1,
                "regimen": course.regimen,
                "start": course.start.isoformat(),
            }
            audit_rows.append(
                {**base, "action": "course-add", "course_id": ids.get(patient.id),
                 "detail": json.dumps(course_detail, sort_keys=True)}
            )  # fmt: skip
        conn.execute(tables.audit.insert(), audit_rows)
        Store.add_audit(conn, actor, "import-roster", None, detail={"patients": len(items)})

    @staticmethod
    def add_records_bulk(
        conn: Connection, items: Iterable[tuple[str, Record]], actor: Actor, action: str
    ) -> int:
        """Insert many records and their audit rows in the caller's transaction."""
        count = 0
        for patient_id, record in items:
            Store.add_record(conn, patient_id, record, actor)
            count += 1
        Store.add_audit(conn, actor, action, None, detail={"records": count})
        return count

    @staticmethod
    def add_audit(
        conn: Connection,
        actor: Actor,
        action: str,
        patient_id: str | None,
        course_id: int | None = None,
        record_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        conn.execute(
            tables.audit.insert().values(
                at=actor.stamp,
                who=actor.who,
                action=action,
                patient_id=patient_id,
                course_id=course_id,
                record_id=record_id,
                detail=json.dumps(detail or {}, sort_keys=True, default=str),
            )
        )


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _patient(row: Any) -> Patient:
    return Patient(row["id"], row["name"], row["tz"], row["appt_time"])


def _patient_detail(patient: Patient) -> dict[str, Any]:
    return {"name": patient.name, "tz": patient.tz, "time": patient.time}


def _record_values(record: Record, actor: Actor) -> dict[str, Any]:
    return {
        "course_id": record.course_id,
        "type": record.type.value,
        "event": record.event,
        "day": record.day,
        "dose": record.dose,
        "note": record.note,
        "corrects": record.corrects,
        "recorded_at": actor.stamp,
        "recorded_by": actor.who,
    }
