"""The roster of patients in CSV: each row a patient with a first course. All-or-nothing: every
row is checked before anything is kept; an error names line and field."""

from __future__ import annotations

from pathlib import Path

from schedule.domain.course import Actor, Course, Patient
from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import Hint, PrrtError
from schedule.domain.options import PlanOptions
from schedule.domain.patients import check_patient_id, check_time, check_tz
from schedule.tracking.csvfiles import CsvError, ImportResult, field_value, read_rows
from schedule.tracking.tracker import Tracker

ROSTER_COLUMNS = ("patient_id", "regimen", "start", "name", "tz", "time")


def import_roster(tracker: Tracker, path: Path, actor: Actor, dry_run: bool) -> ImportResult:
    name = str(path)
    parsed: list[tuple[int, Patient, Course]] = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path, ROSTER_COLUMNS, 3):
        pid = field_value(name, line, "patient_id", check_patient_id, row["patient_id"])
        if pid in seen:
            raise CsvError(name, line, "patient_id", f"{pid} is already on line {seen[pid]}")
        seen[pid] = line
        regimen = field_value(name, line, "regimen", tracker.catalog.get, row["regimen"]).id
        start = field_value(name, line, "start", parse_iso_date, row["start"])
        patient = Patient(
            pid,
            row.get("name") or None,
            field_value(name, line, "tz", check_tz, row.get("tz")),
            field_value(name, line, "time", check_time, row.get("time")),
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
