"""The roster of patients in CSV, in and out: each row a patient's course (the first one when
`course` is empty). All-or-nothing: every row is checked before anything is kept; an error
names line and field (the import itself: `schedule.services.imports`). `export_roster` writes
the rows the import reads back, one per course, so with the doses they rebuild a database.

A row whose patient is stored with other details (name, time zone, time, language) is refused,
naming the line and the field, unless updates are allowed: then the details are changed, each
patient with its audit row, like an edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from schedule.domain.course import Actor, Course, Patient
from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import ConflictError, Hint, PrrtError
from schedule.domain.options import PlanOptions
from schedule.domain.patients import check_note, check_patient_id
from schedule.domain.settings import Settings
from schedule.store.database import Store
from schedule.store.entries import courses_in_error, set_in_error
from schedule.store.lookups import ids_by_folded_case
from schedule.store.roster import PATIENT_FIELDS, add_roster, update_patient
from schedule.store.rows import by_patient
from schedule.store.transaction import Tx
from schedule.tracking.csvfiles import (
    CsvError,
    ImportResult,
    course_number,
    field_value,
    placed_error,
    read_rows,
    whole_number,
)
from schedule.tracking.patients import check_appointments, checked
from schedule.tracking.starts import check_start
from schedule.tracking.tracker import Tracker

ROSTER_COLUMNS = (
    "patient_id", "regimen", "start", "name", "tz", "time", "lang", "course", "interval",
    "precautions", "pregnancy", "past_start", "in_error",
)  # fmt: skip


class RosterChangeError(CsvError):
    """A roster row whose patient is stored with other details (updates not allowed)."""


@dataclass(frozen=True)
class RosterRow:
    line: int
    patient: Patient
    fields: tuple[str, ...]  # the detail columns the file has
    course: Course
    number: int | None  # the course number the row names; None: the first, or the latest
    past_start: bool  # its start may lie long past (the past_start column says yes)
    in_error: str | None = None  # a course the file adds marked entered in error: the reason


Progress = Callable[[int, int], None]  # (rows checked, rows in the file)


def parse_roster(
    tracker: Tracker, path: Path, on_progress: Progress | None = None
) -> list[RosterRow]:
    """Every row of the file, checked on its own; `on_progress` hears (rows checked, rows in
    the file) as each row is checked."""
    name = str(path)
    parsed: list[RosterRow] = []
    seen: dict[tuple[str, int], int] = {}
    rows = read_rows(path, ROSTER_COLUMNS, 3)
    for done, (line, row) in enumerate(rows, 1):
        if on_progress is not None:
            on_progress(done, len(rows))
        pid = field_value(name, line, "patient_id", check_patient_id, row["patient_id"])
        number = course_number(name, line, row.get("course"))
        key = (pid.lower(), number or 1)  # IDs are compared without case
        if key in seen:
            raise CsvError(name, line, "patient_id", f"{pid} is already on line {seen[key]}")
        seen[key] = line
        regimen = field_value(name, line, "regimen", tracker.catalog.get, row["regimen"]).id
        start = field_value(name, line, "start", parse_iso_date, row["start"])
        fields = tuple(f for f in PATIENT_FIELDS if f in row)
        details = {f: row[f] for f in fields}
        patient = field_value(name, line, "name", checked, Patient(pid), details)
        options = _options(name, line, row.get("interval", ""), row.get("precautions", ""))
        course = field_value(
            name, line, "interval", tracker.new_course, pid, regimen, start, options
        )
        field_value(
            name, line, "time", check_appointments, tracker.catalog, tracker.settings, patient,
            [course],
        )  # fmt: skip
        past = row.get("past_start", "").strip().lower()
        if past not in ("", "yes", "no"):
            raise CsvError(name, line, "past_start", f"{past!r} is not yes, no or empty")
        wrong = row.get("in_error", "").strip() or None
        if wrong is not None:
            wrong = field_value(name, line, "in_error", check_note, wrong)
        parsed.append(RosterRow(line, patient, fields, course, number, past == "yes", wrong))
    return parsed


def _options(name: str, line: int, interval: str, precautions: str) -> PlanOptions:
    days = whole_number(interval, 1, 9999) if interval and interval != "month" else None
    if interval and interval != "month" and days is None:
        raise CsvError(name, line, "interval", f"{interval!r} is not a number of days or 'month'")
    return PlanOptions(
        interval_days=days,
        calendar_month=interval == "month",
        precautions=precautions or None,
    )


def _same_course(a: Course, b: Course) -> bool:
    keys = ("regimen", "start", "interval_days", "calendar_month", "precautions")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


@dataclass(frozen=True)
class RosterPlan:
    """What a roster file changes: the patients it adds (with their first course), the further
    courses of stored patients, the details it edits, and the rows already stored."""

    added: tuple[tuple[Patient, Course], ...]
    more: tuple[tuple[Patient, Course], ...]  # in file order
    edits: tuple[tuple[Patient, Patient], ...]  # (before, after)
    unchanged: int
    wrong: tuple[tuple[str, int, str], ...] = ()  # courses added entered in error: id, n, why

    def result(self, dry_run: bool) -> ImportResult:
        edited = len({before.id for before, _ in self.edits})
        return ImportResult(len(self.added), self.unchanged, dry_run, edited, len(self.more))


def plan_roster(
    tx: Tx,
    name: str,
    parsed: list[RosterRow],
    settings: Settings,
    update: bool = False,
    today: date | None = None,
    past_start: bool = False,
) -> RosterPlan:
    """The rows of file `name` checked against what `tx` has stored, in file order; the first
    refusal stops everything. With `today`, a course the file adds whose start is more than
    `past_start_days` before it is refused, unless its row's `past_start` column says yes or
    `past_start` is given. `update`: a row may change a stored patient's details."""

    def check_new(row: RosterRow) -> None:
        if today is not None:  # a start long past only where meant
            args = (row.course.start, today, settings, past_start or row.past_start)
            field_value(name, row.line, "start", check_start, *args)

    added: list[tuple[Patient, Course]] = []
    more: list[tuple[Patient, Course]] = []
    wrong: list[tuple[str, int, str]] = []
    edits: list[tuple[Patient, Patient]] = []
    unchanged = 0
    stored = {p.id: p for p in tx.patients()}
    # Courses entered in error too: they keep their numbers (a row for one is left as it is).
    courses = by_patient(tx.courses(hidden=True))
    known = ids_by_folded_case(tx)  # IDs are compared without case (file names collide)
    hidden = set(known.values()) - set(stored)  # patients entered in error
    for row in parsed:
        row = _as_stored(tx, name, row, known, hidden)
        pid = row.patient.id
        existing = courses.get(pid)
        if existing is None:
            if row.number not in (None, 1):
                raise _no_course(name, row, row.number - 1)
            check_new(row)
            added.append((row.patient, row.course))
            courses[pid] = [replace(row.course, number=1)]
            if row.in_error is not None:
                wrong.append((pid, 1, row.in_error))
            continue
        edit = _details(name, row, stored[pid], update) if pid in stored else None
        if edit is not None:
            edits.append((stored[pid], edit))
            stored[pid] = edit
        number = row.number or existing[-1].number
        if number <= len(existing):
            _check_same_course(name, row, existing[number - 1])
            unchanged += edit is None
        elif number == len(existing) + 1:
            check_new(row)
            more.append((row.patient, row.course))
            existing.append(replace(row.course, number=number))
            if row.in_error is not None:
                wrong.append((pid, number, row.in_error))
        else:
            raise _no_course(name, row, number - 1)
    return RosterPlan(tuple(added), tuple(more), tuple(edits), unchanged, tuple(wrong))


