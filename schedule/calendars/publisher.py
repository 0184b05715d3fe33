"""Publishing patients' calendars: one patient's calendar (a file or a feed response), and one
file per active patient in a folder. SEQUENCE is kept in the store (`published.py`), so it rises
whenever an event changes and never falls, whoever publishes.

Every calendar also has a key: a hash of everything it is built from (the site's settings and
regimens, the patient, the courses, how many records each course has, each course's publication
revision, the day). Same key, same calendar: a feed answers 304 and `ics --all` leaves the file
alone without building anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from schedule import __version__
from schedule.calendars.entries import Appointment, appointment, course_entries, head
from schedule.calendars.ical import Head, Revision, fingerprint, revise, write_calendar
from schedule.domain.course import Course, Patient, Record
from schedule.domain.errors import InputError
from schedule.domain.model import Event
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.output.files import write_atomic
from schedule.store import published
from schedule.store.parallel import iter_slices
from schedule.store.published import Last
from schedule.tracking.tracker import Tracker

FORMAT = 1  # raise when what a calendar says changes shape: every key changes with it
MANIFEST = ".prrt-calendars.json"
BATCH = 250  # patients built, published and written together by `write_folder`


_SITE_DIGESTS: dict[int, tuple[Settings, Catalog, str]] = {}


@dataclass(frozen=True)
class Built:
    """A patient's calendar before SEQUENCE: head, and (uid, course id, fingerprint, body)."""

    patient_id: str
    head: Head
    events: tuple[tuple[str, int, str, str], ...]
    changed: bool  # against what was published when it was built


@dataclass(frozen=True)
class Calendar:
    """A calendar as published: its text, its key (a strong ETag) and how many events."""

    patient_id: str
    text: str
    key: str
    events: int

    @property
    def etag(self) -> str:
        return f'"{self.key}"'


@dataclass(frozen=True)
class Snapshot:
    """What the keys are computed from, read in one transaction."""

    namespace: str
    patients: list[Patient]
    courses: dict[str, list[Course]]
    marks: dict[int, tuple[int, int]]
    revisions: dict[int, int]


