"""An SQLite file as prrt opens it, without SQLAlchemy (the fast reader uses it too): read-only
when a command only reads, and refused by its name when it is not an SQLite database."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from schedule.domain.errors import Hint, StoreError

# Every connection of a command that only reads runs this first: no statement can change the
# database (SQLite refuses it), whatever the mode the file is opened in.
QUERY_ONLY = "PRAGMA query_only=ON"


def readonly_uri(path: Path) -> str:
    """SQLite's URI that opens `path` for a command that only reads (its connections run
    `QUERY_ONLY`). Where the file and its folder can be written, `mode=rw` (never creating
    it), so that the last reader to close tidies the WAL files away as usual; else `mode=ro`,
    and on read-only media (a folder that cannot be written, no WAL file beside it) also
    `immutable=1`, as SQLite cannot make the shared-memory file a read of a WAL database needs
    there (and no one can be writing it)."""
    path = Path(path).resolve()
    folder_writable = os.access(path.parent, os.W_OK)
    if folder_writable and os.access(path, os.W_OK):
        return f"file:{quote(str(path))}?mode=rw"
    uri = f"file:{quote(str(path))}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if not folder_writable and not wal.exists():
        uri += "&immutable=1"
    return uri


def check_sqlite_file(path: Path, empty_ok: bool) -> None:
    """Refuse, by its name, what cannot be a database file: a folder, a device, or an empty file
    (unless `empty_ok`: it is being set up). Only its status is looked at: opening and closing
    the file would drop the locks SQLite holds on it in this process (POSIX advisory locks
    belong to the process, not to a descriptor). A file that is not SQLite's is refused where
    it is first read (`NOT_A_DATABASE`)."""
    try:
        found = path.stat()
    except OSError as exc:
        raise StoreError(f"cannot open database {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(found.st_mode):
        what = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file"
        raise StoreError(f"cannot open database {path}: it is {what}, not a database file")
    if found.st_size == 0 and not empty_ok:
        raise StoreError(
            f"{path} is an empty file, not a prrt database", hint=Hint.CREATE_DATABASE, path=path
        )


def not_a_database(path: object) -> StoreError:
    """The refusal of a file SQLite cannot read as a database (its first bytes are not SQLite's)."""
    return StoreError(f"{path} is not a prrt database (not an SQLite file)")


# SQLite's words for a file that is not a database (SQLITE_NOTADB).
NOT_A_DATABASE = "file is not a database"


def check_prrt_file(path: Path, empty_ok: bool) -> None:
    """Refuse, by its name, an SQLite file that is not a prrt database: not SQLite's at all,
    another program's tables, or no table (unless `empty_ok`: it is being set up). Looked at
    through a connection that cannot write, before any connection that could (which would
    turn the file to WAL)."""
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=60)
        try:
            conn.execute(QUERY_ONLY)
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if NOT_A_DATABASE in str(exc):
            raise not_a_database(path) from None
        raise StoreError(f"cannot open database {path}: {exc}") from None
    if "schema_version" in names or (not names and empty_ok):
        return
    if names:
        raise StoreError(f"{path} is not a prrt database (its tables are another program's)")
    raise StoreError(
        f"{path} is not a prrt database (an empty database)", hint=Hint.CREATE_DATABASE, path=path
    )
