"""Read-only views over the store: a patient's calendar, the worklists, the patient list and the
audit history. Each returns rows for the shared renderer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from .columns import EVENT_COLUMNS, event_row
from .course import Course, Record
from .model import Kind, Status
from .render import EVENT_TABLE, Column
from .tracking import CourseView, Tracker

SHOW_COLUMNS = ("patient_id", "course", *EVENT_COLUMNS)
WORKLIST_COLUMNS = ("patient_id", "course", *EVENT_COLUMNS, "days_late")
PATIENT_COLUMNS = (
    "patient_id", "name", "course", "regimen", "start", "state", "next_event", "next_date",
    "next_title", "flags",
)  # fmt: skip
HISTORY_COLUMNS = (
    "record", "at", "who", "action", "course", "event", "date", "dose", "note", "corrects",
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
HISTORY_TABLE = (
    Column("record", "record"),
    Column("at", "at"),
    Column("who", "who"),
    Column("action", "action"),
    Column("course", "course"),
    Column("event", "event"),
    Column("date", "date"),
    Column("dose", "dose"),
    Column("note", "note"),
)

_WAITING = (Status.PLANNED, Status.DUE, Status.OVERDUE)


def _late(days: int) -> str:
    if days > 0:
        return f"{days} d late"
    if days == 0:
        return "today"
    return f"in {-days} d"


def show_rows(tracker: Tracker, patient_id: str, as_of: date) -> list[dict[str, Any]]:
    with tracker.store.read() as conn:
        views = tracker.patient_views(conn, patient_id, as_of)
    return [
        event_row(e, patient_id=patient_id, course=v.course.number) for v in views for e in v.events
    ]


def _all_views(tracker: Tracker, as_of: date, informational: bool, until: date) -> list[CourseView]:
    with tracker.store.read() as conn:
        patients = {p.id: p for p in tracker.store.patients(conn)}
        courses: dict[str, list[Course]] = defaultdict(list)
        for course in tracker.store.courses(conn):
            courses[course.patient_id].append(course)
        records: dict[int, list[Record]] = tracker.store.records(conn)
    views: list[CourseView] = []
    for patient_id, patient in patients.items():
        views += tracker.views(
            patient, courses[patient_id], records, as_of, informational=informational, until=until
        )
    return views


def worklist_rows(
    tracker: Tracker, as_of: date, missed: bool, within: int = 7
) -> list[dict[str, Any]]:
    """`missed`: events past their window with nothing recorded. Otherwise what is due: late
    within the window, or coming within `within` days (deadlines included)."""
    horizon = as_of + timedelta(days=within)
    views = _all_views(tracker, as_of, informational=not missed, until=as_of if missed else horizon)
    rows = []
    for view in views:
        if view.discontinued is not None:
            continue  # a clinician ended the course: nothing of it is waited for
        for event in view.events:
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
    rows.sort(key=lambda r: (-r["days_late"], r["patient_id"], r["course"], r["event"]))
    return rows


def patient_rows(tracker: Tracker, as_of: date) -> list[dict[str, Any]]:
    """One row per course: its state and the next thing to do."""
    rows = []
    for view in _all_views(tracker, as_of, informational=False, until=as_of + timedelta(days=365)):
        waiting = [e for e in view.events if e.status in (*_WAITING, Status.MISSED, Status.HELD)]
        if view.discontinued is not None:
            state = "discontinued"
        elif view.on_hold:
            state = "on-hold"
        elif not waiting:
            state = "completed"
        else:
            state = "active"
        upcoming = waiting[0] if waiting else None
        flags = sorted({f.value for e in view.events for f in e.flags if e in waiting})
        rows.append(
            {
                "patient_id": view.patient.id,
                "name": view.patient.name,
                "course": view.course.number,
                "regimen": view.course.regimen,
                "start": view.course.start.isoformat(),
                "state": state,
                "next_event": upcoming.key if upcoming and state != "discontinued" else None,
                "next_date": upcoming.date.isoformat()
                if upcoming and state != "discontinued"
                else None,
                "next_title": upcoming.title if upcoming and state != "discontinued" else None,
                "flags": flags,
            }
        )
    return rows


def history_rows(tracker: Tracker, patient_id: str) -> list[dict[str, Any]]:
    """The audit trail of one patient, oldest first."""
    with tracker.store.read() as conn:
        tracker.require_patient(conn, patient_id)
        numbers = {c.id: c.number for c in tracker.store.courses(conn, patient_id)}
        entries = tracker.store.audit(conn, patient_id)
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
            }
        )
    return rows
