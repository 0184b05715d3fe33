"""The doses given, in CSV and out: every record that stands goes out as a row that `import
doses` reads back. Imports are all-or-nothing: every row is checked before anything is kept;
an error names line and field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from schedule.domain.course import Actor, Course, Patient, Record, effective, facts_of
from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import PrrtError
from schedule.domain.model import RecordType
from schedule.domain.patients import check_patient_id
from schedule.domain.units import Quantity
from schedule.engine.views import CourseView, course_views
from schedule.store.database import Store
from schedule.store.transaction import Tx
from schedule.tracking.csvfiles import CsvError, ImportResult, field_value, placed_error, read_rows
from schedule.tracking.rules import Proposal, check_record
from schedule.tracking.tracker import Tracker, choose_course

DOSES_COLUMNS = (
    "patient_id", "event", "date", "dose", "note", "course", "type", "override", "review",
    "end_care",
)  # fmt: skip


_IMPORTABLE = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}
_YES = {"": False, "no": False, "false": False, "0": False, "yes": True, "true": True, "1": True}


@dataclass(frozen=True)
class _Row:
    line: int
    patient_id: str
    number: int | None
    proposal: Proposal


def import_doses(
    tracker: Tracker,
    path: Path,
    actor: Actor,
    today: date,
    dry_run: bool,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Records from CSV, checked row by row in file order against the calendar as it stands
    with the earlier rows applied. A row identical to a stored record is left as it is.

    The checking runs in a read transaction, so readers and other writers go on meanwhile; the
    write is one short transaction that locks the courses it writes and checks again only if
    anything was recorded or added since (then against what is stored now)."""
    rows = _parse(path)
    with tracker.store.read() as tx:
        stamp = tx.last_ids()  # rises with every record or course added
        pending, unchanged = _check(tracker, tx, str(path), rows, today, on_progress)
    if dry_run or not pending:
        return ImportResult(len(pending), unchanged, dry_run)
    with tracker.store.write() as tx:
        tx.lock_courses(sorted({r.course_id for _, r in pending}))
        if tx.last_ids() != stamp:  # someone wrote meanwhile: check again against it
            pending, unchanged = _check(tracker, tx, str(path), rows, today)
        if pending:
            tx.add_records_bulk(pending, actor, "import-doses")
    return ImportResult(len(pending), unchanged, dry_run)


def _parse(path: Path) -> list[_Row]:
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
        review = None
        if row.get("review"):
            review = field_value(name, line, "review", parse_iso_date, row["review"])
        end_care = row.get("end_care", "").lower()
        if end_care not in _YES:
            raise CsvError(name, line, "end_care", f"{end_care!r} is not yes or no")
        proposal = Proposal(
            _IMPORTABLE[type_text],
            row["event"] or None,
            day,
            row.get("dose") or None,
            row.get("note", ""),
            row.get("override") or None,
            review,
            _YES[end_care],
        )
        parsed.append(_Row(line, pid, number, proposal))
    return parsed


def _check(
    tracker: Tracker,
    tx: Tx,
    name: str,
    rows: list[_Row],
    today: date,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[tuple[str, Record]], int]:
    """The records to add for `rows` (with the earlier rows applied) and the count of rows
    already stored; the first refusal stops everything, placed on its line and field."""
    patients = {p.id: p for p in tx.patients()}
    all_courses: dict[str, list[Course]] = {}
    for course in tx.courses():
        all_courses.setdefault(course.patient_id, []).append(course)
    records = tx.records()
    # The engine's facts, kept beside the records as rows are added (rather than derived from
    # the records again for every row), and each patient's calendars, built again only once a
    # row of this file has changed that patient's facts: a row that is already stored, or one
    # of another patient, reuses them. The calendars are lean: what can be recorded and the
    # orders, without the events that only inform (every guard looks at doses, labs, scans and
    # orders only); a row naming an event they lack is checked against the whole calendar, so
    # its refusal reads as it always did.
    # A patient with one course needs no calendar past the row's day either (and a little
    # more): a record is checked against the doses before its own event and that event, and
    # with one course the course meant does not depend on what comes later.
    facts = {c: facts_of(rs) for c, rs in records.items()}

    def calendars(patient: Patient, lean: bool, end: date | None = None) -> list[CourseView]:
        return course_views(
            tracker.catalog, tracker.settings, patient, all_courses.get(patient.id, []),
            records, today, not lean, end, facts, cutoff=end, lean=lean,
        )  # fmt: skip

    views_of: dict[str, tuple[date | None, list[CourseView]]] = {}
    pending: list[tuple[str, Record]] = []
    unchanged = 0
    next_id = -1  # rows of this file get provisional ids until they are written
    for row in rows:
        if on_progress is not None:  # rows reached, of all
            on_progress(len(pending) + unchanged + 1, len(rows))
        pid, proposal = row.patient_id, row.proposal
        patient = patients.get(pid)
        if patient is None:
            raise CsvError(
                name, row.line, "patient_id", f"unknown patient {pid!r}; import the roster first"
            )
        end = None
        if len(all_courses.get(pid, ())) == 1:
            end = proposal.day + timedelta(days=_LOOK_AHEAD)
        known = views_of.get(pid)
        if known is None or known[0] != end:
            known = views_of[pid] = (end, calendars(patient, lean=True, end=end))
        views = known[1]
        try:
            chosen = choose_course(pid, views, row.number)
            if proposal.event and chosen.event(proposal.event) is None:
                chosen = choose_course(pid, calendars(patient, lean=False), row.number)
        except PrrtError as exc:
            raise placed_error(name, row.line, "course", exc) from None
        kind, key, day = proposal.type, proposal.event, proposal.day
        same = [r for r in chosen.standing if (r.type, r.event, r.day) == (kind, key, day)]
        if same and (same[-1].dose or None) == _canonical_dose(proposal.dose):
            unchanged += 1
            continue
        try:
            record = check_record(chosen, proposal, today, tracker.settings, tracker.closures)
        except PrrtError as exc:
            raise placed_error(name, row.line, "type", exc) from None
        stored = replace(record, id=next_id)
        records.setdefault(chosen.course.id, []).append(stored)
        facts.setdefault(chosen.course.id, []).extend(facts_of([stored]))
        views_of.pop(pid, None)
        next_id -= 1
        pending.append((pid, record))
    return pending, unchanged


# Past the row's day, how far a lean calendar goes: past the window of a dose given early
# on that day (a record far ahead of its window meets the whole calendar instead).
_LOOK_AHEAD = 63


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
                    "override": record.override,
                    "review": record.review.isoformat() if record.review else None,
                    "end_care": "yes" if record.end_care else None,
                }
            )
    return rows
