"""CSV in and out: the roster of patients and the doses given. Imports are all-or-nothing: every
row is checked, inside one transaction, before anything is kept; an error names line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .course import Actor, Course, Patient, Record, RecordType, effective
from .dates import parse_iso_date
from .engine import PlanOptions
from .errors import InputError, PrrtError
from .tracking import Tracker, check_patient_id, check_time, check_tz

ROSTER_COLUMNS = ("patient_id", "regimen", "start", "name", "tz", "time")
DOSES_COLUMNS = ("patient_id", "event", "date", "dose", "note", "course")


class CsvError(InputError):
    """A bad CSV file or row; names the file, the line and the field."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str) -> None:
        where = path + (f": line {line}" if line else "") + (f": {field}" if field else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ImportResult:
    added: int
    unchanged: int
    dry_run: bool


def read_rows(
    path: Path, columns: Sequence[str], required: int
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, {column: text}); the first `required` columns must be
    present, the others may be."""
    import pandas as pd

    name = str(path)
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8"
        )
    except FileNotFoundError:
        raise CsvError(name, None, None, "no such file") from None
    except pd.errors.EmptyDataError:
        raise CsvError(name, None, None, "the file is empty; it needs a header line") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CsvError(name, None, None, f"is not a readable UTF-8 CSV file ({problem})") from None
    header = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns[:required] if c not in header]
    if missing:
        raise CsvError(
            name, 1, None, f"missing column {', '.join(missing)}; expected {','.join(columns)}"
        )
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise CsvError(name, 1, unknown[0], f"unknown column; expected {','.join(columns)}")
    frame.columns = header
    return [
        (index + 2, {str(c): str(v).strip() for c, v in row.items()})
        for index, row in enumerate(frame.to_dict("records"))
    ]


def _field(path: str, line: int, field: str, func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except PrrtError as exc:
        raise CsvError(path, line, field, exc.message) from None


def import_roster(tracker: Tracker, path: Path, actor: Actor, dry_run: bool) -> ImportResult:
    name = str(path)
    parsed: list[tuple[int, Patient, Course]] = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path, ROSTER_COLUMNS, 3):
        pid = _field(name, line, "patient_id", check_patient_id, row["patient_id"])
        if pid in seen:
            raise CsvError(name, line, "patient_id", f"{pid} is already on line {seen[pid]}")
        seen[pid] = line
        regimen = _field(name, line, "regimen", tracker.catalog.get, row["regimen"]).id
        start = _field(name, line, "start", parse_iso_date, row["start"])
        patient = Patient(
            pid,
            row.get("name") or None,
            _field(name, line, "tz", check_tz, row.get("tz")),
            _field(name, line, "time", check_time, row.get("time")),
        )
        course = tracker.new_course(pid, regimen, start, PlanOptions())
        parsed.append((line, patient, course))
    added: list[tuple[Patient, Course]] = []
    unchanged = 0
    with tracker.store.write() as conn:
        courses: dict[str, list[Course]] = {}
        for course in tracker.store.courses(conn):
            courses.setdefault(course.patient_id, []).append(course)
        for line, patient, course in parsed:
            existing = courses.get(patient.id)
            if existing is None:
                added.append((patient, course))
            elif (existing[-1].regimen, existing[-1].start) == (course.regimen, course.start):
                unchanged += 1
            else:
                raise CsvError(
                    name,
                    line,
                    "patient_id",
                    f"{patient.id} already exists with another course "
                    f"({existing[-1].regimen} from {existing[-1].start}); "
                    f"add a new course with 'prrt course add {patient.id}'",
                )
        if not dry_run and added:
            tracker.store.add_roster(conn, added, actor)
    return ImportResult(len(added), unchanged, dry_run)


def import_doses(
    tracker: Tracker, path: Path, actor: Actor, today: date, dry_run: bool
) -> ImportResult:
    name = str(path)
    parsed = []
    for line, row in read_rows(path, DOSES_COLUMNS, 3):
        pid = _field(name, line, "patient_id", check_patient_id, row["patient_id"])
        day = _field(name, line, "date", parse_iso_date, row["date"])
        number = None
        if row.get("course"):
            if not row["course"].isdigit():
                raise CsvError(name, line, "course", f"{row['course']!r} is not a course number")
            number = int(row["course"])
        parsed.append(
            (line, pid, row["event"], day, row.get("dose") or None, row.get("note", ""), number)
        )
    added, unchanged = 0, 0
    with tracker.store.write() as conn:
        patients = {p.id: p for p in tracker.store.patients(conn)}
        all_courses: dict[str, list[Course]] = {}
        for course in tracker.store.courses(conn):
            all_courses.setdefault(course.patient_id, []).append(course)
        records = tracker.store.records(conn)
        pending: list[tuple[str, Record]] = []
        next_id = -1  # rows of this file get provisional ids until they are written
        for line, pid, key, day, dose, note, number in parsed:
            patient = patients.get(pid)
            if patient is None:
                raise CsvError(
                    name, line, "patient_id", f"unknown patient {pid!r}; import the roster first"
                )
            courses = all_courses.get(pid, [])
            views = tracker.views(patient, courses, records, today)
            chosen = (
                views[-1]
                if number is None
                else next((v for v in views if v.course.number == number), None)
            )
            if chosen is None:
                raise CsvError(name, line, "course", f"{pid} has no course {number}")
            same = [
                r
                for r in effective(chosen.records)
                if r.event == key and r.type is RecordType.GIVEN and r.day == day
            ]
            if same and (same[-1].dose or None) == _canonical_dose(dose):
                unchanged += 1
                continue
            if chosen.discontinued is not None:
                raise CsvError(
                    name,
                    line,
                    "patient_id",
                    f"{pid}'s course was discontinued on {chosen.discontinued}",
                )
            event = _field(name, line, "event", tracker.pending_event, chosen, key, "record")
            _field(name, line, "date", tracker.check_day, chosen, event, day, today)
            quantity = _field(name, line, "dose", tracker.check_dose, event, dose)
            record = Record(
                next_id, chosen.course.id, RecordType.GIVEN, day, key,
                str(quantity) if quantity else None, note,
            )  # fmt: skip
            next_id -= 1
            records.setdefault(chosen.course.id, []).append(record)
            pending.append((pid, record))
            added += 1
        if not dry_run and pending:
            tracker.store.add_records_bulk(
                conn, [(pid, replace(r, id=0)) for pid, r in pending], actor, "import-doses"
            )
    return ImportResult(added, unchanged, dry_run)


def _canonical_dose(dose: str | None) -> str | None:
    if not dose:
        return None
    from .units import Quantity

    return str(Quantity.parse(dose))


def export_doses(tracker: Tracker) -> list[dict[str, Any]]:
    """Every dose, lab and scan recorded as given and standing, in the import's columns."""
    with tracker.store.read() as conn:
        courses = {c.id: c for c in tracker.store.courses(conn)}
        records = tracker.store.records(conn)
    rows = []
    for course_id, course_records in sorted(
        records.items(), key=lambda kv: (courses[kv[0]].patient_id, courses[kv[0]].number)
    ):
        course = courses[course_id]
        for record in effective(course_records):
            if record.type is RecordType.GIVEN and record.event:
                rows.append(
                    {
                        "patient_id": course.patient_id,
                        "event": record.event,
                        "date": record.day.isoformat(),
                        "dose": record.dose,
                        "note": record.note,
                        "course": course.number,
                    }
                )
    return rows
