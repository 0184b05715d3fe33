"""The doses given, in CSV and out: every record that stands goes out as a row that `import
doses` reads back. Imports are all-or-nothing: every row is checked before anything is kept;
an error names line and field. The import itself (when what is checked, in which transaction):
`schedule.services.imports`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from schedule.domain.course import Course, Patient, Record, effective, facts_of
from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import ConflictError, Hint, PrrtError, UnknownError
from schedule.domain.model import Fact, RecordType
from schedule.domain.patients import check_patient_id
from schedule.domain.suggest import did_you_mean
from schedule.domain.toxicity import parse_toxicity
from schedule.domain.units import Quantity
from schedule.engine.views import CourseView, course_views
from schedule.store.database import Store
from schedule.store.parallel import iter_slices
from schedule.store.transaction import Tx
from schedule.tracking.csvfiles import (
    COURSES_MAX,
    CsvError,
    field_value,
    placed_error,
    read_rows,
    whole_number,
)
from schedule.tracking.rules import Proposal, check_record
from schedule.tracking.tracker import Tracker, choose_course

DOSES_COLUMNS = (
    "patient_id", "event", "date", "dose", "note", "course", "type", "override", "review",
    "end_care", "toxicity", "grade",
)  # fmt: skip


_IMPORTABLE = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}
_YES = {"": False, "no": False, "false": False, "0": False, "yes": True, "true": True, "1": True}


@dataclass(frozen=True)
class DoseRow:
    """A row of a doses file, parsed: its line, the patient, the course it names (None: the
    one the date chooses) and what it records."""

    line: int
    patient_id: str
    number: int | None
    proposal: Proposal


def parse_doses(path: Path) -> list[DoseRow]:
    """Every row of the file, checked on its own."""
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
            number = whole_number(row["course"], 1, COURSES_MAX)
            if number is None:
                problem = f"{row['course']!r} is not a course number (1 to {COURSES_MAX})"
                raise CsvError(name, line, "course", problem)
        review = None
        if row.get("review"):
            review = field_value(name, line, "review", parse_iso_date, row["review"])
        end_care = row.get("end_care", "").lower()
        if end_care not in _YES:
            raise CsvError(name, line, "end_care", f"{end_care!r} is not yes or no")
        toxicity = None
        if row.get("toxicity"):
            toxicity = field_value(name, line, "toxicity", parse_toxicity, row["toxicity"])
        grade = None
        if row.get("grade"):
            grade = whole_number(row["grade"], 0, 99)
            if grade is None:
                raise CsvError(name, line, "grade", f"{row['grade']!r} is not a CTCAE grade")
        proposal = Proposal(
            _IMPORTABLE[type_text],
            row["event"] or None,
            day,
            row.get("dose") or None,
            row.get("note", ""),
            row.get("override") or None,
            review,
            _YES[end_care],
            toxicity,
            grade,
        )
        parsed.append(DoseRow(line, pid, number, proposal))
    return parsed


def check_doses(
    tracker: Tracker,
    tx: Tx,
    name: str,
    rows: list[DoseRow],
    today: date,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
    place: str = "line",
    ranks: Mapping[int, int] | None = None,
) -> tuple[list[tuple[str, Record]], int]:
    """The records to add for the rows of file `name` (with the earlier rows applied) and the
    count of rows already stored, checked against what `tx` has stored; the first refusal stops
    everything, placed on its line and field.

    A row depends only on the earlier rows of its own patient, so each patient's rows are
    checked on their own, in file order, spread over `workers` processes; the refusal reported
    is the one on the first line refused (the one a check of the whole file in order meets
    first), checked again in this process so that it reads exactly as it would."""
    # Stored in file order, or in the order `ranks` gives a row's line (records read from
    # FHIR resources that say in which order they were recorded).
    rank = ranks or {}
    patients = {p.id: p for p in tx.patients()}
    all_courses = tx.courses_by_patient()
    records = tx.records()
    facts = {c: facts_of(rs) for c, rs in records.items()}
    check = _PatientCheck(tracker, name, today, patients, all_courses, records, facts, place)
    groups: dict[str, list[DoseRow]] = {}
    stored = {pid.lower(): pid for pid in patients}  # IDs are compared without case
    for row in rows:
        groups.setdefault(stored.get(row.patient_id.lower(), row.patient_id), []).append(row)
    order = list(groups.items())

    def task(low: int, high: int) -> list[_Outcome]:
        return [check.outcome(pid, its_rows) for pid, its_rows in order[low:high]]

    outcomes: list[_Outcome] = []
    done = 0
    step = max(1, min(_SLICE, -(-len(order) // max(workers, 1))))
    for part in iter_slices(task, tracker.store, len(order), workers, step):
        outcomes += part
        done += sum(len(groups[o.patient_id]) for o in part)
        if on_progress is not None:  # rows checked, of all
            on_progress(done, len(rows))
    refused = [o for o in outcomes if o.refused is not None]
    if refused:
        first = min(refused, key=lambda o: o.refused or 0)
        try:  # checked again here, so that the error is this process's own
            check.rows(first.patient_id, groups[first.patient_id])
        except _Refused as again:
            raise again.error from None
        raise AssertionError("a refused row passed when checked again")  # pragma: no cover
    accepted = sorted(
        ((rank.get(line, line), line), pid, record)
        for o in outcomes
        for line, pid, record in o.accepted
    )
    unchanged = sum(o.unchanged for o in outcomes)
    return [(pid, record) for _, pid, record in accepted], unchanged


@dataclass(frozen=True)
class _Outcome:
    """One patient's rows checked: the records to add (with their lines), how many rows were
    already stored, or the first line refused."""

    patient_id: str
    accepted: tuple[tuple[int, str, Record], ...] = ()
    unchanged: int = 0
    refused: int | None = None


@dataclass(frozen=True)
class _PatientCheck:
    """What checking one patient's rows needs: the stored patients, courses, records and the
    engine's facts (never changed here: each check works on its own copies)."""

    tracker: Tracker
    name: str
    today: date
    patients: dict[str, Patient]
    courses: dict[str, list[Course]]
    records: dict[int, list[Record]]
    facts: dict[int, list[Fact]]
    place: str = "line"  # what a row's `line` counts (a Bundle's entries)

    def outcome(self, pid: str, rows: list[DoseRow]) -> _Outcome:
        try:
            accepted, unchanged = self.rows(pid, rows)
        except _Refused as refused:
            return _Outcome(pid, refused=refused.line)
        return _Outcome(pid, tuple(accepted), unchanged)

    def _course(
        self,
        pid: str,
        row: DoseRow,
        lean: list[CourseView],
        calendars: Callable[..., list[CourseView]],
    ) -> CourseView:
        """The course a row is for, from the lean calendars, or from the whole ones when a
        lean one lacks the row's event; a refusal is the course column's."""
        try:
            chosen = choose_course(pid, lean, row.number)
            if row.proposal.event and chosen.event(row.proposal.event) is None:
                chosen = choose_course(pid, calendars(lean=False), row.number)
        except PrrtError as exc:
            error = placed_error(self.name, row.line, "course", exc, self.place)
            raise _Refused(row.line, error) from None
        return chosen

    def rows(self, pid: str, rows: list[DoseRow]) -> tuple[list[tuple[int, str, Record]], int]:
        """The rows of patient `pid`, in file order, with the earlier ones applied; the first
        refused raises `_Refused`."""
        patient = self.patients.get(pid)
        if patient is None:
            unknown = (
                f"unknown patient {pid!r}{did_you_mean(pid, self.patients)}; "
                "import the roster first"
            )
            line = rows[0].line
            cause = UnknownError(unknown)  # exit 3, as from a command
            error = CsvError(self.name, line, "patient_id", unknown, cause, self.place)
            raise _Refused(line, error)
        courses = self.courses.get(pid, [])
        # This patient's records and facts, kept as rows are added (rather than derived from
        # the records again for every row); the calendars are built again only once a row has
        # changed them. The calendars are lean: what can be recorded and the orders, without
        # the events that only inform (every guard looks at doses, labs, scans and orders
        # only), and with one course nothing past the row's day (and a little more): a record
        # is checked against the doses before its own event and that event, and with one
        # course the course meant does not depend on what comes later. A row naming an event
        # a lean calendar lacks is checked against the whole calendar, so its refusal reads
        # as it always did.
        records = {c.id: list(self.records.get(c.id, ())) for c in courses}
        facts = {c.id: list(self.facts.get(c.id, ())) for c in courses}

        def calendars(lean: bool, end: date | None = None) -> list[CourseView]:
            return course_views(
                self.tracker.catalog, self.tracker.settings, patient, courses, records,
                self.today, not lean, end, facts, cutoff=end, lean=lean,
            )  # fmt: skip

        accepted: list[tuple[int, str, Record]] = []
        unchanged = 0
        known: tuple[date | None, list[CourseView]] | None = None
        for row in rows:
            proposal = row.proposal
            end = None
            if len(courses) == 1:
                end = proposal.day + timedelta(days=_LOOK_AHEAD)
            if known is None or known[0] != end:
                known = (end, calendars(lean=True, end=end))
            chosen = self._course(pid, row, known[1], calendars)
            if self._stored(pid, row, chosen):
                unchanged += 1
                continue
            try:
                record = check_record(
                    chosen, proposal, self.today, self.tracker.settings, self.tracker.closures
                )
            except PrrtError as exc:
                raise _Refused(row.line, self._placed(pid, row, exc)) from None
            # Until written, a row's record has a provisional id: minus its line.
            stored = replace(record, id=-row.line)
            records.setdefault(chosen.course.id, []).append(stored)
            facts.setdefault(chosen.course.id, []).extend(facts_of([stored]))
            known = None
            accepted.append((row.line, pid, record))
        return accepted, unchanged

    def _stored(self, pid: str, row: DoseRow, chosen: CourseView) -> bool:
        """Whether the row is a record that stands (type, event, day and dose alike); one
        that differs from it only in its note is refused (`_same_note`)."""
        proposal = row.proposal
        kind, key, day = proposal.type, proposal.event, proposal.day
        if key is not None and (named := chosen.event(key)) is not None:
            key = named.key  # as the calendar writes it (`PRRT-2` is `prrt-2`)
        same = [r for r in chosen.standing if (r.type, r.event, r.day) == (kind, key, day)]
        if not same or (same[-1].dose or None) != _canonical_dose(proposal.dose):
            return False
        self._same_note(pid, row, same[-1])
        return True

    def _same_note(self, pid: str, row: DoseRow, stored: Record) -> None:
        """A row that is a stored record but for its note is refused (its note would be lost),
        naming the record; an empty note is no other note. The note is never repeated."""
        note = row.proposal.note.strip()
        if not note or note == stored.note:
            return
        what = row.proposal.event or row.proposal.type.value
        if stored.id < 0:  # a row of this file: two lines for one record
            error = _twice(self.name, pid, what, -stored.id, self.place)
        else:
            error = ConflictError(
                f"{what} of {pid} is already recorded on {stored.day} (record {stored.id}) "
                "with another note; give the stored note or none",
                field="note",
                hint=Hint.CORRECT_RECORD,
                patient=pid,
                record=stored.id,
            )
        raise _Refused(row.line, placed_error(self.name, row.line, "note", error, self.place))

    def _placed(self, pid: str, row: DoseRow, exc: PrrtError) -> CsvError:
        """A refusal of `check_record` on its line; one that names a record of this file (a
        provisional id, minus its line) names both lines instead."""
        earlier = exc.data.get("record")
        if isinstance(earlier, int) and earlier < 0:
            what = row.proposal.event or row.proposal.type.value
            exc = _twice(self.name, pid, what, -earlier, self.place)
        return placed_error(self.name, row.line, "type", exc, self.place)


def _twice(name: str, pid: str, what: str, line: int, place: str) -> ConflictError:
    """Two rows of one file for one event: the first one named (a file's lines name the way
    to import it again; another kind of file, a Bundle's entries, only the rows)."""
    return ConflictError(
        f"{what} of {pid} is also on {place} {line} of this file; it is recorded once",
        field="event",
        hint=Hint.IMPORT_AGAIN if place == "line" else None,
        path=name,
    )


class _Refused(Exception):
    """A row refused: the line, and the error to report (raised as it is in this process)."""

    def __init__(self, line: int, error: CsvError) -> None:
        super().__init__(line)
        self.line = line
        self.error = error


_SLICE = 500  # patients a worker checks before it reports (for the progress bar)


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
    shown = [cid for cid in records if cid in courses]  # not those entered in error
    order = sorted(shown, key=lambda cid: (courses[cid].patient_id, courses[cid].number))
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
                    "toxicity": record.toxicity,
                    "grade": record.grade,
                }
            )
    return rows
