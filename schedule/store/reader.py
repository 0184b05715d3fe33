"""An SQLite store read through the standard library's sqlite3 alone, for the commands that only
read every patient's facts (`prrt missed`, `prrt due`): importing SQLAlchemy costs about as
much as the rest of such a command's start-up. It reads a file whose schema is current, in read
transactions as the store does (BEGIN: in WAL mode writers go on meanwhile), and gives the very
values `Tx` gives (`rows.py`). Any other database, or one behind on its migrations, is opened
as the full store (`database.Store`), which migrates it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from schedule.domain.course import Course, Patient
from schedule.domain.errors import StoreError
from schedule.domain.model import Fact
from schedule.store.rows import (
    COURSES_SQL,
    PATIENTS_SQL,
    by_patient,
    course_of,
    patient_of,
    read_facts,
)  # fmt: skip

# The schema this reader knows: the last migration's version (`migrations.latest()`; a test
# checks that the two agree).
SCHEMA_VERSION = 4


class ReadTx:
    """One read transaction: the reads of the worklists and the clinic's load."""

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
    """Read transactions on one SQLite file; `open` says whether this reader can read it."""

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
        reader = cls(path)
        try:
            with reader.read() as tx:
                row = tx.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        except StoreError:
            reader.close()
            return None
        if row is None or row[0] != SCHEMA_VERSION:
            reader.close()
            return None
        return reader

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # mode=rw: never creates a file; autocommit, as the transactions are begun here.
            uri = f"file:{quote(str(self.path))}?mode=rw"
            self._conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            self._conn.execute("PRAGMA busy_timeout=60000")
        return self._conn

    @contextmanager
    def read(self) -> Iterator[ReadTx]:
        """A read transaction: one consistent view; it takes no write lock."""
        try:
            conn = self._connection()
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise _failed(exc) from None
        try:
            yield ReadTx(conn)
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
