"""The doses given, in CSV and out: every record that stands goes out as a row that `import
doses` reads back. Imports are all-or-nothing: every row is checked before anything is kept;
an error names line and field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from schedule.domain.course import Actor, Course, Record, effective
from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import PrrtError
from schedule.domain.model import RecordType
from schedule.domain.patients import check_patient_id
from schedule.domain.units import Quantity
from schedule.engine.views import course_views
from schedule.store.database import Store
from schedule.tracking.csvfiles import CsvError, ImportResult, field_value, placed_error, read_rows
from schedule.tracking.rules import Proposal, check_record
from schedule.tracking.tracker import Tracker

DOSES_COLUMNS = ("patient_id", "event", "date", "dose", "note", "course", "type")


_IMPORTABLE = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}


def import_doses(
    tracker: Tracker, path: Path, actor: Actor, today: date, dry_run: bool
) -> ImportResult:
    """Records from CSV, checked row by row in file order against the calendar as it stands
    with the earlier rows applied. A row identical to a stored record is left as it is."""
    name = str(path)
    parsed = []
    for line, row in read_rows(path, DOSES_COLUMNS, 3):
        pid = field_value(name, line, "patient_id", check_patient_id, row["patient_id"])
        day = field_value(name, line, "date", parse_iso_date, row["date"])
        type_text = row.get("type") or "given"
        if type_text not in _IMPORTABLE:
            problem = f"{type_text!r} is not one of {', '.join(_IMPORTABLE)}"
            raise CsvError(name, line, "type", problem)
        number = None
        if row.get("course"):
            if not row["course"].isdigit():
                raise CsvError(name, line, "course", f"{row['course']!r} is not a course number")
            number = int(row["course"])
        dose = row.get("dose") or None
        parsed.append(
            (
                line,
                pid,
                _IMPORTABLE[type_text],
                row["event"] or None,
                day,
                dose,
                row.get("note", ""),
                number,
            )
        )
    added, unchanged = 0, 0
    with tracker.store.write() as tx:
        patients = {p.id: p for p in tx.patients()}
        all_courses: dict[str, list[Course]] = {}
        for course in tx.courses():
            all_courses.setdefault(course.patient_id, []).append(course)
        records = tx.records()
        pending: list[tuple[str, Record]] = []
        next_id = -1  # rows of this file get provisional ids until they are written
        for line, pid, kind, key, day, dose, note, number in parsed:
            patient = patients.get(pid)
            if patient is None:
                raise CsvError(
                    name, line, "patient_id", f"unknown patient {pid!r}; import the roster first"
                )
            views = course_views(
                tracker.catalog, tracker.settings, patient, all_courses.get(pid, []), records, today
            )
            chosen = (
                views[-1]
                if views and number is None
                else next((v for v in views if v.course.number == number), None)
            )
            if chosen is None:
                raise CsvError(name, line, "course", f"{pid} has no course {number or ''}".strip())
            same = [r for r in chosen.standing if (r.type, r.event, r.day) == (kind, key, day)]
            if same and (same[-1].dose or None) == _canonical_dose(dose):
                unchanged += 1
                continue
            try:
                record = check_record(chosen, Proposal(kind, key, day, dose, note), today)
            except PrrtError as exc:
                raise placed_error(name, line, "type", exc) from None
            record = replace(record, id=next_id)
            next_id -= 1
            records.setdefault(chosen.course.id, []).append(record)
            pending.append((pid, record))
            added += 1
        if not dry_run and pending:
            tx.add_records_bulk(
                [(pid, replace(r, id=0)) for pid, r in pending], actor, "import-doses"
            )
    return ImportResult(added, unchanged, dry_run)


def _canonical_dose(dose: str | None) -> str | None:
    return str(Quantity.parse(dose)) if dose else None


def export_doses(store: Store) -> list[dict[str, Any]]:
    """Every record that stands (doses, labs and scans given; skips, reschedules, holds,
    resumptions, discontinuations), in the columns `import doses` reads back."""
    with store.read() as tx:
        courses = {c.id: c for c in tx.courses()}
        records = tx.records()
    rows = []
    order = sorted(records, key=lambda cid: (courses[cid].patient_id, courses[cid].number))
    for course_id in order:
        course = courses[course_id]
        for record in effective(records[course_id]):
            rows.append(
                {
                    "patient_id": course.patient_id,
                    "event": record.event,
                    "date": record.day.isoformat(),
                    "dose": record.dose,
                    "note": record.note,
                    "course": course.number,
                    "type": record.type.value,
                }
            )
    return rows
