"""The store's raw driver paths, each kept because a benchmark measured it, and each reached
only through the store's interface (`interface.py`: `Tx.facts`, `Tx.add_records_bulk`,
`SqliteReader` as a `ReadStore`). Every other read and write goes through SQLAlchemy Core.

- `read_facts`: the one read of every record a worklist makes, from the driver's own cursor
  (plain tuples, no result objects). Benchmark: `python bench/clinic.py --only missed`
  ("reading the facts" beside `missed --as-of`).
- `SqliteReader`: an SQLite file read through the standard library's sqlite3 alone, for the
  commands that only read every patient's facts (`prrt missed`, `prrt due`): importing
  SQLAlchemy costs a large share of such a command's start-up. Benchmark: `python
  bench/clinic.py --only missed` (`missed --as-of` on 10,000 courses).
- `insert_many`: an import's tens of thousands of records, claims and audit rows through the
  driver itself (SQLite's executemany, PostgreSQL's COPY), without SQLAlchemy building each
  row's parameters. Benchmark: `python bench/clinic.py --only import-sqlite import-pg`.
- `ChangeMark`: whether anything in the store changed, read on a connection of its own (below),
  so that the feed server answers a known feed's 304 from memory, on its event loop, without a
  query. Benchmark: `python bench/network.py` (304s at 64 clients).

Nothing here imports SQLAlchemy (the reader must not). The SQL names the schema's tables and
columns (`tables.py`; a test checks them). The reader reads a file whose schema is current
(`migrations.latest()`), in read transactions as the store does (BEGIN: in WAL mode writers go
on meanwhile), and gives the very values `Tx` gives; any other database, or one behind on its
migrations, is opened as the full store (`database.Store`), which migrates it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schedule.domain.course import Course, Patient
from schedule.domain.errors import StoreError
from schedule.domain.model import Fact, RecordType
from schedule.domain.units import Quantity
from schedule.store.migrations import latest
from schedule.store.rows import by_patient, course_of, patient_of
from schedule.store.sqlitefile import QUERY_ONLY, check_sqlite_file, readonly_uri

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from schedule.store.interface import Engined

# Patients and courses entered in error are left out, as `Tx.patients()` and `Tx.courses()` do.
PATIENTS_SQL = (
    "SELECT id, name, tz, appt_time, lang, pregnancy FROM patients WHERE in_error IS NULL"
    " ORDER BY id"
)
COURSES_SQL = (
    "SELECT id, patient_id, number, regimen, start, interval_days, calendar_month, precautions"
    " FROM courses WHERE in_error IS NULL"
    " AND patient_id NOT IN (SELECT id FROM patients WHERE in_error IS NOT NULL)"
    " ORDER BY patient_id, number"
)
_TYPES = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}


# -- the worklists' read of every record ------------------------------------------------------


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


class SqliteReadTx:
    """One read transaction of `SqliteReader`: a `ReadTransaction`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def patients(self) -> list[Patient]:
        return [patient_of(row) for row in self.conn.execute(PATIENTS_SQL).fetchall()]

    def courses(self) -> list[Course]:
        """Every course, in patient and number order."""
        return [course_of(row) for row in self.conn.execute(COURSES_SQL).fetchall()]

    def courses_by_patient(self) -> dict[str, list[Course]]:
        """Every course, by patient ID (a patient without courses is not a key)."""
        return by_patient(self.courses())

    def facts(self, course_ids: Sequence[int] | None = None) -> dict[int, list[Fact]]:
        cursor = self.conn.cursor()
        try:
            return read_facts(cursor, course_ids)
        finally:
            cursor.close()


class SqliteReader:
    """Read transactions on one SQLite file (a `ReadStore`); `open` says whether this reader
    can read it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._inherited: list[sqlite3.Connection] = []

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
        try:
            with reader.read() as tx:
                row = tx.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        except StoreError:
            reader.close()
            return None
        if row is None or row[0] != latest():
            reader.close()
            return None
        return reader

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # mode=ro: never creates nor writes a file (read-only media too); autocommit, as
            # the transactions are begun here.
            uri = readonly_uri(self.path)
            self._conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            self._conn.execute("PRAGMA busy_timeout=60000")
            self._conn.execute(QUERY_ONLY)
        return self._conn

    @contextmanager
    def read(self) -> Iterator[SqliteReadTx]:
        """A read transaction: one consistent view; it takes no write lock."""
        try:
            conn = self._connection()
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise _failed(exc) from None
        try:
            yield SqliteReadTx(conn)
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise _failed(exc) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def after_fork(self) -> None:
        """In a forked process: leave the parent's connection alone (kept, never used or
        closed here), open a new one."""
        if self._conn is not None:
            self._inherited.append(self._conn)
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _failed(exc: sqlite3.Error) -> StoreError:
    """The database's own text is never shown (it can hold values); its first line says what
    kind of failure it was (a lock, a disk error)."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    reason = lines[0] if isinstance(exc, sqlite3.OperationalError) else type(exc).__name__
    return StoreError(f"the database cannot be read now: {reason}")


