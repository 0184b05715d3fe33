"""Writing files so that a crash never leaves a half-written one: write aside, then replace.
A file that cannot be written raises `OutputError` naming it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from schedule.domain.errors import OutputError


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write `text` as UTF-8, byte for byte (no newline translation); see `write_atomic_bytes`."""
    write_atomic_bytes(path, text.encode("utf-8"), mode)


def write_atomic_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename over."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """The one-line error for a file or folder that cannot be written."""
    return OutputError(f"cannot write {path}: {exc.strerror or exc}", path=str(path))
