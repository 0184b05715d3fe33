"""Read-only views over the store: a patient's calendar, the worklists, the patient list and the
audit history. Each returns rows for the shared renderer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from schedule.domain.course import Course, Patient
from schedule.domain.model import CourseState, Kind, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import CourseView, course_views
from schedule.output.columns import EVENT_COLUMNS, event_row
from schedule.output.render import EVENT_TABLE, Column
from schedule.store.database import Store
from schedule.store.parallel import map_slices

SHOW_COLUMNS = ("patient_id", "course", *EVENT_COLUMNS)
WORKLIST_COLUMNS = ("patient_id", "course", *EVENT_COLUMNS, "days_late")
PATIENT_COLUMNS = (
    "patient_id", "name", "course", "regimen", "start", "state", "next_event", "next_date",
    "next_title", "flags",
)  # fmt: skip
HISTORY_COLUMNS = (
    "record", "at", "who", "action", "course", "event", "date", "dose", "note", "corrects",
    "override", "review", "end_care",
)  # fmt: skip

SHOW_TABLE = (Column("course", "course"), *EVENT_TABLE)
WORKLIST_TABLE = (
    Column("patient", "patient_id"),
    Column("due by", "end"),
    Column("late", "days_late", lambda r: _late(r["days_late"])),
    Column("event", "event"),
    Column("title", "title"),
    Column("status", "status"),
    Column("flags", "flags"),
)
PATIENT_TABLE = (
    Column("patient", "patient_id"),
    Column("course", "course"),
    Column("regimen", "regimen"),
    Column("start", "start"),
    Column("state", "state"),
    Column("next", "next_event"),
    Column("on", "next_date"),
    Column("flags", "flags"),
)


def _note(row: Mapping[str, Any]) -> str:
    """The note, with what else the record says in plain words."""
    parts = [str(row["note"])] if row["note"] else []
    if row["override"]:
        parts.append(f"override: {row['override']}")
    if row["review"]:
        parts.append(f"review {row['review']}")
    if row["end_care"]:
        parts.append("care ends")
    return "; ".join(parts)


HISTORY_TABLE = (
    Column("record", "record"),
    Column("at", "at"),
    Column("who", "who"),
    Column("action", "action"),
    Column("course", "course"),
    Column("event", "event"),
    Column("date", "date"),
    Column("dose", "dose"),
    Column("note", "note", _note),
)


_WAITING = (Status.PLANNED, Status.DUE, Status.OVERDUE)


def _late(days: int) -> str:
    if days > 0:
        return f"{days} d late"
    if days == 0:
        return "today"
    return f"in {-days} d"


def show_rows(
    store: Store, catalog: Catalog, settings: Settings, patient_id: str, as_of: date
) -> list[dict[str, Any]]:
    with store.read() as tx:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient_id)
        records = tx.records([c.id for c in courses])
    views = course_views(catalog, settings, patient, courses, records, as_of)
    return [
        event_row(e, patient_id=patient_id, course=v.course.number) for v in views for e in v.events
    ]


@dataclass(frozen=True)
class _Everything:
    """All patients and their courses; records are loaded per slice of patients."""

    patients: list[Patient]
    courses: dict[str, list[Course]]

    def course_ids(self, patients: list[Patient]) -> list[int]:
        return [c.id for p in patients for c in self.courses[p.id]]


def _load(store: Store) -> _Everything:
    with store.read() as tx:
        patients = tx.patients()
        courses: dict[str, list[Course]] = defaultdict(list)
        for course in tx.courses():
            courses[course.patient_id].append(course)
    return _Everything(patients, courses)


Rows = list[dict[str, Any]]


def worklist_rows(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    missed: bool,
    within: int = 7,
    workers: int = 1,
) -> Rows:
    """`missed`: events past their window with nothing recorded. Otherwise what is due: late
    within the window, or coming within `within` days (deadlines included). Most urgent first.
    `workers` > 1 spreads large sets over that many processes."""
    horizon = as_of + timedelta(days=within)
    data = _load(store)
    until = as_of if missed else horizon
    count = len(data.patients)

    def task(low: int, high: int) -> Rows:
        patients = data.patients[low:high]
        everyone = (low, high) == (0, count)
        with store.read() as tx:
            facts = tx.facts(None if everyone else data.course_ids(patients))
        rows = []
        for patient in patients:
            courses = data.courses[patient.id]
            views = course_views(
                catalog, settings, patient, courses, {}, as_of, not missed, until, facts
            )
            for view in views:
                # A discontinued course lists only what the discontinuation left in place
                # (its after-course care): everything else of it is cancelled.
                rows += _wanted(view, as_of, horizon, missed)
        return rows

    rows = map_slices(task, store, count, workers)
    rows.sort(key=lambda r: (-r["days_late"], r["patient_id"], r["course"], r["event"]))
    return rows


def _wanted(view: CourseView, as_of: date, horizon: date, missed: bool) -> Rows:
    rows = []
    after_order = view.regimen.after_order_series
    placed = (
        {e.number for e in view.events if e.series in view.regimen.order_series and e.given_on}
        if after_order
        else set()
    )
    for event in view.events:
        if event.series in after_order and event.number not in placed:
            continue  # a free-cancellation deadline matters once its order is placed
        if missed:
            wanted = event.status is Status.MISSED
        elif event.status is Status.PLANNED:
            # Not open yet but soon; an event waiting on a dose not given yet stays out.
            wanted = as_of < event.date <= horizon and (
                event.kind.recordable or event.kind is Kind.DEADLINE
            )
        elif event.kind.recordable:
            wanted = event.status in (Status.DUE, Status.OVERDUE)
        else:
            wanted = event.kind is Kind.DEADLINE and event.status is Status.ACTIVE
        if wanted:
            row = event_row(event, patient_id=view.patient.id, course=view.course.number)
            row["days_late"] = (as_of - event.end).days
            rows.append(row)
    return rows


def patient_rows(
    store: Store, catalog: Catalog, settings: Settings, as_of: date
) -> list[dict[str, Any]]:
    """One row per course: its state and the next thing to do."""
    rows = []
    data = _load(store)
    with store.read() as tx:
        records = tx.records()
    views = [
        view
        for patient in data.patients
        for view in course_views(
            catalog,
            settings,
            patient,
            data.courses[patient.id],
            records,
            as_of,
            informational=False,
            until=as_of + timedelta(days=365),
        )
    ]
    for view in views:
        waiting = [e for e in view.events if e.status in (*_WAITING, Status.MISSED, Status.HELD)]
        if view.discontinued is not None:
            state = CourseState.DISCONTINUED
        elif view.on_hold:
            state = CourseState.ON_HOLD
        elif not waiting:
            state = CourseState.COMPLETED
        else:
            state = CourseState.ACTIVE
        upcoming = waiting[0] if waiting and state is not CourseState.DISCONTINUED else None
        flags = sorted({f.value for e in waiting for f in e.flags})
        rows.append(
            {
                "patient_id": view.patient.id,
                "name": view.patient.name,
                "course": view.course.number,
                "regimen": view.course.regimen,
                "start": view.course.start.isoformat(),
                "state": state.value,
                "next_event": upcoming.key if upcoming else None,
                "next_date": upcoming.date.isoformat() if upcoming else None,
                "next_title": upcoming.title if upcoming else None,
                "flags": flags,
            }
        )
    return rows


def history_rows(store: Store, patient_id: str) -> list[dict[str, Any]]:
    """The audit trail of one patient, oldest first."""
    with store.read() as tx:
        tx.require_patient(patient_id)
        numbers = {c.id: c.number for c in tx.courses(patient_id)}
        entries = tx.audit(patient_id)
    rows = []
    for entry in entries:
        detail = json.loads(entry["detail"])
        rows.append(
            {
                "record": entry["record_id"],
                "at": entry["at"],
                "who": entry["who"],
                "action": entry["action"],
                "course": numbers.get(entry["course_id"]) or detail.get("course"),
                "event": detail.get("event"),
                "date": detail.get("day") or detail.get("start"),
                "dose": detail.get("dose"),
                "note": detail.get("note") or detail.get("regimen") or detail.get("name"),
                "corrects": detail.get("corrects"),
                "override": detail.get("override"),
                "review": detail.get("review"),
                "end_care": bool(detail.get("end_care")),
            }
        )
    return rows
