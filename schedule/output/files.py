"""Writing files so that a crash never leaves a half-written one: write aside, then replace.
A file that cannot be written raises `OutputError` naming it.

Every file written holds patient data (records, calendars, feed links), so it is created
readable and writable by its owner only (0600), whatever the umask. Only a regular file is ever
replaced: a device, a folder or a pipe at the path is refused and left as it is.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from schedule.domain.errors import OutputError

PRIVATE = 0o600


def write_atomic(path: Path, text: str, mode: int = PRIVATE) -> None:
    """Write `text` as UTF-8, byte for byte (no newline translation); see `write_atomic_bytes`."""
    write_atomic_bytes(path, text.encode("utf-8"), mode)


def write_atomic_bytes(path: Path, data: bytes, mode: int = PRIVATE) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename over."""
    with open_atomic(path, mode) as handle:
        handle.write(data)


def check_replaceable(path: Path) -> None:
    """Nothing, or a regular file (or a link to one), may be at `path`: never replace a device,
    a folder, a pipe or a socket with a file."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise cannot_write(path, exc) from None
    except ValueError:  # a NUL byte in the path
        raise OutputError(
            f"cannot write {path!r}: a path holds no NUL byte", path=repr(path)
        ) from None
    if not stat.S_ISREG(found.st_mode):
        kind = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file"
        raise OutputError(
            f"cannot write {path}: it is {kind}; give the path of a file", path=str(path)
        )


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """The one-line error for a file or folder that cannot be written."""
    return OutputError(f"cannot write {path}: {exc.strerror or exc}", path=str(path))


@contextmanager
def open_atomic(path: Path, mode: int = PRIVATE) -> Iterator[IO[bytes]]:
    """A file written a piece at a time that appears whole at `path` only once the block ends
    without an error (written aside, flushed to disk, renamed over); on an error nothing
    changes at `path`."""
    path = Path(path)
    check_replaceable(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # not subject to the umask
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
