"""The rows of a doses file checked against the calendars (the file itself, in and out:
`schedule.tracking.doses_file`). Imports are all-or-nothing: every row is checked before
anything is kept; an error names line and field. The import itself (when what is checked, in
which transaction): `schedule.services.imports`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from schedule.domain.course import Course, Patient, Record, fact_of, facts_of
from schedule.domain.errors import ConflictError, Hint, PrrtError, UnknownError
from schedule.domain.model import Event, Fact, RecordType
from schedule.domain.suggest import did_you_mean
from schedule.domain.units import Quantity
from schedule.engine.resume import Lean
from schedule.engine.views import CourseView, course_views, fact_key, lean_view
from schedule.store.parallel import iter_slices
from schedule.store.rows import packed_record, unpacked_record
from schedule.store.transaction import Tx
from schedule.tracking.csvfiles import CsvError, placed_error
from schedule.tracking.doses_file import DoseRow as DoseRow  # where the FHIR import finds it
from schedule.tracking.latest import Latest
from schedule.tracking.lean import lean_end
from schedule.tracking.rules import Proposal, check_record
from schedule.tracking.tracker import Tracker, choose_course


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
    on_accepted: Callable[[Record], None] | None = None,
) -> tuple[list[tuple[str, Record]], int]:
    """The records to add for the rows of file `name` (with the earlier rows applied) and the
    count of rows already stored, checked against what `tx` has stored; the first refusal stops
    everything, placed on its line and field. `on_accepted` is given each record to add as
    its patient's rows come back checked, while the workers check others.

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
    groups = _by_patient(rows, patients)
    order = list(groups.items())

    def task(low: int, high: int) -> list[_Outcome]:
        return [check.outcome(pid, its_rows) for pid, its_rows in order[low:high]]

    outcomes: list[_Outcome] = []
    # Each accepted row's record, by its place in the order stored: read back as each slice
    # comes in, while the workers check the next ones.
    accepted: list[tuple[tuple[int, int], str, Record]] = []
    step = max(1, min(_SLICE, -(-len(order) // max(workers, 1))))
    done = list(itertools.accumulate((len(its_rows) for _, its_rows in order), initial=0))
    for part in iter_slices(task, tracker.store, len(order), workers, step):
        outcomes += part
        accepted += _came(part, rank, on_accepted)
        if on_progress is not None:  # rows checked (of the patients so far), of all
            on_progress(done[len(outcomes)], len(rows))
    refused = [o for o in outcomes if o.refused is not None]
    if refused:
        first = min(refused, key=lambda o: o.refused or 0)
        try:  # checked again here, so that the error is this process's own
            check.rows(first.patient_id, groups[first.patient_id])
        except _Refused as again:
            raise again.error from None
        raise AssertionError("a refused row passed when checked again")  # pragma: no cover
    accepted.sort(key=_first)  # no two rows share a place
    unchanged = sum(o.unchanged for o in outcomes)
    return [(pid, record) for _, pid, record in accepted], unchanged


def _came(
    part: list[_Outcome], rank: Mapping[int, int], on_accepted: Callable[[Record], None] | None
) -> list[tuple[tuple[int, int], str, Record]]:
    """The records of a slice's accepted rows, by their place in the order stored, each given
    to `on_accepted`."""
    came = [
        ((rank.get(line, line), line), o.patient_id, unpacked_record(packed))
        for o in part
        for line, packed in o.accepted
    ]
    if on_accepted is not None:
        for _, _, record in came:
            on_accepted(record)
    return came


def _first(item: tuple[tuple[int, int], str, Record]) -> tuple[int, int]:
    return item[0]


def _by_patient(rows: list[DoseRow], patients: Mapping[str, Patient]) -> dict[str, list[DoseRow]]:
    """Each patient's rows in file order, by the stored ID (IDs are compared without case)."""
    groups: dict[str, list[DoseRow]] = {}
    stored = {pid.lower(): pid for pid in patients}
    for row in rows:
        groups.setdefault(stored.get(row.patient_id.lower(), row.patient_id), []).append(row)
    return groups


@dataclass(frozen=True)
class _Outcome:
    """One patient's rows checked: the records to add (with their lines; packed, see
    `packed_record`), how many rows were already stored, or the first line refused."""

    patient_id: str
    accepted: tuple[tuple[int, tuple[Any, ...]], ...] = ()
    unchanged: int = 0
    refused: int | None = None


_Checked = tuple[tuple[Event, ...], Proposal, Record]  # a check: the calendar, row, record


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
    # Lean calendars of single courses (the engine's memo, `_PatientState.lean`), and the
    # records rows checked against them gave (`_check`); the latest kept.
    lean_events: Latest[Lean] = field(default_factory=lambda: Latest())
    checked: Latest[_Checked] = field(default_factory=lambda: Latest())

    def outcome(self, pid: str, rows: list[DoseRow]) -> _Outcome:
        try:
            accepted, unchanged = self.rows(pid, rows)
        except _Refused as refused:
            return _Outcome(pid, refused=refused.line)
        return _Outcome(pid, tuple((line, packed_record(r)) for line, _, r in accepted), unchanged)

    def _course(
        self,
        pid: str,
        row: DoseRow,
        lean: list[CourseView],
        calendars: Callable[..., list[CourseView]],
    ) -> tuple[CourseView, Event | None]:
        """The course a row is for, from the lean calendars, or from the whole ones when a
        lean one lacks the row's event, and that event in it (if any); a refusal is the
        course column's."""
        try:
            if row.number is None and len(lean) == 1:
                chosen = lean[0]  # the only course (`choose_course` would say so)
            else:
                chosen = choose_course(pid, lean, row.number)
            key = row.proposal.event
            named = chosen.event(key) if key else None
            if key and named is None:
                chosen = choose_course(pid, calendars(lean=False), row.number)
                named = chosen.event(key)
        except PrrtError as exc:
            error = placed_error(self.name, row.line, "course", exc, self.place)
            raise _Refused(row.line, error) from None
        return chosen, named

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
        # The calendars are lean: what can be recorded and the orders, without the events that
        # only inform (every guard looks at doses, labs, scans and orders only), and with one
        # course nothing past the row's day (and a little more): a record is checked against
        # the doses before its own event and that event, and with one course the course meant
        # does not depend on what comes later. A row naming an event a lean calendar lacks is
        # checked against the whole calendar, so its refusal reads as it always did. They are
        # built again only once a row has changed them (or its day moves the cutoff).
        state = _PatientState(self, patient, self.courses.get(pid, []))
        single = len(state.courses) == 1
        accepted: list[tuple[int, str, Record]] = []
        unchanged = 0
        known: tuple[date | None, list[CourseView]] | None = None
        for row in rows:
            proposal = row.proposal
            end = lean_end(proposal.day) if single else None
            if known is None or known[0] != end:
                known = (end, state.calendars(lean=True, end=end))
            chosen, named = self._course(pid, row, known[1], state.calendars)
            if self._stored(pid, row, chosen, named, state.corrected):
                unchanged += 1
                continue
            try:
                record = self._check(state, chosen, proposal)
            except PrrtError as exc:
                raise _Refused(row.line, self._placed(pid, row, exc)) from None
            state.add(record, row.line)
            known = None
            accepted.append((row.line, pid, record))
        return accepted, unchanged

    def _check(self, state: _PatientState, chosen: CourseView, proposal: Proposal) -> Record:
        """`check_record` of the row. Where the course's lean calendar is one courses alike
        share (`_PatientState.shared`), a record another of them was given for the same row
        is the answer: what `check_record` accepts depends only on the calendar, the course's
        start, regimen and choices, the records as facts (none corrected) and the row, never
        on the patient's ID, the course's id or number or a record's id (which only a refusal
        names), but for the record's course. A refusal is never kept: it names the patient."""
        if not state.shares(chosen):
            return check_record(
                chosen, proposal, self.today, self.tracker.settings, self.tracker.closures
            )
        # By the calendar itself (one object for the courses alike, kept alive here: its id
        # is never another's) and the course's own values.
        course, events = chosen.course, chosen.events
        # The row's proposal by its identity too (rows alike share one: `shared_proposals`;
        # a dataclass of ten fields hashes slowly), kept alive with the check.
        key = (id(events), course.regimen, course.start, course.interval_days, id(proposal))
        kept = self.checked.get(key)
        if kept is None or kept[0] is not events or kept[1] is not proposal:
            record = check_record(
                chosen, proposal, self.today, self.tracker.settings, self.tracker.closures
            )
            self.checked[key] = (events, proposal, record)
        else:
            record = kept[2]
        return record if record.course_id == course.id else _with(record, course_id=course.id)

    def _stored(
        self, pid: str, row: DoseRow, chosen: CourseView, named: Event | None, corrected: bool
    ) -> bool:
        """Whether the row is a record that stands (type, event, day and dose alike); one
        that differs from it only in its note is refused (`_same_note`). `named`: the row's
        event in the calendar; `corrected`: whether a record of the patient's was (else all
        stand)."""
        proposal = row.proposal
        kind, key, day = proposal.type, proposal.event, proposal.day
        if named is not None:
            key = named.key  # as the calendar writes it (`PRRT-2` is `prrt-2`)
        standing = chosen.standing if corrected else chosen.records
        same = [r for r in standing if r.event == key and r.type is kind and r.day == day]
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


class _PatientState:
    """One patient's courses with the records and facts as the rows checked so far leave
    them (kept as rows are added, rather than derived from the records again for every
    row), and their calendars."""

    def __init__(self, check: _PatientCheck, patient: Patient, courses: list[Course]) -> None:
        self.check = check
        self.patient = patient
        self.courses = courses
        self.records = {c.id: list(check.records.get(c.id, ())) for c in courses}
        self.facts = {c.id: list(check.facts.get(c.id, ())) for c in courses}
        self.keys = {c: [fact_key(f) for f in facts] for c, facts in self.facts.items()}
        self.built: dict[int, Lean | None] = {}  # the lean calendar given last, of each course
        # Whether a record was corrected (its records then differ from its facts), and the
        # lean calendar given last (`shares`).
        self.corrected = any(
            r.type is RecordType.ENTERED_IN_ERROR for c in courses for r in self.records[c.id]
        )
        self.shared: CourseView | None = None

    def calendars(self, lean: bool, end: date | None = None) -> list[CourseView]:
        if lean and len(self.courses) == 1:
            return [self.lean(self.courses[0], end)]
        tracker = self.check.tracker
        return course_views(
            tracker.catalog, tracker.settings, self.patient, self.courses, self.records,
            self.check.today, not lean, end, self.facts, cutoff=end, lean=lean,
        )  # fmt: skip

    def lean(self, course: Course, end: date | None) -> CourseView:
        """The lean calendar of the patient's only course up to `end`. Courses alike
        (patients who began on one day and were given their doses on the same days) share
        one, through the engine's memo (`lean_view`): `until` and the cutoff are both
        `end`, which its key holds; today, the settings and `lean` are the import's."""
        check, cid = self.check, course.id
        view, self.built[cid] = lean_view(
            check.tracker.catalog, check.tracker.settings, self.patient, course,
            self.records[cid], self.facts[cid], check.today, end, check.lean_events,
            self.keys[cid], self.built.get(cid),
        )  # fmt: skip
        self.shared = None if self.corrected else view
        return view

    def shares(self, view: CourseView) -> bool:
        """Whether `view` is the lean calendar `lean` gave last, with no record corrected."""
        return view is self.shared

    def add(self, record: Record, line: int) -> None:
        """A row's record, checked: until written it has a provisional id, minus its line."""
        stored = _with(record, id=-line)
        fact = fact_of(stored)
        self.corrected = self.corrected or record.type is RecordType.ENTERED_IN_ERROR
        cid = record.course_id
        self.records.setdefault(cid, []).append(stored)
        self.facts.setdefault(cid, []).append(fact)
        self.keys.setdefault(cid, []).append(fact_key(fact))


def _with(record: Record, **values: Any) -> Record:
    """`record` with other values (an id, a course); `dataclasses.replace` runs the class's
    checks again, at several microseconds a row."""
    copy = object.__new__(Record)
    copy.__dict__.update(record.__dict__, **values)
    return copy


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


_SLICE = 200  # patients a worker checks before it reports: the progress bar, and the
# last slices (one worker still checks its last while the other has none left) short


def _canonical_dose(dose: str | None) -> str | None:
    return str(Quantity.parse(dose)) if dose else None