def store_roster(tx: Tx, plan: RosterPlan, actor: Actor) -> None:
    """Write what `plan_roster` found, in the same transaction."""
    if plan.added:
        add_roster(tx, plan.added, actor)
    for _patient, course in plan.more:
        tx.add_course(course, actor)
    for before, after in plan.edits:
        update_patient(tx, before, after, actor)
    for pid, number, reason in plan.wrong:  # exported entered in error: kept so, with its reason
        course = next(c for c in tx.courses(pid, hidden=True) if c.number == number)
        set_in_error(tx, pid, course, reason, actor, reason)


def _as_stored(
    tx: Tx, name: str, row: RosterRow, known: dict[str, str], hidden: set[str]
) -> RosterRow:
    """The row with its patient ID as stored (`net-003` is the stored `NET-003`, as everywhere
    IDs are compared without case) or, for a new patient, as the file first wrote it; a
    patient entered in error is refused (it is restored, not added again). `known` (IDs by
    their folded case) takes the row's."""
    pid = known.setdefault(row.patient.id.lower(), row.patient.id)
    if pid in hidden:
        try:
            tx.refuse_in_error(pid)
        except PrrtError as exc:
            raise placed_error(name, row.line, "patient_id", exc) from None
    if pid == row.patient.id:
        return row
    patient = replace(row.patient, id=pid)
    return replace(row, patient=patient, course=replace(row.course, patient_id=pid))


