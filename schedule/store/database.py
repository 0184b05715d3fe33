"""Storage behind one small interface: SQLAlchemy Core over SQLite (default) or PostgreSQL.

Every write runs in one transaction. On SQLite a write transaction starts with BEGIN IMMEDIATE,
so concurrent writers queue instead of failing half-way, and reads start with BEGIN, so in WAL
mode they never wait for a writer (opening checks the schema in a read transaction too); on
PostgreSQL the course row is locked (SELECT ... FOR UPDATE) before anything is checked or
written. A new SQLite file is created readable and writable by its owner only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from schedule.domain.errors import Hint, StoreError
from schedule.store import tables
from schedule.store.migrations import current_version, latest, migrate
from schedule.store.sqlitefile import (
    NOT_A_DATABASE,
    QUERY_ONLY,
    check_prrt_file,
    check_sqlite_file,
    not_a_database,
    readonly_uri,
)
from schedule.store.transaction import Tx, Watch

PG_LOCK_KEY = 5_177_0001  # advisory lock held while migrating a PostgreSQL database
# SQLite's page cache per connection, KiB (its default: 2,000): an import's tens of thousands
# of rows touch the indexes of records, claims and audit all over; taken only as used.
CACHE_KIB = 32_768


@dataclass(frozen=True)
class Waits:
    """How long the store waits on the database, in seconds: to connect (PostgreSQL), for one
    statement (PostgreSQL; None: as long as it takes), for a lock (SQLite's busy timeout;
    PostgreSQL's lock timeout when `statement` is set) and for a free pooled connection."""

    connect: float = 10.0
    statement: float | None = None
    lock: float = 60.0
    pool: float = 30.0


# The feed server answers phones: a slow or silent database must give a 503 in seconds.
SERVER_WAITS = Waits(connect=3.0, statement=5.0, lock=5.0, pool=5.0)


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


def sqlite_engine(url: str, waits: Waits = Waits(), readonly: bool = False) -> Engine:
    """An engine on an SQLite file, created if missing (mode 0600); `readonly`: opened with
    SQLite's `mode=ro`, so nothing is ever written to the file, which may be on read-only
    media (in a folder that cannot be written, without WAL files beside it, as `immutable`)."""
    database = make_url(url).database
    if readonly and database:
        url = readonly_url(Path(database))
    elif database and database != ":memory:":
        _create_private_file(Path(database))
    engine = create_engine(url, connect_args={"timeout": waits.lock}, pool_timeout=waits.pool)
    busy = int(waits.lock * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if readonly:
            cursor.execute(QUERY_ONLY)
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("prrt_write") else "BEGIN")

    return engine


def readonly_url(path: Path) -> str:
    """The SQLAlchemy URL of `readonly_uri`."""
    return f"sqlite:///{readonly_uri(path)}&uri=true"


def postgresql_engine(url: str, waits: Waits = Waits()) -> Engine:
    """A PostgreSQL engine whose connects (and, with `waits.statement`, statements and locks)
    give up after their time instead of waiting on a server that does not answer."""
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(waits.connect))}
    if waits.statement is not None:
        statement, lock = round(waits.statement * 1000), round(waits.lock * 1000)
        given = make_url(url).query.get("options")  # the URL's own (a search_path) come too
        own = given if isinstance(given, str) else " ".join(given or ())
        connect_args["options"] = " ".join(
            x for x in (own, f"-c statement_timeout={statement} -c lock_timeout={lock}") if x
        )
    return create_engine(
        url, pool_pre_ping=True, pool_timeout=waits.pool, connect_args=connect_args
    )


class Store:
    """The database. Use `write()` for a transaction that changes data, `read()` otherwise."""

    created: str | None = None  # the path of the SQLite file this open created
    sqlite_path: str | None = None  # the SQLite file opened (None: PostgreSQL, in memory)
    watch: Watch | None = None  # what looks at each write's patients (`Tx.touch`)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(
        cls,
        target: str,
        opened_at: str,
        create: bool = True,
        waits: Waits = Waits(),
        readonly: bool = False,
    ) -> Store:
        """Open (and migrate) the database. `create=False` refuses an SQLite file that does
        not exist (or is empty) instead of setting it up; `waits` bounds every wait on the
        database. `readonly`: an SQLite file is opened read-only and never migrated (an older
        one is refused), so a command that only reads never writes, even on read-only media.
        A file that is not a prrt database is refused by its name."""
        url = database_url(target)
        path = make_url(url).database if url.startswith("sqlite") else None
        new_file = bool(path) and path != ":memory:" and not Path(str(path)).exists()
        if new_file and not create:
            raise StoreError(f"no database at {path}", hint=Hint.CREATE_DATABASE, path=path)
        sqlite_file = bool(path) and path != ":memory:"
        if sqlite_file and not new_file:
            check_sqlite_file(Path(str(path)), empty_ok=create and not readonly)
            if Path(str(path)).stat().st_size:
                check_prrt_file(Path(str(path)), empty_ok=create and not readonly)
        try:
            if url.startswith("sqlite"):
                engine = sqlite_engine(url, waits, readonly and sqlite_file)
            elif url.startswith("postgresql"):
                engine = postgresql_engine(url, waits)
            else:
                raise StoreError(
                    f"database {target!r} is not supported; give a file path or a "
                    "postgresql+psycopg:// URL"
                )
        except (ArgumentError, NoSuchModuleError, OSError) as exc:
            raise StoreError(f"cannot open database {target!r}: {exc}") from None
        store = cls(engine)
        store.created = str(path) if new_file else None
        store.sqlite_path = str(path) if sqlite_file else None
        try:
            # Most opens find the schema current: look in a read transaction, which takes no
            # write lock, so a command that only reads never waits for a writer (an import).
            if store._behind():
                store._migrate(opened_at, str(path) if readonly and sqlite_file else None)
        except DBAPIError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if sqlite_file and NOT_A_DATABASE in reason:
                raise not_a_database(path) from None
            raise StoreError(f"cannot open database {_safe(url)}: {reason}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def _migrate(self, opened_at: str, readonly_path: str | None) -> None:
        """Apply what is missing, in one transaction; a file opened read-only (its path given)
        is refused instead: a command that only reads never writes."""
        if readonly_path is not None:
            self.engine.dispose()
            raise StoreError(
                f"the database {readonly_path} is from an older version of prrt; it is brought "
                "up to date by a command that writes",
                hint=Hint.UPGRADE_DATABASE,
                path=readonly_path,
            )
        with self.write() as tx:
            if self.dialect == "postgresql":
                tx.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
            migrate(tx.conn, opened_at)  # applies only what is still missing

    def _behind(self) -> bool:
        """Whether a migration is missing (a new database has none applied)."""
        with self.read() as tx:
            return current_version(tx.conn) < latest()

    def after_fork(self) -> None:
        """In a forked process: leave the parent's connections alone, open new ones."""
        self.engine.dispose(close=False)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction: everything inside commits together or not at all."""
        with self.engine.connect() as conn:
            conn.info["prrt_write"] = True
            try:
                with conn.begin():
                    tx = Tx(conn, self.dialect, writable=True, watch=self.watch)
                    yield tx
                    tx.settle()
            finally:
                conn.info.pop("prrt_write", None)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction: one consistent view; it takes no write lock."""
        with self.engine.connect() as conn, conn.begin():
            yield Tx(conn, self.dialect, writable=False)

    # -- reads --------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self.read() as tx:
            return int(
                tx.conn.execute(select(func.max(tables.schema_version.c.version))).scalar_one()
            )


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
