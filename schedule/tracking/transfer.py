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
from schedule.domain.errors import Hint, InputError, PrrtError
from schedule.domain.model import RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.patients import check_patient_id, check_time, check_tz
from schedule.domain.units import Quantity
from schedule.engine.views import course_views
from schedule.store.database import Store
from schedule.tracking.rules import Proposal, check_record
from schedule.tracking.tracker import Tracker

ROSTER_COLUMNS = ("patient_id", "regimen", "start", "name", "tz", "time")
DOSES_COLUMNS = ("patient_id", "event", "date", "dose", "note", "course", "type")


class CsvError(InputError):
    """A bad CSV file or row; names the file, the line and the field."""

    def __init__(
        self,
        path: str,
        line: int | None,
        field: str | None,
        problem: str,
        cause: PrrtError | None = None,
    ) -> None:
        where = path + (f": line {line}" if line else "") + (f": {field}" if field else "")
        # A way out about the world (the patient's course ended) holds for a file as well;
        # one about an option of a command does not.
        hint = cause.hint if cause is not None and cause.hint is not Hint.GIVE_REASON else None
        data = cause.data if cause is not None else {}
        super().__init__(f"{where}: {problem}", field=field, hint=hint, **data)


def _placed(path: str, line: int, field: str, exc: PrrtError) -> CsvError:
    """A library error placed on the line, under the field it names (else `field`)."""
    return CsvError(path, line, exc.field or field, exc.message, exc)


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
        raise _placed(path, line, field, exc) from None


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
    with tracker.store.write() as tx:
        courses: dict[str, list[Course]] = {}
        for course in tx.courses():
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
                    f"({existing[-1].regimen} from {existing[-1].start})",
                    PrrtError("", hint=Hint.NEW_COURSE_OTHER, patient=patient.id),
                )
        if not dry_run and added:
            tx.add_roster(added, actor)
    return ImportResult(len(added), unchanged, dry_run)


_IMPORTABLE = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}


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
                raise _placed(name, line, "type", exc) from None
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
