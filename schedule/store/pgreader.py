"""A PostgreSQL database read through psycopg alone, as `fastpath.SqliteReader` reads an
SQLite file: for the commands that only read (`prrt missed`, `prrt due`, `prrt report`,
`prrt handout`). Importing SQLAlchemy and setting up its engine cost about a fifth of `missed`
on 10,000 courses. Benchmark: `python bench/unrecorded.py --only import-pg missed-pg`.

The reader reads a database whose schema is current (`migrations.latest()`), each read in one
snapshot (`REPEATABLE READ`, `READ ONLY`: it never writes), with the same statements as the
SQLite reader (`fastpath.ReadTx`), and gives the very values `Tx` gives. Its waits are bounded
as the store's are (`database.Waits`: the connect, and any statement or lock when set). A
database that cannot be reached, or whose schema is not current, is left to the full store,
which says what is wrong or migrates it. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

from schedule.domain.errors import StoreError
from schedule.store.fastpath import ReadTx
from schedule.store.migrations import latest

SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
CONNECT_WAIT = 10  # seconds, as `database.Waits().connect`


class PostgresReader:
    """Read transactions on one PostgreSQL database (a `ReadStore` and a `PatientStore`);
    `open` says whether this reader can read it."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo  # the URL's own parameters (a search_path) come too
        self._conn: Any = None
        self._inherited: list[Any] = []

    @classmethod
    def open(cls, target: str) -> PostgresReader | None:
        """A reader of the database at the URL `target`, or None where the full store is
        needed: another kind of database, no answer, or a schema not current."""
        if not target.startswith(SCHEMES):
            return None
        reader = cls("postgresql://" + target.split("://", 1)[1])
        reader.connect(target)
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

    def connect(self, target: str) -> None:
        """Connect, or refuse in one line as the store does: a server that does not answer
        is not asked twice (the store would wait as long again)."""
        import psycopg

        try:
            self._connection()
        except psycopg.OperationalError as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StoreError(f"cannot open database {_safe(target)}: {reason}") from None

    def _connection(self) -> Any:
        if self._conn is None:
            import psycopg

            # The URL's own connect_timeout, else the store's bound.
            conninfo = self.conninfo
            if "connect_timeout=" not in conninfo:
                conninfo += f"{'&' if '?' in conninfo else '?'}connect_timeout={CONNECT_WAIT}"
            self._conn = psycopg.connect(conninfo, autocommit=True)
        return self._conn

    @contextmanager
    def read(self) -> Iterator[ReadTx]:
        """A read transaction: one snapshot; it takes no write lock and writes nothing."""
        import psycopg

        try:
            conn = self._connection()
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except psycopg.Error as exc:
            self._drop()
            raise _failed(exc) from None
        try:
            yield ReadTx(conn, "%s")
        except psycopg.Error as exc:
            self._drop()
            raise _failed(exc) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _drop(self) -> None:
        """Close a connection that failed: the next read connects again."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with suppress(Exception):  # a broken connection may fail to close
                conn.close()

    def after_fork(self) -> None:
        """In a forked process: leave the parent's connection alone (kept, never used or
        closed here: closing it would end the parent's session), open a new one."""
        if self._conn is not None:
            self._inherited.append(self._conn)
            self._conn = None

    def close(self) -> None:
        self._drop()


def _safe(target: str) -> str:
    """The URL as the store names it (`postgresql+psycopg://`), without its password."""
    parts = urlsplit("postgresql+psycopg://" + target.split("://", 1)[1])
    if parts.password is None:
        return parts.geturl()
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def _failed(exc: Exception) -> StoreError:
    """The server's own text is never shown (it can hold values): the kind of failure."""
    return StoreError(f"the database cannot be read now: {type(exc).__name__}")
