"""A folder of patients' calendars (`PATIENT.ics` each), rewriting only what changed.

`DIR/.prrt-calendars.json` remembers the key each file was built from, with its size and mtime,
so a patient whose calendar cannot have changed is not even rebuilt. Each file is written aside
and renamed over, so a crash never leaves half a file.

Files are created 0600 (a new folder 0700), and a file's name never leaves the folder whatever
the ID stored: an ID that is not a plain one (letters, digits, '.', '_', '-', not starting with
a dot) has every other character written as %XX, so `../x` becomes `%2E%2E%2Fx.ics`.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schedule.calendars.publisher import FORMAT, Built, Publisher
from schedule.domain.course import Patient
from schedule.domain.errors import InputError
from schedule.output.files import cannot_write, write_atomic
from schedule.store.parallel import iter_slices

MANIFEST = ".prrt-calendars.json"
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
BATCH = 250  # patients built, published and written together


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
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


def write_folder(publisher: Publisher, folder: Path, workers: int = 1) -> FolderResult:
    """One `PATIENT.ics` per active patient (and per patient whose file is already there),
    rewriting only the files whose content changed; each replaced atomically."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder; give a folder for the calendars")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise cannot_write(folder, exc) from None
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

    by_id = {p.id: p for p in todo}

    def task(low: int, high: int) -> list[Built]:
        return publisher.build_slice(snap, todo[low:high])

    done: set[str] = set()
    try:
        for part in iter_slices(task, publisher.store, len(todo), workers, BATCH):
            done.update(b.patient_id for b in part)
            for pid, published in publisher.publish(part).items():
                snap.revisions.update(published.revisions)
                if published.revisions:
                    keys[pid] = publisher.key(snap, by_id[pid])
                path = folder / file_name(pid)
                result.count(_write_if_changed(path, published.text))
                stat = path.stat()
                manifest[pid] = {"key": keys[pid], "size": stat.st_size, "mtime": stat.st_mtime_ns}
    finally:
        if todo:  # nothing built: the folder's record is already right
            _write_manifest(folder / MANIFEST, manifest)
    # A patient whose calendar cannot be computed from what is stored keeps the file it had.
    result.broken = [p.id for p in todo if p.id not in done]
    return result


def _write_if_changed(path: Path, text: str) -> Outcome:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return Outcome.UNCHANGED
        outcome = Outcome.CHANGED
    except FileNotFoundError:
        outcome = Outcome.NEW
    write_atomic(path, text)
    return outcome


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
