"""A folder of patients' calendars (`PATIENT.ics` each), rewriting only what changed.

`DIR/.prrt-calendars.json` remembers the key each file was built from, with its size and mtime,
so a patient whose calendar cannot have changed is not even rebuilt.

Patients go in batches (`BATCH`). Each batch is built and published where it is built (in a
worker process when there are enough patients for several): the store learns each event's
SEQUENCE, in one transaction per batch, and only the files' bytes come back to be written here.
The store always learns a SEQUENCE before a file carries it. A batch published but not written
(the export stopped before it got there) is built again the next time and gives the same bytes:
nothing changed since it was published, so no SEQUENCE or LAST-MODIFIED moves.

A crash never leaves half a file: each file is written aside (`.NAME.XXXXXXXX.tmp`) and renamed
over, and its data is on disk before the rename, so after a crash at any point a name holds the
old complete file or the new complete one. The disk is flushed per batch, not per file: every
file of a batch is written to its temporary file, then all of them are fsynced at once (from a
few threads: the filesystem's journal joins fsyncs that wait together into one commit, so a
batch costs about one flush; on ext4, 256 files take 0.34 s one after the other, 0.06 s
together), then all are renamed, then the folder is fsynced once so the renames last. Each file
keeps its own fsync rather than one `os.sync()`: `sync` flushes every program's data on the
machine and reports no error, so a failed write would go unseen and its rename would put a file
whose data was lost in place of a good one. The folder's record is written after the files, so
it never vouches for a file that did not reach the disk (a file it does not vouch for is built
again and compared, byte for byte).

An export holds a lock on the folder while it runs (a second one is refused), so it may remove
the temporary files a crashed export left; they are never counted as calendars.

Files are created 0600 (a new folder 0700), and a file's name never leaves the folder whatever
the ID stored: an ID that is not a plain one (letters, digits, '.', '_', '-', not starting with
a dot) has every other character written as %XX, so `../x` becomes `%2E%2E%2Fx.ics`.
"""

from __future__ import annotations

import enum
import errno
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schedule.calendars.publisher import FORMAT, Publisher
from schedule.domain.course import Patient
from schedule.domain.errors import InputError, OutputError
from schedule.output.files import PRIVATE, cannot_write, check_replaceable, write_atomic
from schedule.store.parallel import iter_slices

MANIFEST = ".prrt-calendars.json"
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")  # `tempfile.mkstemp`'s names, as we ask them
BATCH = 250  # patients built, published, written and flushed to disk together
FLUSHERS = 16  # fsyncs waiting at once, for the journal to join (the disk does the work)

Progress = Callable[[int, int], None]  # (patients done, patients to do)


class Outcome(enum.Enum):
    """What writing one calendar file did."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass
class FolderResult:
    folder: Path
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    broken: list[str] = field(default_factory=list)  # patients whose calendar cannot be built

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    @property
    def written(self) -> int:
        """Files written this time: new ones and changed ones."""
        return self.new + self.changed

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


def write_folder(
    publisher: Publisher, folder: Path, workers: int = 1, on_progress: Progress | None = None
) -> FolderResult:
    """One `PATIENT.ics` per active patient (and per patient whose file is already there),
    rewriting only the files whose content changed; each replaced atomically. `on_progress`
    hears (done, to do) over the patients whose calendars are built, after each batch."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder; give a folder for the calendars")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise cannot_write(folder, exc) from None
    with _locked(folder) as dir_fd:
        _remove_leftovers(folder)
        return _write_folder(publisher, folder, dir_fd, workers, on_progress)


def _write_folder(
    publisher: Publisher, folder: Path, dir_fd: int, workers: int, on_progress: Progress | None
) -> FolderResult:
    manifest = _read_manifest(folder / MANIFEST)
    with publisher.store.read() as tx:
        snap = publisher.snapshot(tx)
        stopped = tx.published.discontinued_courses()
    result = FolderResult(folder)
    prefix = os.path.join(folder, "")
    todo: list[Patient] = []
    keys: dict[str, str] = {}
    for patient in snap.patients:
        courses = snap.courses.get(patient.id, [])
        active = any(c.id not in stopped for c in courses)
        if not courses or not (active or patient.id in manifest):
            continue
        keys[patient.id] = key = publisher.key(snap, patient)
        known = manifest.get(patient.id)
        if known is not None and known.get("key") == key and _same_file(prefix, patient, known):
            result.unchanged += 1
        else:
            todo.append(patient)

    def task(low: int, high: int) -> list[tuple[str, bytes]]:
        """A slice of patients built (in a worker, when there are several): each file's bytes."""
        built = publisher.build_slice(snap, todo[low:high])
        return [(pid, p.text.encode("utf-8")) for pid, p in built.items()]

    done: set[str] = set()
    reached = 0
    if todo and on_progress is not None:
        on_progress(0, len(todo))
    try:
        for part in iter_slices(task, publisher.store, len(todo), workers, BATCH):
            batch: list[tuple[str, Path, bytes]] = []
            for pid, data in part:
                done.add(pid)
                batch.append((pid, folder / file_name(pid), data))
            outcomes = _write_batch(folder, dir_fd, [(path, data) for _, path, data in batch])
            for (pid, path, _), outcome in zip(batch, outcomes, strict=True):
                result.count(outcome)
                stat = path.stat()
                manifest[pid] = {"key": keys[pid], "size": stat.st_size, "mtime": stat.st_mtime_ns}
            reached = min(reached + BATCH, len(todo))
            if on_progress is not None:
                on_progress(reached, len(todo))
    except BaseException:
        if todo:  # what was written is kept; the failure is what is told
            with suppress(OutputError):
                _write_manifest(folder / MANIFEST, manifest)
        raise
    if todo:  # nothing built: the folder's record is already right
        _write_manifest(folder / MANIFEST, manifest)
    # A patient whose calendar cannot be computed from what is stored keeps the file it had.
    result.broken = [p.id for p in todo if p.id not in done]
    return result