@dataclass
class Publisher:
    """Builds and publishes calendars as of `today`, stamped `now` (both from the caller)."""

    tracker: Tracker
    today: date
    now: datetime
    with_name: bool = False

    @property
    def site_digest(self) -> str:
        """A hash of the code's version, the site's settings and regimens, once per tracker."""
        t = self.tracker
        found = _SITE_DIGESTS.get(id(t))
        if found is None or found[0] is not t.settings or found[1] is not t.catalog:
            found = (t.settings, t.catalog, _digest(FORMAT, __version__, t.settings, t.catalog))
            _SITE_DIGESTS[id(t)] = found
        return found[2]

    def key(self, snapshot: Snapshot, patient: Patient, with_name: bool | None = None) -> str:
        marks, revisions = snapshot.marks, snapshot.revisions
        state = [
            (c.id, c.number, c.regimen, c.start.toordinal(), c.interval_days, c.calendar_month,
             c.precautions, marks.get(c.id), revisions.get(c.id))
            for c in snapshot.courses.get(patient.id, ())
        ]  # fmt: skip
        named = self.with_name if with_name is None else with_name
        who = (patient.id, patient.name, patient.tz, patient.time)
        return _digest(self.site_digest, snapshot.namespace, self.today, named, who, state)

    # -- reading ------------------------------------------------------------------------------

    def snapshot(self, conn: Connection, patient_id: str | None = None) -> Snapshot:
        store = self.tracker.store
        if patient_id is None:
            patients = store.patients(conn)
            courses: dict[str, list[Course]] = defaultdict(list)
            for course in store.courses(conn):
                courses[course.patient_id].append(course)
            ids: list[int] | None = None
        else:
            patients = [self.tracker.require_patient(conn, patient_id)]
            courses = {patient_id: store.courses(conn, patient_id)}
            ids = [c.id for c in courses[patient_id]]
        return Snapshot(
            published.namespace(conn),
            patients,
            dict(courses),
            published.record_marks(conn, ids),
            published.revisions(conn, ids),
        )

    # -- building -----------------------------------------------------------------------------

    def build(
        self,
        snapshot: Snapshot,
        patients: Sequence[Patient],
        records: dict[int, list[Record]],
        last: dict[str, Last],
        with_name: bool | None = None,
    ) -> list[Built]:
        tracker, settings = self.tracker, self.tracker.settings
        named = self.with_name if with_name is None else with_name
        out = []
        for patient in patients:
            courses = snapshot.courses.get(patient.id, [])
            views = tracker.views(patient, courses, records, self.today)
            slot = appointment(patient)
            events: list[tuple[str, int, str, str]] = []
            changed = False
            for view in views:
                regimen = tracker.catalog.get(view.course.regimen)
                entries = course_entries(
                    snapshot.namespace, (view.course.id,), view.events, regimen, settings, slot
                )
                for uid, entry in entries:
                    body = entry.body()
                    mark = fingerprint(body)
                    before = last.get(uid)
                    changed = changed or before is None or before[1] != mark
                    events.append((uid, view.course.id, mark, body))
            out.append(Built(patient.id, head(settings, patient, named), tuple(events), changed))
        return out

    def build_slice(
        self, snapshot: Snapshot, patients: Sequence[Patient], with_name: bool | None = None
    ) -> list[Built]:
        ids = [c.id for p in patients for c in snapshot.courses.get(p.id, [])]
        with self.tracker.store.read() as conn:
            records = self.tracker.store.records(conn, ids)
            last = published.last_published(conn, ids)
        return self.build(snapshot, patients, records, last, with_name)

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, built: Sequence[Built]) -> dict[str, tuple[str, dict[int, int]]]:
        """Texts of the calendars with SEQUENCE and stamps from the store; the store learns what
        changed, in one transaction. Returns {patient: (text, new revisions by course)}."""
        store = self.tracker.store
        course_ids = sorted({c for b in built for _, c, _, _ in b.events})
        if not any(b.changed for b in built):  # as built: a read is enough, unless it raced
            with store.read() as conn:
                last = published.last_published(conn, course_ids)
            texts, changes = self._assemble(built, last)
            if not changes:
                return {pid: (text, {}) for pid, text in texts.items()}
        with store.write() as conn:
            store.lock_courses(conn, course_ids)
            last = published.last_published(conn, course_ids)
            texts, changes = self._assemble(built, last)
            bumped = published.save_published(conn, changes, last.keys())
        courses_of = {b.patient_id: {c for _, c, _, _ in b.events} for b in built}
        return {
            pid: (text, {c: r for c, r in bumped.items() if c in courses_of[pid]})
            for pid, text in texts.items()
        }

    def _assemble(
        self, built: Sequence[Built], last: dict[str, Last]
    ) -> tuple[dict[str, str], dict[str, tuple[int, Last]]]:
        texts: dict[str, str] = {}
        changes: dict[str, tuple[int, Last]] = {}
        for item in built:
            events: list[tuple[str, Revision, str]] = []
            for uid, course_id, mark, body in item.events:
                revision, changed = revise(uid, mark, last, self.now)
                if changed:
                    changes[uid] = (course_id, (revision.sequence, mark, revision.modified))
                events.append((uid, revision, body))
            texts[item.patient_id] = write_calendar(item.head, events)
        return texts, changes

    # -- one patient --------------------------------------------------------------------------

    def patient(self, patient_id: str, with_name: bool | None = None) -> Calendar:
        """Publish one patient's calendar (all courses)."""
        with self.tracker.store.read() as conn:
            snap = self.snapshot(conn, patient_id)
        built = self.build_slice(snap, snap.patients, with_name)
        text, bumped = self.publish(built)[patient_id]
        snap.revisions.update(bumped)
        return Calendar(
            patient_id, text, self.key(snap, snap.patients[0], with_name), len(built[0].events)
        )

    # -- a folder of calendars ----------------------------------------------------------------

    def write_folder(self, folder: Path, workers: int = 1) -> FolderResult:
        """One `PATIENT.ics` per active patient (and per patient whose file is already there),
        rewriting only the files whose content changed; each replaced atomically."""
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder} is not a folder; give a folder for the calendars")
        folder.mkdir(parents=True, exist_ok=True)
        manifest = _read_manifest(folder / MANIFEST)
        with self.tracker.store.read() as conn:
            snap = self.snapshot(conn)
            stopped = published.discontinued_courses(conn)
        result = FolderResult(folder)
        prefix = os.path.join(folder, "")
        todo: list[Patient] = []
        keys: dict[str, str] = {}
        for patient in snap.patients:
            courses = snap.courses.get(patient.id, [])
            active = any(c.id not in stopped for c in courses)
            if not courses or not (active or patient.id in manifest):
                continue
            keys[patient.id] = key = self.key(snap, patient)
            known = manifest.get(patient.id)
            if known is not None and known.get("key") == key and _same_file(prefix, patient, known):
                result.unchanged += 1
            else:
                todo.append(patient)

        by_id = {p.id: p for p in todo}

        def task(low: int, high: int) -> list[Built]:
            return self.build_slice(snap, todo[low:high])

        try:
            for part in iter_slices(task, self.tracker.store, len(todo), workers, BATCH):
                for pid, (text, bumped) in self.publish(part).items():
                    snap.revisions.update(bumped)
                    if bumped:
                        keys[pid] = self.key(snap, by_id[pid])
                    path = folder / f"{pid}.ics"
                    result.count(_write_if_changed(path, text))
                    stat = path.stat()
                    manifest[pid] = {
                        "key": keys[pid],
                        "size": stat.st_size,
                        "mtime": stat.st_mtime_ns,
                    }
        finally:
            if todo:  # nothing built: the folder's record is already right
                _write_manifest(folder / MANIFEST, manifest)
        return result


@dataclass
class FolderResult:
    folder: Path
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def count(self, what: str) -> None:
        setattr(self, what, getattr(self, what) + 1)

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


def _write_if_changed(path: Path, text: str) -> str:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return "unchanged"
        what = "changed"
    except FileNotFoundError:
        what = "new"
    write_atomic(path, text)
    return what


def _same_file(prefix: str, patient: Patient, known: dict[str, Any]) -> bool:
    try:
        stat = os.stat(f"{prefix}{patient.id}.ics")
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


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def plan_calendar(
    regimen: Regimen,
    start: date,
    events: Iterable[Event],
    settings: Settings,
    now: datetime,
    slot: Appointment | None = None,
) -> str:
    """A calendar for a plan not yet stored: nothing was published before, so every SEQUENCE
    is 0. UIDs come from the regimen, the start and the event key."""
    entries = course_entries(
        "plan", (regimen.id, start.isoformat()), events, regimen, settings, slot
    )
    revision = Revision(0, now)
    return write_calendar(
        head(settings, None, False), ((uid, revision, e.body()) for uid, e in entries)
    )
