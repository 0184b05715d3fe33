"""The patient list: one row per course, its state and the next thing to do, with the same
DUE BY date as the worklists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from schedule.domain.course import Course, Patient, facts_of
from schedule.domain.model import CourseState, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import course_views
from schedule.output.render import Column
from schedule.store.database import Store
from schedule.tracking.selection import EVERYTHING, Filters, due_by, open_hold
from schedule.tracking.worklists import load_everything

PATIENT_COLUMNS = (
    "patient_id", "name", "course", "regimen", "start", "state", "next_event", "next_date",
    "next_title", "flags", "next_due_by",
)  # fmt: skip
PATIENT_TABLE = (
    Column("patient", "patient_id"),
    Column("name", "name", squeeze=2, optional=True),
    Column("course", "course"),
    Column("regimen", "regimen", squeeze=1),
    Column("start", "start", squeeze=3),
    Column("state", "state"),
    Column("next", "next_event"),
    Column("due by", "next_due_by"),
    Column("flags", "flags"),
)

_WAITING = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


def patient_rows(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    filters: Filters = EVERYTHING,
    names: bool = True,
) -> list[dict[str, Any]]:
    """One row per course: its state and the next thing to do. A discontinued course shows
    the after-course care it kept. `filters.status` is the course's state, `filters.kind` the
    next event's kind; `names=False` leaves the names out."""
    rows = []
    data = load_everything(store, filters)
    with store.read() as tx:
        wanted = None if filters == EVERYTHING else data.course_ids(data.patients)
        records = tx.records(wanted)
    views = []
    for patient in data.patients:
        try:
            views += course_views(
                catalog,
                settings,
                patient,
                data.courses[patient.id],
                records,
                as_of,
                informational=False,
                until=as_of + timedelta(days=365),
            )
        except (OverflowError, ValueError):
            # A course that cannot be computed from what is stored is listed as such; it
            # never keeps the other patients off the list.
            rows += [_broken(patient, c, names) for c in data.courses[patient.id]]
    for view in views:
        if not filters.course_matches(view.course):
            continue
        waiting = [e for e in view.events if e.status in _WAITING]
        if view.discontinued is not None:
            state = CourseState.DISCONTINUED
        elif view.on_hold:
            state = CourseState.ON_HOLD
        elif not waiting:
            state = CourseState.COMPLETED
        else:
            state = CourseState.ACTIVE
        upcoming = waiting[0] if waiting else None
        hold = open_hold(facts_of(view.records), settings.hold_review_days)
        shown = due_by(upcoming, hold) if upcoming else None
        if not filters.row_matches(upcoming.kind.value if upcoming else None, state.value, shown):
            continue
        flags = sorted({f.value for e in waiting for f in e.flags})
        rows.append(
            {
                "patient_id": view.patient.id,
                "name": view.patient.name if names else None,
                "course": view.course.number,
                "regimen": view.course.regimen,
                "start": view.course.start.isoformat(),
                "state": state.value,
                "next_event": upcoming.key if upcoming else None,
                "next_date": upcoming.date.isoformat() if upcoming else None,
                "next_title": upcoming.title if upcoming else None,
                "flags": flags,
                "next_due_by": shown.isoformat() if shown else None,
            }
        )
    return rows


def _broken(patient: Patient, course: Course, names: bool) -> dict[str, Any]:
    """The row of a course whose calendar cannot be computed: state `error`."""
    return {
        "patient_id": patient.id, "name": patient.name if names else None,
        "course": course.number, "regimen": course.regimen, "start": course.start.isoformat(),
        "state": "error", "next_event": None, "next_date": None,
        "next_title": "the calendar cannot be computed; check the stored dates", "flags": [],
        "next_due_by": None,
    }  # fmt: skip
