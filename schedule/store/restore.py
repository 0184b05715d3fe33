"""Restoring a backup (an archive or an SQLite copy, see `backup.py`) into an empty database of
either kind, in one transaction: all of it or nothing.

The target is built at the backup's migration level, the rows go in as they were (ids, UID
namespace, published SEQUENCEs and all), then the later migrations run on them as they would on
the original database. On PostgreSQL the id sequences are moved past the restored ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, delete, func, inspect, select, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from schedule.domain.course import Actor
from schedule.domain.errors import ConflictError, InputError, StoreError
from schedule.store import tables
from schedule.store.backup import (
    GZIP_MAGIC,
    SQLITE_MAGIC,
    coerce,
    dump,
    open_sqlite_file,
    read_archive,
    snapshot,
)
from schedule.store.database import PG_LOCK_KEY, Store, database_url, sqlite_engine
from schedule.store.migrations import MIGRATIONS, current_version, latest, migrate

# Tables that a new database fills by itself: the migration level and the UID namespace.
_MADE_BY_MIGRATIONS = ("schema_version", "calendar_meta")
_BATCH = 1000

Block = tuple[str, list[str], list[list[Any]]]


@dataclass(frozen=True)
class RestoreResult:
    schema: int  # the backup's migration level
    rows: dict[str, int]  # rows restored per table

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def read_backup(path: Path) -> tuple[int, list[Block]]:
    """The migration level and the tables of a backup file of either kind, checked against
    the schema this version knows."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    if magic.startswith(SQLITE_MAGIC):
        level, blocks = _read_sqlite(path)
    elif magic.startswith(GZIP_MAGIC):
        header, found = read_archive(path)
        level, blocks = int(header["schema"]), list(found)
    else:
        raise InputError(f"{name}: not a prrt backup (neither an archive nor an SQLite copy)")
    if level > latest():
        raise InputError(
            f"{name}: the backup is at schema level {level}, newer than this version of prrt "
            f"knows ({latest()}); restore it with a newer version"
        )
    for table_name, columns, rows in blocks:
        table = tables.metadata.tables.get(table_name)
        unknown = [c for c in columns if table is None or c not in table.c]
        if table is None or unknown:
            what = f"column {table_name}.{unknown[0]}" if table is not None else table_name
            raise InputError(f"{name}: unknown {what}; was it made by a newer version?")
        if any(len(row) != len(columns) for row in rows):
            raise InputError(f"{name}: not a readable backup (a row of {table_name} is damaged)")
    return level, blocks


def _read_sqlite(path: Path) -> tuple[int, list[Block]]:
    source = open_sqlite_file(path)
    try:
        with snapshot(source) as conn:
            level = current_version(conn)
            blocks = [(t.name, columns, list(rows)) for t, columns, rows in dump(conn)]
    except DBAPIError as exc:
        raise InputError(f"{path}: not a readable SQLite copy ({exc.orig})") from None
    finally:
        source.close()
    return level, blocks


def _open_target(target: str) -> Store:
    """The target database, opened without migrating it."""
    url = database_url(target)
    try:
        if url.startswith("sqlite"):
            return Store(sqlite_engine(url))
        if url.startswith("postgresql"):
            return Store(create_engine(url, pool_pre_ping=True))
    except (ArgumentError, NoSuchModuleError, OSError) as exc:
        raise StoreError(f"cannot open database {target!r}: {exc}") from None
    raise StoreError(
        f"database {target!r} is not supported; give a file path or a postgresql+psycopg:// URL"
    )


def restore(path: Path, target: str, actor: Actor) -> RestoreResult:
    """Every table of the backup at `path` into the empty database `target`."""
    level, blocks = read_backup(path)
    store = _open_target(target)
    try:
        with store.write() as tx:
            conn = tx.conn
            if store.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
            _prepare(conn, level)
            counts = _load(conn, blocks)
            migrate(conn, actor.stamp)
            if store.dialect == "postgresql":
                _advance_sequences(conn)
            detail = {"file": Path(path).name, "schema": level, "rows": sum(counts.values())}
            tx.add_audit(actor, "restore", None, detail=detail)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot restore into the database: {reason}") from None
    finally:
        store.close()
    return RestoreResult(level, counts)


def _prepare(conn: Connection, level: int) -> None:
    """Refuse a target that holds data; build a new one at the backup's level."""
    inspector = inspect(conn)
    now = current_version(conn)
    if now:
        held = {
            t.name: n
            for t in tables.metadata.sorted_tables
            if t.name not in _MADE_BY_MIGRATIONS
            and inspector.has_table(t.name)
            and (n := int(conn.execute(select(func.count()).select_from(t)).scalar_one()))
        }
        if held:
            what = ", ".join(f"{name}: {n}" for name, n in held.items())
            raise ConflictError(
                f"the target database is not empty ({what}); a backup is restored only into "
                "an empty database"
            )
        if now != level:
            raise ConflictError(
                f"the target database is at schema level {now} and the backup at {level}; "
                "restore it into a new database"
            )
        for name in _MADE_BY_MIGRATIONS:
            conn.execute(delete(tables.metadata.tables[name]))
        return
    tables.schema_version.create(conn)
    for migration in MIGRATIONS:
        if migration.version <= level:
            migration.apply(conn)
    conn.execute(delete(tables.calendar_meta))  # the backup brings its own UID namespace


def _load(conn: Connection, blocks: list[Block]) -> dict[str, int]:
    order = {t.name: i for i, t in enumerate(tables.metadata.sorted_tables)}
    counts: dict[str, int] = {}
    for name, columns, rows in sorted(blocks, key=lambda b: order[b[0]]):
        table = tables.metadata.tables[name]
        convert = coerce(table, columns)
        for batch in _batches(rows):
            conn.execute(
                table.insert(),
                [{c: f(v) for c, f, v in zip(columns, convert, row, strict=True)} for row in batch],
            )
        counts[name] = len(rows)
    return counts


def _batches(rows: list[list[Any]]) -> Iterator[list[list[Any]]]:
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


def _advance_sequences(conn: Connection) -> None:
    """Move each SERIAL id's sequence past the restored ids, so new rows get fresh ids."""
    for table in tables.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        top = conn.execute(select(func.max(column))).scalar_one()
        if top is not None:
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                {"t": table.name, "c": column.name, "v": int(top)},
            )
