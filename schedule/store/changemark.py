"""The store's change mark: whether anything in the store changed, read on a connection of its
own, so that the feed server answers a known feed's 304 from memory, on its event loop, without
a query; a raw driver path as those of `fastpath.py`, kept because a benchmark measured it
(`python bench/network.py`: 304s at 64 clients). Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from schedule.domain.errors import StoreError

if TYPE_CHECKING:
    from schedule.store.interface import Engined

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
