"""The patient list: one row per course, its state and the next thing to do, with the same
DUE BY date as the worklists."""

from __future__ import annotations

from datetime import date, timedelta

from schedule.domain.course import facts_of
from schedule.domain.model import Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import CourseView, course_views
from schedule.output.render import Column
from schedule.store.database import Store
from schedule.tracking.rows import PatientRow, UncomputableCourse
from schedule.tracking.selection import EVERYTHING, Filters, due_by, open_hold
from schedule.tracking.worklists import load_everything

PATIENT_COLUMNS = (
    "patient_id", "name", "course", "regimen", "start", "state", "next_event", "next_date",
    "next_title", "flags", "next_due_by",
)  # fmt: skip
PATIENT_TABLE = (
    Column("patient", "patient_id"),
    Column("name", "name", squeeze=1, optional=True, below=True),
    Column("course", "course"),
    Column("regimen", "regimen", below=True),
    Column("start", "start", below=True),
    Column("state", "state"),
    Column("next", "next_event"),
    Column("due by", "next_due_by"),
    Column("flags", "flags", below=True),
)

_WAITING = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


def patient_rows(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    filters: Filters = EVERYTHING,
    names: bool = True,
) -> list[PatientRow | UncomputableCourse]:
    """One row per course: its state and the next thing to do. A discontinued course shows
    the after-course care it kept. `filters.status` is the course's state, `filters.kind` the
    next event's kind; `names=False` leaves the names out."""
    rows: list[PatientRow | UncomputableCourse] = []
    data = load_everything(store, filters)
    with store.read() as tx:
        wanted = None if filters == EVERYTHING else data.course_ids(data.patients)
        records = tx.records(wanted)
    views = []
    for patient in data.patients:
        name = patient.name if names else None
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
            rows += [UncomputableCourse(patient.id, name, c) for c in data.courses[patient.id]]
    for view in views:
        if filters.course_matches(view.course):
            row = _row(view, settings, names)
            kind = row.upcoming.kind.value if row.upcoming else None
            if filters.row_matches(kind, row.state.value, row.due_by):
                rows.append(row)
    return rows


def _row(view: CourseView, settings: Settings, names: bool) -> PatientRow:
    """The course's row: its state, the first event still waiting and its due-by day."""
    waiting = [e for e in view.events if e.status in _WAITING]
    state = view.state
    upcoming = waiting[0] if waiting else None
    hold = open_hold(facts_of(view.records), settings.hold_review_days)
    shown = due_by(upcoming, hold) if upcoming else None
    flags = tuple(sorted({f for e in waiting for f in e.flags}, key=lambda f: f.value))
    name = view.patient.name if names else None
    return PatientRow(view.patient.id, name, view.course, state, upcoming, flags, shown)
