"""Backups of a whole database: every table of `tables.metadata`, every column, in dependency
order, with the migration level, so that a table or column added later is carried without a
change here.

Two kinds of file:
- a copy of an SQLite database, made through SQLite's online backup API while others keep
  writing (`copy_sqlite`); the copy is one self-contained file (no WAL beside it);
- a portable archive (`write_archive`), for either kind of database and for moving between
  them: gzip-compressed JSON lines. Line 1 is the header
  `{"format": "prrt-archive", "version": 1, "schema": LEVEL, "made_at": ..., "source": ...}`;
  then, for each table, `{"table": NAME, "columns": [...]}` followed by one JSON list per row
  (dates as `YYYY-MM-DD`); the last line is `{"end": true, "rows": N}`, so a cut-off file is
  refused.

Both are read from one consistent snapshot: a read transaction on SQLite (WAL keeps it stable
while writers go on), a REPEATABLE READ transaction on PostgreSQL.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Date, Table, func, inspect, select

from schedule.domain.errors import InputError, StoreError
from schedule.output.files import cannot_write, check_replaceable
from schedule.store import tables
from schedule.store.database import Store, readonly_url
from schedule.store.migrations import current_version
from schedule.store.sqlitefile import QUERY_ONLY, readonly_uri

FORMAT = "prrt-archive"
VERSION = 1
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
_BATCH = 1000


@dataclass(frozen=True)
class BackupResult:
    kind: str  # "sqlite" (a database copy) or "archive"
    schema: int
    rows: dict[str, int]  # rows per table

    @property
    def total(self) -> int:
        return sum(self.rows.values())


# -- reading a database -----------------------------------------------------------------------


@contextmanager
def snapshot(store: Store) -> Iterator[Connection]:
    """One consistent view of the whole database, taking no write lock."""
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def dump(conn: Connection) -> Iterator[tuple[Table, list[str], Iterator[list[Any]]]]:
    """Every table present, in dependency order: the columns present and the rows in key order.
    Columns and tables of the schema that a database lacks (an older level) are left out."""
    inspector = inspect(conn)
    for table in tables.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        columns = [c for c in table.columns if c.name in present]
        order = list(table.primary_key.columns) or columns
        query = select(*columns).order_by(*order)
        rows = (list(row) for row in conn.execute(query))
        yield table, [c.name for c in columns], rows


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# -- the archive ------------------------------------------------------------------------------


def write_archive(store: Store, path: Path, made_at: str) -> BackupResult:
    """Every table of `store` into a portable archive at `path`, written aside and renamed."""
    counts: dict[str, int] = {}

    def fill(tmp: str) -> int:
        with snapshot(store) as conn, gzip.GzipFile(tmp, mode="wb", mtime=0) as gz:
            level = current_version(conn)
            header = {
                "format": FORMAT,
                "version": VERSION,
                "schema": level,
                "made_at": made_at,
                "source": store.dialect,
            }
            gz.write(_line(header))
            for table, columns, rows in dump(conn):
                gz.write(_line({"table": table.name, "columns": columns}))
                count = 0
                for row in rows:
                    gz.write(_line([_plain(v) for v in row]))
                    count += 1
                counts[table.name] = count
            gz.write(_line({"end": True, "rows": sum(counts.values())}))
        return level

    level = _write_aside(path, fill)
    return BackupResult("archive", level, counts)


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def read_archive(path: Path) -> tuple[dict[str, Any], Iterator[tuple[str, list[str], list[Any]]]]:
    """The header of an archive and its tables as (name, columns, rows); every row is read
    before the tables are handed out, so a damaged file is refused before anything is written."""
    name = str(path)
    try:
        with gzip.open(path, "rb") as gz:
            lines = gz.read().splitlines()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{name}: not a readable backup ({exc})") from None
    try:
        decoded = [json.loads(line) for line in lines]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name}: not a readable backup ({exc})") from None
    if not decoded or not isinstance(decoded[0], dict) or decoded[0].get("format") != FORMAT:
        raise InputError(f"{name}: not a prrt backup")
    header = decoded[0]
    if header.get("version") != VERSION:
        raise InputError(
            f"{name}: backup format version {header.get('version')} is not known to this "
            f"version of prrt (it reads version {VERSION})"
        )
    end = decoded[-1]
    if not (isinstance(end, dict) and end.get("end")) or end.get("rows") != sum(
        1 for item in decoded if isinstance(item, list)
    ):
        raise InputError(f"{name}: the backup is incomplete (cut off)")
    blocks: list[tuple[str, list[str], list[Any]]] = []
    for item in decoded[1:-1]:
        if isinstance(item, dict) and "table" in item:
            blocks.append((str(item["table"]), list(item["columns"]), []))
        elif isinstance(item, list) and blocks:
            blocks[-1][2].append(item)
        else:
            raise InputError(f"{name}: not a readable backup (unexpected line)")
    return header, iter(blocks)


# -- the SQLite copy --------------------------------------------------------------------------


def copy_sqlite(store: Store, path: Path) -> BackupResult:
    """A copy of an SQLite database through the online backup API: one consistent snapshot,
    while other processes keep writing; the copy is a single file (journal mode DELETE)."""
    source = store.sqlite_path or store.engine.url.database
    if store.dialect != "sqlite" or not source or source == ":memory:":
        raise InputError(
            "a database copy is made from an SQLite database only; write a portable archive "
            "(a file name not ending in .db) instead"
        )

    def fill(tmp: str) -> int:
        # Read-only: a backup never writes to the database it copies (read-only media too).
        src = sqlite3.connect(readonly_uri(Path(source)), uri=True, timeout=60)
        src.execute(QUERY_ONLY)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
            src.close()
        return 0

    _write_aside(path, fill)
    copy = open_sqlite_file(path)
    try:
        with snapshot(copy) as conn:
            level = current_version(conn)
            counts = {t.name: _count(conn, t) for t, _, _ in dump(conn)}
    finally:
        copy.close()
    return BackupResult("sqlite", level, counts)


def open_sqlite_file(path: Path) -> Store:
    """An SQLite file read as it is: no migration, nothing written."""
    from sqlalchemy import create_engine

    return Store(create_engine(readonly_url(Path(path))))


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _write_aside(path: Path, fill: Callable[[str], int]) -> int:
    """Run `fill` on a private temporary file beside `path` (mode 0600: it holds patients'
    data), then rename it over `path`, so a failed backup never leaves half a file."""
    path = Path(path)
    check_replaceable(path)  # never a device, a pipe or a folder
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(path, exc) from None
    os.close(fd)
    try:
        result = fill(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove_aside(tmp)
        raise cannot_write(path, exc) from None
    except sqlite3.Error as exc:
        _remove_aside(tmp)
        raise StoreError(f"cannot copy the database: {exc}") from None
    except BaseException:
        _remove_aside(tmp)
        raise
    return result


def _remove_aside(tmp: str) -> None:
    """The temporary file of a failed backup and what SQLite kept beside it (its rollback
    journal, a WAL): a full disk leaves nothing hidden behind."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(tmp + suffix).unlink(missing_ok=True)


def backup(store: Store, path: Path, made_at: str) -> BackupResult:
    """A database copy when `path` ends in .db, .sqlite or .sqlite3; else a portable archive."""
    if Path(path).suffix.lower() in SQLITE_SUFFIXES:
        return copy_sqlite(store, path)
    return write_archive(store, path, made_at)


def coerce(table: Table, columns: list[str]) -> list[Callable[[Any], Any]]:
    """For each archived column, how a JSON value becomes the column's value."""

    def as_date(value: Any) -> Any:
        return date.fromisoformat(value) if isinstance(value, str) else value

    def same(value: Any) -> Any:
        return value

    return [as_date if isinstance(table.c[c].type, Date) else same for c in columns]