def _no_course(name: str, row: RosterRow, number: int) -> CsvError:
    """A row for a course after one the patient does not have."""
    problem = f"{row.patient.id} has no course {number}; courses count from 1"
    return CsvError(name, row.line, "course", problem)


def _check_same_course(name: str, row: RosterRow, have: Course) -> None:
    """A row for a stored course must name it as it is stored."""
    if not _same_course(have, row.course):
        raise CsvError(
            name,
            row.line,
            "patient_id" if row.number is None else "course",
            f"{row.patient.id} already exists with another course "
            f"({have.regimen} from {have.start})",
            # exit 4, as 'patient add' of a stored patient
            ConflictError("", hint=Hint.NEW_COURSE_OTHER, patient=row.patient.id),
        )


def _details(name: str, row: RosterRow, stored: Patient, update: bool) -> Patient | None:
    """The stored patient with the row's details, when they differ (and may be changed)."""
    values = {f: getattr(row.patient, f) for f in row.fields}
    wanted = replace(stored, **values)
    if wanted == stored:
        return None
    if not update:
        field = next(f for f in row.fields if getattr(stored, f) != getattr(wanted, f))
        raise RosterChangeError(
            name,
            row.line,
            field,
            f"{stored.id} is stored with {field} {_shown(getattr(stored, field))}, "
            f"not {_shown(getattr(wanted, field))}",
        )
    return wanted


def _shown(value: Any) -> str:
    return "(none)" if value is None else repr(value)


def export_roster(store: Store) -> list[dict[str, Any]]:
    """One row per course, in patient and course order, in the columns of `ROSTER_COLUMNS`."""
    with store.read() as tx:
        patients = {p.id: p for p in tx.patients()}
        # A course entered in error goes out marked so (the in_error column), so that the
        # file rebuilds the patient's courses with their numbers; a patient entered in error
        # stays out whole.
        courses = [c for c in tx.courses(hidden=True) if c.patient_id in patients]
        wrong = courses_in_error(tx)
    rows = []
    for course in courses:
        patient = patients[course.patient_id]
        interval = "month" if course.calendar_month else course.interval_days
        rows.append(
            {
                "patient_id": patient.id,
                "regimen": course.regimen,
                "start": course.start.isoformat(),
                "name": patient.name,
                "tz": patient.tz,
                "time": patient.time,
                "lang": patient.lang,
                "course": course.number,
                "interval": interval,
                "precautions": course.precautions,
                "pregnancy": patient.pregnancy,
                # Stored courses were accepted when entered: the file rebuilds them as they are.
                "past_start": "yes",
                "in_error": wrong.get(course.id),
            }
        )
    return rows
