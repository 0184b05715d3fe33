"""The store's raw driver paths, each kept because a benchmark measured it, and each reached
only through the store's interface (`interface.py`: `Tx.facts`, `Tx.add_records_bulk`,
`SqliteReader` as a `ReadStore`). Every other read and write goes through SQLAlchemy Core.

- `read_facts`: the one read of every record a worklist makes, from the driver's own cursor
  (plain tuples, no result objects). Benchmark: `python bench/clinic.py --only missed`
  ("reading the facts" beside `missed --as-of`).
- `SqliteReader` (a `DriverReader`, as `pgreader.PostgresReader` is): an SQLite file read
  through the standard library's sqlite3 alone, for the
  commands that only read every patient's facts (`prrt missed`, `prrt due`, `prrt report`) or
  one patient's (`prrt handout`): importing SQLAlchemy costs a large share of such a command's
  start-up. Benchmarks: `python bench/clinic.py --only missed` (`missed --as-of` on 10,000
  courses), `python bench/unrecorded.py --only handout report`.
- `insert_many`: an import's tens of thousands of records, claims and audit rows through the
  driver itself (SQLite's executemany, PostgreSQL's COPY), without SQLAlchemy building each
  row's parameters; on SQLite the claims and audit rows are made by SQLite itself from the
  records just added instead (`sqlitebulk.py`). Benchmark: `python bench/clinic.py --only
  import-sqlite import-pg`.
- `changemark.ChangeMark` (its own module) is the last such path.

Nothing here imports SQLAlchemy (the reader must not). The SQL names the schema's tables and
columns (`tables.py`; a test checks them). The reader reads a file whose schema is current
(`migrations.latest()`), in read transactions as the store does (BEGIN: in WAL mode writers go
on meanwhile), and gives the very values `Tx` gives; any other database, or one behind on its
migrations, is opened as the full store (`database.Store`), which migrates it.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedule.domain.course import Course, Patient, Record
from schedule.domain.errors import StoreError
from schedule.domain.model import Fact, RecordType
from schedule.domain.units import Quantity
from schedule.store.migrations import latest
from schedule.store.rows import (
    FeedToken,
    by_patient,
    course_of,
    entered_in_error,
    patient_of,
    record_of,
    unknown_patient,
)
from schedule.store.sqlitefile import QUERY_ONLY, check_sqlite_file, readonly_uri

if TYPE_CHECKING:
    from sqlalchemy import Connection


# Patients and courses entered in error are left out, as `Tx.patients()` and `Tx.courses()` do.
PATIENTS_SQL = (
    "SELECT id, name, tz, appt_time, lang, pregnancy FROM patients WHERE in_error IS NULL"
    " ORDER BY id"
)
_STANDING_COURSES = (
    "SELECT id, patient_id, number, regimen, start, interval_days, calendar_month, precautions"
    " FROM courses WHERE in_error IS NULL"
    " AND patient_id NOT IN (SELECT id FROM patients WHERE in_error IS NOT NULL)"
)
COURSES_SQL = f"{_STANDING_COURSES} ORDER BY patient_id, number"
PATIENT_COURSES_SQL = f"{_STANDING_COURSES} AND patient_id = ? ORDER BY number"
# One patient by ID, then compared without case (`Tx.patient`), with the mark of one in error.
PATIENT_SQL = "SELECT id, name, tz, appt_time, lang, pregnancy, in_error FROM patients WHERE {}"
RECORDS_SQL = (
    "SELECT id, course_id, type, event, day, dose, note, corrects, recorded_at, recorded_by,"
    " override, review, end_care, toxicity, grade FROM records WHERE course_id IN ({})"
    " ORDER BY id"
)
TOKEN_SQL = (
    "SELECT id, patient_id, with_name, created_at, created_by FROM feed_tokens"
    " WHERE {} = ? AND revoked_at IS NULL ORDER BY id DESC LIMIT 1"
)
_TYPES = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}


# -- the worklists' read of every record ------------------------------------------------------


# Every record, for `Tx.records()` (`RECORDS_SQL` names some courses).
ALL_RECORDS_SQL = RECORDS_SQL.replace(" WHERE course_id IN ({})", "")


def driver_rows(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    """The rows of `sql` (no parameters) as plain tuples from the driver connection under
    SQLAlchemy's `conn`, in its transaction: `Tx` reads every patient, course or record so
    (an import reads them all before it checks a file; SQLAlchemy's result rows took twice as
    long)."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def driver_facts(conn: Connection, course_ids: Sequence[int] | None) -> dict[int, list[Fact]]:
    """`read_facts` through the driver connection under SQLAlchemy's `conn`, in its
    transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return read_facts(cursor, course_ids)
    finally:
        cursor.close()


def read_facts(cursor: Any, course_ids: Sequence[int] | None) -> dict[int, list[Fact]]:
    """The engine's facts by course (all courses for None), from the records that stand, in
    the order recorded: plain tuples from the driver's cursor, no result objects (the course
    ids are integers, written into the statement so that no parameter limit applies)."""
    where = ""
    if course_ids is not None:
        if not course_ids:
            return {}
        where = f" WHERE course_id IN ({','.join(str(int(i)) for i in course_ids)})"
    cursor.execute(
        "SELECT id, course_id, type, event, day, dose, note, override, review, end_care,"
        " toxicity, grade"
        f" FROM records{where} ORDER BY id"
    )
    rows = cursor.fetchall()
    cursor.execute(
        f"SELECT corrects FROM records WHERE type = '{RecordType.ENTERED_IN_ERROR.value}'"
    )
    wrong = {corrects for (corrects,) in cursor.fetchall()}
    types, iso = _TYPES, date.fromisoformat
    new = tuple.__new__  # a Fact of all its fields, as `Fact._make` builds it (no call of
    # its `__new__` in Python for each of tens of thousands of records)
    days: dict[Any, date] = {}  # SQLite keeps dates as ISO text: parse each text once
    amounts: dict[str, Quantity] = {}  # and a clinic records the same few amounts
    out: dict[int, list[Fact]] = defaultdict(list)
    for rid, course_id, kind, key, day, dose, note, override, review, end, tox, grade in rows:
        if kind not in types or (wrong and rid in wrong):
            continue
        if isinstance(day, str):
            day = days.get(day) or days.setdefault(day, iso(day))
        amount = None
        if dose:
            amount = amounts.get(dose)
            if amount is None:
                amount = amounts[dose] = Quantity.parse(dose)
        out[course_id].append(
            new(
                Fact,
                (types[kind], day, key, amount, note, override,
                 iso(review) if isinstance(review, str) else review, bool(end), tox, grade),
            )
        )  # fmt: skip
    return dict(out)


# -- an import's rows -------------------------------------------------------------------------


def insert_many(
    conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """`rows` (values in the order of `columns`, as the driver takes them) into `table`, in
    `conn`'s transaction."""
    names = ", ".join(columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            markers = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({markers})", rows)
        else:  # PostgreSQL: COPY, the quickest way in (psycopg)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cursor.close()


# -- the light SQLite reader ------------------------------------------------------------------


class ReadTx:
    """One read transaction of a reader through the driver alone (`SqliteReader`,
    `pgreader.PostgresReader`): a `ReadTransaction`, and a `PatientTransaction` (one patient's
    facts and feed links, for the handout). `mark`: the driver's parameter mark (the
    statements are written with SQLite's `?`)."""

    def __init__(self, conn: Any, mark: str = "?") -> None:
        self.conn = conn
        self.mark = mark
        self.tokens = ReadTokens(self.query)

    def query(self, sql: str, params: Sequence[object] = ()) -> Any:
        """`sql`, written with `?` marks, run with the driver's; its cursor."""
        return self.conn.execute(sql if self.mark == "?" else sql.replace("?", self.mark), params)

    def patients(self) -> list[Patient]:
        return [patient_of(row) for row in self.conn.execute(PATIENTS_SQL).fetchall()]

    def courses(self, patient_id: str | None = None) -> list[Course]:
        """Every course (or the patient's), in patient and number order."""
        if patient_id is None:
            rows = self.conn.execute(COURSES_SQL).fetchall()
        else:
            rows = self.query(PATIENT_COURSES_SQL, (patient_id,)).fetchall()
        return [course_of(row) for row in rows]

    def courses_by_patient(self) -> dict[str, list[Course]]:
        """Every course, by patient ID (a patient without courses is not a key)."""
        return by_patient(self.courses())

    def facts(self, course_ids: Sequence[int] | None = None) -> dict[int, list[Fact]]:
        cursor = self.conn.cursor()
        try:
            return read_facts(cursor, course_ids)
        finally:
            cursor.close()

    def require_patient(self, patient_id: str) -> Patient:
        """The patient of this ID, compared without case, as `Tx.require_patient` finds or
        refuses it."""
        row = self.query(PATIENT_SQL.format("id = ?"), (patient_id,)).fetchone()
        if row is None:
            folded = PATIENT_SQL.format("lower(id) = ? ORDER BY id LIMIT 1")
            row = self.query(folded, (patient_id.lower(),)).fetchone()
        if row is None:
            ids = [i for (i,) in self.query("SELECT id FROM patients").fetchall()]
            raise unknown_patient(patient_id, ids)
        if row[-1] is not None:
            raise entered_in_error(row[0])
        return patient_of(row[:-1])

    def records(self, course_ids: Sequence[int]) -> dict[int, list[Record]]:
        """Records by course, in the order recorded."""
        out: dict[int, list[Record]] = defaultdict(list)
        ids = list(course_ids)
        if ids:
            for row in self.query(RECORDS_SQL.format(",".join("?" * len(ids))), ids).fetchall():
                record = record_of(row)
                out[record.course_id].append(record)
        return dict(out)


class ReadTokens:
    """The live feed links, as `tokens.FeedTokens` reads them (`tx.tokens`), through the
    transaction's `ReadTx.query`."""

    def __init__(self, query: Callable[..., Any]) -> None:
        self.query = query

    def _one(self, column: str, value: str) -> FeedToken | None:
        row = self.query(TOKEN_SQL.format(column), (value,)).fetchone()
        return FeedToken(row[0], row[1], bool(row[2]), row[3], row[4]) if row else None

    def active_token(self, patient_id: str) -> FeedToken | None:
        return self._one("patient_id", patient_id)

    def token_owner(self, token_hash: str) -> FeedToken | None:
        return self._one("token_hash", token_hash)


class DriverReader:
    """Read transactions through a driver's own connection, one per process (a `ReadStore`
    and a `PatientStore`): `SqliteReader`, `pgreader.PostgresReader`. A subclass says how to
    connect, how a read transaction begins, the driver's errors and its parameter mark."""

    begin = "BEGIN"
    mark = "?"

    def __init__(self) -> None:
        self._conn: Any = None
        self._inherited: list[Any] = []

    def _connect(self) -> Any:
        raise NotImplementedError

    def _errors(self) -> tuple[type[Exception], ...]:
        raise NotImplementedError

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _current(self) -> bool:
        """Whether the schema is current (else the full store is needed: it migrates)."""
        try:
            with self.read() as tx:
                row = tx.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        except StoreError:
            row = None
        return row is not None and row[0] == latest()

    @contextmanager
    def read(self) -> Iterator[ReadTx]:
        """A read transaction: one consistent view; it takes no write lock. A connection
        that failed is closed (which ends its transaction): the next read connects again."""
        errors = self._errors()
        try:
            conn = self._connection()
            conn.execute(self.begin)
        except errors as exc:
            self.close()
            raise _failed(exc) from None
        try:
            yield ReadTx(conn, self.mark)
        except errors as exc:
            self.close()
            raise _failed(exc) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def after_fork(self) -> None:
        """In a forked process: leave the parent's connection alone (kept, never used or
        closed here: closing a server's would end the parent's session), open a new one."""
        if self._conn is not None:
            self._inherited.append(self._conn)
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with suppress(Exception):  # a broken connection may fail to close
                conn.close()


class SqliteReader(DriverReader):
    """An SQLite file read through sqlite3; `open` says whether this reader can read it."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    @classmethod
    def open(cls, target: str) -> SqliteReader | None:
        """A reader of the SQLite file `target` (a path, not a URL), or None where the full
        store is needed: no such file, another database, or a schema not current."""
        if "://" in target:
            return None
        path = Path(target).expanduser().resolve()
        if not path.is_file():
            return None  # the store says what is wrong (a missing database is refused there)
        try:
            check_sqlite_file(path, empty_ok=False)
        except StoreError:
            return None  # not a database (an empty file, a text): the store refuses it by name
        reader = cls(path)
        if not reader._current():
            reader.close()
            return None
        return reader

    def _connect(self) -> sqlite3.Connection:
        # mode=ro: never creates nor writes a file (read-only media too); autocommit, as
        # the transactions are begun here.
        uri = readonly_uri(self.path)
        conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute(QUERY_ONLY)
        return conn

    def _errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error,)


def _failed(exc: Exception) -> StoreError:
    """The database's own text is never shown (it can hold values): SQLite's first line says
    what kind of failure it was (a lock, a disk error); otherwise the error's kind."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    reason = lines[0] if isinstance(exc, sqlite3.OperationalError) else type(exc).__name__
    return StoreError(f"the database cannot be read now: {reason}")