# -- writing a batch ----------------------------------------------------------------------------


@dataclass
class _Staged:
    """A file written aside, not yet in place."""

    path: Path
    temporary: str
    fd: int


def _write_batch(folder: Path, dir_fd: int, items: Sequence[tuple[Path, bytes]]) -> list[Outcome]:
    """Write the files of `items` whose bytes differ from what is there: each to a temporary
    file, all flushed to disk, then all renamed over, then the folder flushed once."""
    outcomes: list[Outcome] = []
    staged: list[_Staged] = []
    renamed = 0
    try:
        for path, data in items:
            outcomes.append(_compare(path, data))
            if outcomes[-1] is not Outcome.UNCHANGED:
                staged.append(_stage(folder, path, data))
        _flush(staged)
        for item in staged:
            try:
                os.replace(item.temporary, item.path)
            except OSError as exc:
                raise cannot_write(item.path, exc) from None
            renamed += 1
    finally:
        for item in staged[renamed:]:
            Path(item.temporary).unlink(missing_ok=True)
        if renamed:
            _flush_folder(folder, dir_fd)
    return outcomes


def _compare(path: Path, data: bytes) -> Outcome:
    try:
        return Outcome.UNCHANGED if path.read_bytes() == data else Outcome.CHANGED
    except FileNotFoundError:
        return Outcome.NEW
    except OSError:  # a folder or a device in the way: refused when written
        return Outcome.CHANGED


def _stage(folder: Path, path: Path, data: bytes) -> _Staged:
    """`data` written to a temporary file beside `path`, 0600, not yet flushed."""
    check_replaceable(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, PRIVATE)  # not subject to the umask
    except BaseException as exc:
        os.close(fd)
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise
    return _Staged(path, temporary, fd)


def _flush(staged: Sequence[_Staged]) -> None:
    """Every staged file's data on disk (fsynced together), and each closed."""

    def flush(item: _Staged) -> OSError | None:
        try:
            os.fsync(item.fd)
        except OSError as exc:
            return exc
        finally:
            os.close(item.fd)
        return None

    if len(staged) <= 1:
        failed = [flush(item) for item in staged]
    else:
        with ThreadPoolExecutor(min(FLUSHERS, len(staged))) as pool:
            failed = list(pool.map(flush, staged))
    for item, exc in zip(staged, failed, strict=True):
        if exc is not None:
            raise cannot_write(item.path, exc)


def _flush_folder(folder: Path, dir_fd: int) -> None:
    """The folder's entries (the renames) on disk; a filesystem that cannot flush a folder
    (some network ones) keeps them as it does every rename."""
    try:
        os.fsync(dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise cannot_write(folder, exc) from None


@contextmanager
def _locked(folder: Path) -> Iterator[int]:
    """The folder opened and locked for this export (a descriptor to flush it with); another
    export into the same folder at the same time is refused."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise cannot_write(folder, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"cannot write {folder}: another export is writing its calendars; "
                "try again when it is done",
                path=str(folder),
            ) from None
        yield fd
    finally:
        os.close(fd)  # the lock goes with it


def _remove_leftovers(folder: Path) -> None:
    """Temporary files an export left when it was stopped half-way (power cut, kill -9)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if _LEFTOVER.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)


def file_name(patient_id: str) -> str:
    """The name of a patient's file in the folder: `ID.ics` for a plain ID, else the ID with
    every byte but letters, digits, '_' and '-' written %XX (a long one cut, with a hash).

    >>> file_name("NET-003"), file_name("../../etc/cron.d/x"), file_name("/tmp/x")
    ('NET-003.ics', '%2E%2E%2F%2E%2E%2Fetc%2Fcron%2Ed%2Fx.ics', '%2Ftmp%2Fx.ics')
    """
    if _PLAIN_ID.fullmatch(patient_id):
        return f"{patient_id}.ics"
    raw = patient_id.encode("utf-8", "surrogatepass")
    name = "".join(chr(b) if b in _KEPT else f"%{b:02X}" for b in raw) or "%"
    if len(name) > 200:  # file names hold at most 255 bytes
        name = f"{name[:150]}~{hashlib.sha256(raw).hexdigest()[:16]}"
    return f"{name}.ics"


def _same_file(prefix: str, patient: Patient, known: dict[str, Any]) -> bool:
    try:
        stat = os.stat(prefix + file_name(patient.id))
    except OSError:
        return False
    return stat.st_size == known.get("size") and stat.st_mtime_ns == known.get("mtime")


def _read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The folder's record of what it holds; a missing or damaged one means rebuild all."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return (
        {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}
    )


def _write_manifest(path: Path, manifest: dict[str, dict[str, Any]]) -> None:
    write_atomic(path, json.dumps({"format": FORMAT, "files": manifest}, sort_keys=True))
