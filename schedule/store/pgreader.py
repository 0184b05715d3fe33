"""A PostgreSQL database read through psycopg alone, as `fastpath.SqliteReader` reads an
SQLite file: for the commands that only read (`prrt missed`, `prrt due`, `prrt report`,
`prrt handout`). Importing SQLAlchemy and setting up its engine cost about a fifth of `missed`
on 10,000 courses. Benchmark: `python bench/unrecorded.py --only import-pg missed-pg`.

The reader reads a database whose schema is current (`migrations.latest()`), each read in one
snapshot (`REPEATABLE READ`, `READ ONLY`: it never writes), with the same statements as the
SQLite reader (`fastpath.ReadTx`), and gives the very values `Tx` gives. Its connect is
bounded as the store's is (`database.Waits().connect`, or the URL's `connect_timeout`); a
server that does not answer is refused in the store's words. A schema that is not current is
left to the full store, which migrates it. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from schedule.domain.errors import StoreError
from schedule.store.fastpath import DriverReader

SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
CONNECT_WAIT = 10  # seconds, as `database.Waits().connect`


class PostgresReader(DriverReader):
    """A PostgreSQL database read through psycopg; `open` says whether this reader can read
    it."""

    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    mark = "%s"

    def __init__(self, conninfo: str) -> None:
        super().__init__()
        self.conninfo = conninfo  # the URL's own parameters (a search_path) come too

    @classmethod
    def open(cls, target: str) -> PostgresReader | None:
        """A reader of the database at the URL `target`, or None where the full store is
        needed: another kind of database, or a schema not current. A server that does not
        answer is refused in one line, as the store does, and not asked twice (the store
        would wait as long again)."""
        if not target.startswith(SCHEMES):
            return None
        import psycopg

        reader = cls("postgresql://" + target.split("://", 1)[1])
        try:
            reader._connection()
        except psycopg.OperationalError as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StoreError(f"cannot open database {_safe(target)}: {reason}") from None
        if not reader._current():
            reader.close()
            return None
        return reader

    def _connect(self) -> Any:
        import psycopg

        # The URL's own connect_timeout, else the store's bound.
        conninfo = self.conninfo
        if "connect_timeout=" not in conninfo:
            conninfo += f"{'&' if '?' in conninfo else '?'}connect_timeout={CONNECT_WAIT}"
        return psycopg.connect(conninfo, autocommit=True)

    def _errors(self) -> tuple[type[Exception], ...]:
        import psycopg

        return (psycopg.Error,)


def _safe(target: str) -> str:
    """The URL as the store names it (`postgresql+psycopg://`), without its password."""
    parts = urlsplit("postgresql+psycopg://" + target.split("://", 1)[1])
    if parts.password is None:
        return parts.geturl()
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()
