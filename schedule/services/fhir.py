"""FHIR R4 out and in: one patient's Bundle (`fhir_bundle`), every patient in the Bulk Data
format (`fhir_bulk`: newline-delimited JSON, a file per resource type), and doses given read
back from MedicationAdministration resources (`import_fhir`), with exactly the guards of the
CSV import (`schedule.services.imports`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from schedule.domain.course import Actor, Course, Patient, Record
from schedule.engine.views import CourseView, course_views
from schedule.fhir.bundle import TYPES, bundle, dumps, patient_resources
from schedule.fhir.matching import rows_for
from schedule.fhir.reading import Administration, read_file
from schedule.output.files import cannot_write, open_atomic
from schedule.services.imports import store_rows
from schedule.store.parallel import iter_slices
from schedule.tracking.csvfiles import ImportResult
from schedule.tracking.doses_file import shared_proposals
from schedule.tracking.tracker import Tracker
from schedule.tracking.transfer import DoseRow

Progress = Callable[[int, int], None]  # (patients done, patients in all)


def fhir_bundle(tracker: Tracker, patient_id: str, today: date, with_name: bool) -> dict[str, Any]:
    """The Bundle (type collection) of one patient as of `today`."""
    with tracker.store.read() as tx:
        patient = tx.require_patient(patient_id)
        views = tracker.patient_views(tx, patient.id, today)
    return bundle(patient_resources(patient, views, tracker.settings, today, with_name))


@dataclass(frozen=True)
class BulkResult:
    folder: Path
    counts: tuple[tuple[str, int], ...]  # (resource type, resources written), in TYPES order
    broken: tuple[str, ...] = ()  # patients left out: a course cannot be computed


_STEP = 250  # patients a worker turns into lines before it hands them back


def fhir_bulk(
    tracker: Tracker,
    folder: Path,
    today: date,
    with_name: bool,
    workers: int = 1,
    on_progress: Progress | None = None,
) -> BulkResult:
    """`TYPE.ndjson` in `folder` for every resource type: every patient's resources, one per
    line, read in one transaction and built over `workers` processes. Each file appears whole
    or not at all."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(folder, exc) from None
    settings, catalog = tracker.settings, tracker.catalog
    with tracker.store.read() as tx:
        patients = sorted(tx.patients(), key=lambda p: p.id)
        courses = tx.courses_by_patient()
        records = tx.records()

    def task(low: int, high: int) -> tuple[dict[str, list[str]], list[str]]:
        """The lines of each type for patients `low` to `high`, and those left out."""
        lines: dict[str, list[str]] = {kind: [] for kind in TYPES}
        left_out = []
        for patient in patients[low:high]:
            mine = courses.get(patient.id, [])
            try:
                views = course_views(catalog, settings, patient, mine, records, today)
            except (OverflowError, ValueError):  # never keeps the other patients out
                left_out.append(patient.id)
                continue
            for resource in patient_resources(patient, views, settings, today, with_name):
                lines[resource["resourceType"]].append(dumps(resource))
        return lines, left_out

    counts = dict.fromkeys(TYPES, 0)
    broken: list[str] = []
    with ExitStack() as stack:  # each file appears whole, or not at all
        files = {k: stack.enter_context(open_atomic(folder / f"{k}.ndjson")) for k in TYPES}
        done = 0
        for part, left_out in iter_slices(task, None, len(patients), workers, _STEP):
            broken += left_out
            for kind, lines in part.items():
                if lines:
                    files[kind].write(("\n".join(lines) + "\n").encode("utf-8"))
                    counts[kind] += len(lines)
            done = min(done + _STEP, len(patients))
            if on_progress is not None:
                on_progress(done, len(patients))
    return BulkResult(folder, tuple(counts.items()), tuple(broken))


@dataclass(frozen=True)
class FhirImport:
    result: ImportResult
    corrected: int  # entered-in-error resources left out
    other: int  # resources of other types in a Bundle, left out


def import_fhir(
    tracker: Tracker,
    path: Path,
    actor: Actor,
    today: date,
    dry_run: bool,
    on_progress: Progress | None = None,
    workers: int = 1,
) -> FhirImport:
    """The doses given that the MedicationAdministration resources of `path` record, with the
    guards, refusals and overrides of `import doses`, all or nothing. Each resource is matched
    to its patient by identifier and to its course and event by its drug and day
    (`schedule.fhir.matching`)."""
    read = read_file(path, tracker.settings.fhir_patient_system)
    name = str(path)
    mine: dict[str, list[Administration]] = {}
    for item in read.administrations:
        mine.setdefault(item.patient_id.casefold(), []).append(item)
    rows: list[DoseRow] = []
    catalog, settings = tracker.catalog, tracker.settings
    with tracker.store.read() as tx:
        stored = {p.id.casefold(): p for p in tx.patients()}
        courses = tx.courses_by_patient()
        records: dict[int, list[Record]] = {}
        for key, items in mine.items():
            patient = stored.get(key)
            if patient is None:  # refused where the guards refuse it, on its position
                rows += [DoseRow(i.position, i.patient_id, i.number, i.proposal) for i in items]
                continue
            theirs = courses.get(patient.id, [])

            def calendars(
                patient: Patient = patient, theirs: list[Course] = theirs
            ) -> list[CourseView]:
                if not records:  # read once, when a resource first needs a calendar
                    records.update(tx.records())
                return course_views(catalog, settings, patient, theirs, records, today)

            rows += rows_for(name, read.place, patient.id, items, theirs, catalog, calendars)
    rows.sort(key=lambda r: (r.proposal.day, r.line))  # what happened first is checked first
    rows = shared_proposals(rows)
    order = {i.position: i.order for i in read.administrations if i.order is not None}
    result = store_rows(
        tracker, name, rows, actor, today, dry_run, on_progress, workers, read.place, order
    )
    return FhirImport(result, read.corrected, read.other)
