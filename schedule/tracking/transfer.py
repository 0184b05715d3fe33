"""CSV in and out: the roster of patients and the doses given. Imports are all-or-nothing: every
row is checked, inside one transaction, before anything is kept; an error names line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from schedule.domain.course import Actor, Course, Patient, Record, effective
from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import InputError, PrrtError
from schedule.domain.model import RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.units import Quantity
from schedule.tracking.tracker import CourseView, Tracker, check_patient_id, check_time, check_tz

ROSTER_COLUMNS = ("patient_id", "regimen", "start", "name", "tz", "time")
DOSES_COLUMNS = ("patient_id", "event", "date", "dose", "note", "course", "type")


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


_IMPORTABLE = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}
_COURSE_LEVEL = (RecordType.HOLD, RecordType.RESUME, RecordType.DISCONTINUED)


def import_doses(
    tracker: Tracker, path: Path, actor: Actor, today: date, dry_run: bool
) -> ImportResult:
    """Records from CSV, checked row by row in file order against the calendar as it stands
    with the earlier rows applied. A row identical to a stored record is left as it is."""
    name = str(path)
    parsed = []
    for line, row in read_rows(path, DOSES_COLUMNS, 3):
        pid = _field(name, line, "patient_id", check_patient_id, row["patient_id"])
        day = _field(name, line, "date", parse_iso_date, row["date"])
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
    with tracker.store.write() as conn:
        patients = {p.id: p for p in tracker.store.patients(conn)}
        all_courses: dict[str, list[Course]] = {}
        for course in tracker.store.courses(conn):
            all_courses.setdefault(course.patient_id, []).append(course)
        records = tracker.store.records(conn)
        pending: list[tuple[str, Record]] = []
        next_id = -1  # rows of this file get provisional ids until they are written
        for line, pid, kind, key, day, dose, note, number in parsed:
            patient = patients.get(pid)
            if patient is None:
                raise CsvError(
                    name, line, "patient_id", f"unknown patient {pid!r}; import the roster first"
                )
            views = tracker.views(patient, all_courses.get(pid, []), records, today)
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
            record = _checked_row(tracker, name, line, chosen, kind, key, day, dose, note, today)
            record = replace(record, id=next_id)
            next_id -= 1
            records.setdefault(chosen.course.id, []).append(record)
            pending.append((pid, record))
            added += 1
        if not dry_run and pending:
            tracker.store.add_records_bulk(
                conn, [(pid, replace(r, id=0)) for pid, r in pending], actor, "import-doses"
            )
    return ImportResult(added, unchanged, dry_run)


def _checked_row(
    tracker: Tracker,
    name: str,
    line: int,
    view: CourseView,
    kind: RecordType,
    key: str | None,
    day: date,
    dose: str | None,
    note: str,
    today: date,
) -> Record:
    """The checks of the matching command (record, skip, reschedule, hold, resume,
    discontinue), with the error placed on the line and field."""
    pid = view.patient.id
    if view.discontinued is not None:
        raise CsvError(
            name, line, "patient_id", f"{pid}'s course was discontinued on {view.discontinued}"
        )
    if day > today and kind is not RecordType.RESCHEDULED:
        raise CsvError(name, line, "date", f"date {day} is in the future (today is {today})")
    if kind in _COURSE_LEVEL:
        if key:
            raise CsvError(name, line, "event", f"a {kind.value} row names no event")
        if kind is RecordType.HOLD and view.on_hold:
            raise CsvError(name, line, "type", f"{pid}'s course is already on hold")
        if kind is RecordType.RESUME and not view.on_hold:
            raise CsvError(name, line, "type", f"{pid}'s course is not on hold")
        return Record(0, view.course.id, kind, day, None, None, note)
    if not key:
        raise CsvError(name, line, "event", "is empty; name an event such as prrt-2")
    verb = {RecordType.GIVEN: "record", RecordType.SKIPPED: "skip"}.get(kind, "reschedule")
    event = _field(name, line, "event", tracker.pending_event, view, key, verb)
    quantity = None
    if kind is RecordType.GIVEN:
        _field(name, line, "date", tracker.check_day, view, event, day, today)
        quantity = _field(name, line, "dose", tracker.check_dose, event, dose)
    elif dose:
        raise CsvError(name, line, "dose", f"a {kind.value} row takes no dose")
    return Record(0, view.course.id, kind, day, key, str(quantity) if quantity else None, note)


def _canonical_dose(dose: str | None) -> str | None:
    return str(Quantity.parse(dose)) if dose else None


def export_doses(tracker: Tracker) -> list[dict[str, Any]]:
    """Every record that stands (doses, labs and scans given; skips, reschedules, holds,
    resumptions, discontinuations), in the columns `import doses` reads back."""
    with tracker.store.read() as conn:
        courses = {c.id: c for c in tracker.store.courses(conn)}
        records = tracker.store.records(conn)
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
