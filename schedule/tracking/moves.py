"""Moving targets around the clinic's days: the bulk move of every event planned on closed days
or in a range of days, for every patient (one reschedule is `Tracker.reschedule`).

Each move is a normal `rescheduled` record checked by `rules.check_record` (the same guards as
one reschedule, the closures included). A bulk move is one transaction: if any move is refused,
nothing is stored and the error names the patient and the event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from schedule.domain.closures import Closures
from schedule.domain.course import Actor, Course, Patient, Record
from schedule.domain.errors import COMMAND_ONLY_HINTS, InputError, PrrtError
from schedule.domain.model import Event, RecordType, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import CourseView, course_views
from schedule.output.render import Column
from schedule.store.database import Store
from schedule.store.transaction import Tx
from schedule.tracking.guards import companion_dose
from schedule.tracking.rules import Proposal, check_reason, check_record

# What a move picks up: a dose, lab or scan not yet done (a held dose waits for its resume).
_MOVABLE = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED)

MOVE_COLUMNS = ("patient_id", "course", "event", "title", "from", "to", "record", "note")
MOVE_TABLE = (
    Column("patient", "patient_id"),
    Column("course", "course"),
    Column("event", "event"),
    Column("title", "title", squeeze=2, floor=24, below=True),
    Column("from", "from"),
    Column("to", "to"),
    Column("record", "record"),
    Column("note", "note", squeeze=1, below=True),
)


@dataclass(frozen=True)
class Selection:
    """Which events a bulk move takes: a dose, lab or scan not yet done whose target is from
    `first` to `last`; with `closed_only`, only those on a day the clinic is closed."""

    first: date
    last: date
    closed_only: bool = False

    def takes(self, event: Event, closures: Closures | None) -> bool:
        return (
            event.kind.recordable
            and event.status in _MOVABLE
            and self.first <= event.date <= self.last
            and (not self.closed_only or (closures is not None and closures.closed(event.date)))
        )


@dataclass(frozen=True)
class Move:
    """An event of the selection and where it went: `record` is the rescheduled record (None in
    a dry run); `note` says when it moved along with another event, or could not move alone."""

    patient_id: str
    course: int
    event: str
    title: str
    old: date
    new: date | None
    record: int | None = None
    note: str = ""

    def row(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "course": self.course,
            "event": self.event,
            "title": self.title,
            "from": self.old.isoformat(),
            "to": self.new.isoformat() if self.new else None,
            "record": self.record,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class Clinic:
    """What a bulk move works with."""

    store: Store
    catalog: Catalog
    settings: Settings
    closures: Closures | None


def move_events(
    clinic: Clinic,
    selection: Selection,
    to: date,
    reason: str,
    actor: Actor,
    today: date,
    dry_run: bool = False,
) -> list[Move]:
    """Move every selected event of every patient to `to`, each by a `rescheduled` record, in
    one transaction; a dry run checks the same and stores nothing."""
    reason = check_reason(RecordType.RESCHEDULED, reason)
    if selection.last < selection.first:
        raise InputError(
            f"the last day {selection.last} is before the first {selection.first}", field="to"
        )
    if selection.closed_only and not clinic.closures:
        raise InputError("no closed days are known (site setting closures)", field="closures")
    opened = clinic.store.read() if dry_run else clinic.store.write()
    with opened as tx:
        patients, courses = _everyone(tx, lock=not dry_run)
        records = tx.records([c.id for cs in courses.values() for c in cs])
        moves: list[Move] = []
        new: list[tuple[int, str, Record]] = []  # (index in moves, patient, record to store)
        for patient in patients:
            planner = _Planner(clinic, patient, courses.get(patient.id, []), records, today)
            for move, record in planner.moves(selection, to, reason):
                if record is not None:
                    new.append((len(moves), patient.id, record))
                moves.append(move)
        if not dry_run:
            for index, patient_id, record in new:
                number = tx.add_record(patient_id, record, actor)
                moves[index] = replace(moves[index], record=number)
    return moves


def _everyone(tx: Tx, lock: bool) -> tuple[list[Patient], dict[str, list[Course]]]:
    patients = tx.patients()
    courses = tx.courses_by_patient()
    if lock:
        tx.lock_courses([c.id for cs in courses.values() for c in cs])
    return patients, courses


class _Planner:
    """The moves of one patient, each checked against the calendar as the earlier ones left it."""

    def __init__(
        self,
        clinic: Clinic,
        patient: Patient,
        courses: Sequence[Course],
        records: Mapping[int, Sequence[Record]],
        today: date,
    ) -> None:
        self.clinic = clinic
        self.patient = patient
        self.courses = courses
        self.records = {c.id: list(records.get(c.id, [])) for c in courses}
        self.today = today

    def views(self) -> list[CourseView]:
        c = self.clinic
        return course_views(
            c.catalog, c.settings, self.patient, self.courses, self.records, self.today
        )

    def moves(
        self, selection: Selection, to: date, reason: str
    ) -> list[tuple[Move, Record | None]]:
        closures = self.clinic.closures
        views = self.views()
        chosen = {
            (v.course.id, e.key): (v, e)
            for v in views
            for e in v.events
            if selection.takes(e, closures)
        }
        out: list[tuple[Move, Record | None]] = []
        done: set[tuple[int, str]] = set()
        for ident in sorted(chosen, key=lambda i: (chosen[i][1].date, chosen[i][0].course.number)):
            if ident in done:
                continue
            view, event = _find(views, ident)
            parent = companion_dose(view, event)
            if parent is None:
                views = self._move(views, chosen, done, out, ident, to, reason)
                continue
            # The LAR after a dose never moves alone (L18): its dose moves, and it with the dose,
            # though the dose itself is not in the days selected (one late, the LAR today).
            done.add(ident)
            dose = (view.course.id, parent.key)
            if dose not in done:
                if parent.given_on is not None or parent.status not in _MOVABLE:
                    follows = f"its date follows {parent.key} (L18)"
                    out.append((self.move(view, chosen[ident][1], None, follows), None))
                    continue
                chosen.setdefault(dose, (view, parent))
                note = f"moves with its LAR {event.key} (L18)"
                views = self._move(views, chosen, done, out, dose, to, reason, note)
            now = _find(views, ident)
            out.append(
                (self.move(now[0], chosen[ident][1], now[1].date, _moves_with(parent)), None)
            )
        return out

    def _move(
        self,
        views: list[CourseView],
        chosen: dict[tuple[int, str], tuple[CourseView, Event]],
        done: set[tuple[int, str]],
        out: list[tuple[Move, Record | None]],
        ident: tuple[int, str],
        to: date,
        reason: str,
        note: str = "",
    ) -> list[CourseView]:
        """Move one event onto `to`, and list the selected events that move with it; the
        calendars as they are after it."""
        done.add(ident)
        view, event = _find(views, ident)
        record = self.check(view, event, to, reason)
        trial = {**self.records, view.course.id: [*self.records[view.course.id], record]}
        c = self.clinic
        after = course_views(c.catalog, c.settings, self.patient, self.courses, trial, self.today)
        old = chosen[ident][1]
        if _find(after, ident)[1].date != to:  # placed from its dose: it cannot move alone
            out.append((self.move(view, old, None, "its date follows its dose"), None))
            return views
        self.records = trial
        out.append((self.move(view, old, to, note), record))
        for other in chosen:
            if other in done:
                continue
            now = _find(after, other)
            if now[1].date != _find(views, other)[1].date:
                done.add(other)
                out.append(
                    (self.move(now[0], chosen[other][1], now[1].date, _moves_with(event)), None)
                )
        return after

    def check(self, view: CourseView, event: Event, to: date, reason: str) -> Record:
        proposal = Proposal(RecordType.RESCHEDULED, event.key, to, note=reason)
        c = self.clinic
        try:
            return check_record(view, proposal, self.today, c.settings, c.closures)
        except PrrtError as exc:
            exc.message = (
                f"{self.patient.id} {event.key} (course {view.course.number}, {event.date}): "
                f"{exc.message}; nothing was moved"
            )
            exc.args = (exc.message,)
            if exc.hint in COMMAND_ONLY_HINTS:
                exc.hint = None  # a bulk move takes no override: each event is moved alone
            raise

    def move(self, view: CourseView, event: Event, new: date | None, note: str = "") -> Move:
        return Move(
            self.patient.id, view.course.number, event.key, event.title, event.date, new, None, note
        )


def _moves_with(event: Event) -> str:
    return f"moves with {event.key}"


def _find(views: Sequence[CourseView], ident: tuple[int, str]) -> tuple[CourseView, Event]:
    course_id, key = ident
    view = next(v for v in views if v.course.id == course_id)
    event = view.event(key)
    assert event is not None  # event keys never change when dates move
    return view, event