# -- the change mark ----------------------------------------------------------------------
# Whether anything in the store changed: a mark that differs after every committed write.
#
# `ChangeMark.read()` returns a value; reading it again gives an equal value only if no write was
# committed in between, by any process. What was read from the store after a mark was taken may
# therefore be kept, and trusted, for as long as the mark reads the same (the feed server keeps
# each feed's state so, and a 304 then touches no table).
#
# - SQLite: `PRAGMA data_version` on a connection of its own that never writes (the value changes
#   when another connection commits a change; the server's own writes go through other ones).
#   The counter is the connection's: a new connection starts it again, so the mark also holds
#   which connection read it (`(epoch, value)`, a new epoch with every connection), and a mark
#   read before a reconnection never equals one read after. That connection waits at most `BUSY`
#   seconds for a lock: when the database is too busy to say at once, the mark is one equal to no
#   other (unknown: nothing is trusted on it), so reading it never holds up the caller for long.
# - PostgreSQL: the current snapshot (`pg_current_snapshot()`): the latest completed transaction
#   and those still running. A write that commits either was running (it leaves the list) or is
#   newer than the latest completed one (the bound moves), so two equal snapshots see exactly the
#   same rows. It covers the whole cluster: writes to other databases change it too (the mark only
#   changes more often than needed, never less).
#
# The SQLite mark costs a few microseconds and no I/O (`local`); the PostgreSQL one a round trip.

SQL = {
    "sqlite": "PRAGMA data_version",
    "postgresql": "SELECT pg_current_snapshot()::text",
}
OLD_POSTGRESQL = "SELECT txid_current_snapshot()::text"  # before PostgreSQL 13
BUSY = 0.05  # seconds the SQLite mark waits for a lock (the store's own connections wait 60)
SQLITE_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: the primary codes of "try again later"


class ChangeMark:
    """The store's change mark, read through one connection of its own (opened when first read,
    and again after an error); safe to read from several threads."""

    def __init__(self, store: Engined) -> None:
        if store.dialect not in SQL:
            raise StoreError(f"no change mark for a {store.dialect} database")
        self.store = store
        self.local = store.dialect == "sqlite"  # read without waiting on a server
        self._lock = threading.Lock()
        self._conn: Any = None  # the driver's connection, detached from the pool
        self._epoch = object()  # renewed with every connection (see the module)
        self._sql = SQL[store.dialect]

    def read(self) -> object:
        """The mark now (an unknown one when SQLite is busy); `StoreError` when the database
        cannot be reached (tried twice)."""
        with self._lock:
            errors = self.store.engine.dialect.loaded_dbapi.Error
            for attempt in (1, 2):
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                        self._epoch = object()
                    cursor = self._conn.execute(self._sql)
                    return (self._epoch, cursor.fetchone()[0])
                except errors as exc:
                    if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF in SQLITE_BUSY:
                        return object()  # unknown: equal to no mark, before or after
                    self._drop()
                    if attempt == 2:
                        raise StoreError(
                            f"cannot read the database's change mark: {type(exc).__name__}"
                        ) from None
            raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connect(self) -> Any:
        engine = self.store.engine
        if self.store.dialect == "sqlite":  # not through the pool, whose connections wait 60 s
            args, options = engine.dialect.create_connect_args(engine.url)
            return engine.dialect.loaded_dbapi.connect(*args, **{**options, "timeout": BUSY})
        pooled = engine.raw_connection()
        conn: Any = pooled.driver_connection
        pooled.detach()  # ours for good: closing it closes the connection, not the pool's
        conn.autocommit = True  # each read its own statement: no transaction held open
        if conn.info.server_version < 130000:
            self._sql = OLD_POSTGRESQL
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):  # a broken connection may fail to close
                conn.close()
