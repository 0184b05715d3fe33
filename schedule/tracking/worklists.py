"""Read-only views over the store: a patient's calendar, the worklists and the patient list.
Each returns rows for the shared renderer (the audit trail: `history.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from schedule.domain.closures import Closures
from schedule.domain.course import Course, Patient, facts_of
from schedule.domain.errors import Hint, PrrtError, StoreError, UnknownError
from schedule.domain.model import Event, Flag, Kind, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.clinic import OCCUPYING
from schedule.engine.views import CourseView, course_views
from schedule.output.columns import EVENT_COLUMNS, event_row
from schedule.output.render import EVENT_TABLE, Column
from schedule.store.parallel import iter_slices
from schedule.tracking.days import add_hours, add_load, clinic_days, crowded_days, empty_days

if TYPE_CHECKING:
    from schedule.store.database import Store
    from schedule.store.interface import ReadStore

from schedule.tracking.selection import EVERYTHING, Filters, OpenHold, due_by, open_hold

SHOW_COLUMNS = ("patient_id", "course", *EVENT_COLUMNS, "name", "reason", "since")
WORKLIST_COLUMNS = (
    "patient_id", "course", *EVENT_COLUMNS, "days_late", "due_by", "reason", "since", "name",
)  # fmt: skip


def _title(row: Mapping[str, Any]) -> str:
    """The title, and for a held dose the hold's start and reason."""
    if row.get("since"):
        return f"{row['title']}; on hold since {row['since']}: {row['reason']}"
    return str(row["title"])


# A held dose's title says why it waits, as on the worklists.
SHOW_TABLE = (
    Column("course", "course"),
    *(replace(c, show=_title) if c.field == "title" else c for c in EVENT_TABLE),
)
WORKLIST_TABLE = (
    Column("patient", "patient_id"),
    Column("name", "name", squeeze=2, optional=True),
    Column("due by", "due_by"),
    Column("late", "days_late", lambda r: _late(r["days_late"]), squeeze=1),
    Column("event", "event"),
    Column("title", "title", _title, squeeze=3),
    Column("status", "status"),
    Column("flags", "flags"),
)


def _late(days: int) -> str:
    if days >= _BROKEN:
        return "?"
    if days > 0:
        return f"{days} d late"
    if days == 0:
        return "today"
    return f"in {-days} d"


def show_rows(
    store: Store,
    catalog: Catalog,
    settings: Settings,
    patient_id: str,
    as_of: date,
    names: bool = True,
    closures: Closures | None = None,
    crowded: frozenset[date] = frozenset(),
) -> list[dict[str, Any]]:
    """The patient's calendar, every course; `names=False` leaves the name out."""
    with store.read() as tx:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient_id)
        records = tx.records([c.id for c in courses])
    try:
        views = course_views(
            catalog, settings, patient, courses, records, as_of, closures=closures, crowded=crowded
        )
    except (OverflowError, ValueError):
        raise StoreError(
            f"the calendar of {patient_id} cannot be computed from what is stored (a date out "
            "of range); check its courses' dates"
        ) from None
    name = patient.name if names else None
    rows = []
    for view in views:
        # A held dose says why it waits: the hold's cause (toxicity and grade) and first day
        # (what hangs on it is held too, and says nothing more).
        hold = open_hold(facts_of(view.records), settings.hold_review_days)
        for e in view.events:
            waits = e.status is Status.HELD and e.series == view.regimen.dose.series
            held = hold if waits else None
            rows.append(
                {
                    **event_row(e, patient_id=patient.id, course=view.course.number),
                    "name": name,
                    "reason": held.reason if held else None,
                    "since": held.since.isoformat() if held else None,
                }
            )
    return rows


@dataclass(frozen=True)
class _Everything:
    """All patients and their courses; records are loaded per slice of patients."""

    patients: list[Patient]
    courses: dict[str, list[Course]]

    def course_ids(self, patients: list[Patient]) -> list[int]:
        return [c.id for p in patients for c in self.courses[p.id]]


def load_everything(store: ReadStore, filters: Filters = EVERYTHING) -> _Everything:
    """The patients the filters let through, with all their courses."""
    with store.read() as tx:
        patients = [p for p in tx.patients() if filters.patient_matches(p)]
        if filters.patient is not None and not patients:
            # A mistyped ID must not read as "nothing missed".
            raise UnknownError(
                f"unknown patient {filters.patient!r}",
                field="patient_id",
                hint=Hint.LIST_PATIENTS,
            )
        wanted = {p.id for p in patients}
        courses: dict[str, list[Course]] = defaultdict(list)
        for course in tx.courses():
            if course.patient_id in wanted:
                courses[course.patient_id].append(course)
    return _Everything(patients, courses)


Rows = list[dict[str, Any]]
_OCCUPYING = frozenset(s.value for s in OCCUPYING)


def worklist_rows(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    missed: bool,
    within: int = 7,
    workers: int = 1,
    filters: Filters = EVERYTHING,
    names: bool = True,
    closures: Closures | None = None,
    capacity: bool = False,
) -> Rows:
    """`missed`: events past their window with nothing recorded, and held doses past the
    maximum delay. Otherwise what is due: late within the window, coming within `within`
    days (or up to `filters.end`; deadlines included), held courses whose review day has come,
    and every dose past the maximum delay. Most urgent first. `workers` > 1 spreads large sets
    over that many processes; `names=False` leaves the names out. `capacity`: flag the doses
    on days over the clinic's capacity (`over-capacity`), counted from every patient's
    calendar in the same pass when the filters keep every patient.

    Nothing past the list's horizon is built (`cutoff`), each worker reads the facts of its
    own patients (in one statement), and workers send back tuples of the columns."""
    horizon = as_of + timedelta(days=within)
    if filters.end is not None:
        horizon = max(horizon, filters.end)
    data = load_everything(store, filters)
    # An open-ended SSA series is built up to `until` by its targets: one whose window opens
    # early (ssa_early_tolerance_days) is due before its target, and listed then.
    until = as_of if missed else horizon + timedelta(days=settings.ssa_early_tolerance_days)
    count = len(data.patients)
    filtered = filters != EVERYTHING
    everyone = filters.patient is None and not filters.name
    count_load = capacity and everyone
    everything = not filtered

    def task(low: int, high: int) -> tuple[list[tuple[Any, ...]], dict[date, Decimal]]:
        with store.read() as tx:  # each worker reads its own patients' facts, at once
            facts = tx.facts(data.course_ids(data.patients[low:high]))
        days = empty_days(settings, closures, as_of, horizon) if count_load else {}
        rows: list[tuple[Any, ...]] = []
        for patient in data.patients[low:high]:
            courses = data.courses[patient.id]
            try:
                views = course_views(
                    catalog, settings, patient, courses, {}, as_of, not missed, until, facts,
                    closures=closures, cutoff=until,
                )  # fmt: skip
            except (OverflowError, ValueError, PrrtError) as exc:
                # One patient whose stored facts cannot be computed is listed as such, first;
                # it never keeps the others off the list.
                rows += [_tuple(broken_row(patient.id, c.number, as_of, exc)) for c in courses]
                continue
            if days:
                add_load(days, views, settings)
            for view in views:
                if not filters.course_matches(view.course):
                    continue
                # A discontinued course lists only what the discontinuation left in place
                # (its after-course care): everything else of it is cancelled.
                hold = open_hold(facts.get(view.course.id, ()), settings.hold_review_days)
                name = patient.name if names else None
                for event in _wanted(view, as_of, horizon, missed, hold):
                    held = hold if event.status is Status.HELD else None
                    due = due_by(event, held)
                    if everything or filters.row_matches(event.kind.value, event.status.value, due):
                        rows.append(
                            _row(event, patient.id, view.course.number, as_of, due, held, name)
                        )
        return rows, {d.day: d.hours for d in days.values() if d.hours}

    rows: Rows = []
    hours: dict[date, Decimal] = defaultdict(Decimal)
    step = -(-count // max(workers, 1))
    for part, load in iter_slices(task, store, count, workers, step):
        rows += [dict(zip(WORKLIST_COLUMNS, values, strict=True)) for values in part]
        for day, extra in load.items():
            hours[day] += extra
    if capacity:
        if count_load:
            days = empty_days(settings, closures, as_of, horizon)
            add_hours(days, hours)
            full = crowded_days(list(days.values()))
        else:  # a narrowed list: the clinic's load still counts everyone
            found = clinic_days(store, catalog, settings, closures, as_of, horizon, as_of)
            full = crowded_days(found)
        _flag_crowded(rows, {d.isoformat() for d in full})
    rows.sort(key=lambda r: (-r["days_late"], r["patient_id"], r["course"], r["event"] or ""))
    return rows


def _tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in WORKLIST_COLUMNS)


def _row(
    event: Event,
    patient_id: str,
    course: int,
    as_of: date,
    due: date,
    held: OpenHold | None,
    name: str | None,
) -> tuple[Any, ...]:
    """A worklist row as a tuple of `WORKLIST_COLUMNS`: the event's columns as `event_row`
    makes them, then how late it is, its due-by day, the hold and the name. Built directly, as
    the list has a row for most courses."""
    given = event.given_on
    return (
        patient_id, course, event.key, event.kind.value, event.series, event.number,
        event.title, event.drug, event.dose, event.date.isoformat(), event.end.isoformat(),
        event.window_start.isoformat(), event.window_end.isoformat(), event.status.value,
        given.isoformat() if given else None, [flag.value for flag in event.flags],
        (as_of - event.end).days, due.isoformat(), held.reason if held else None,
        held.since.isoformat() if held else None, name,
    )  # fmt: skip


def _flag_crowded(rows: Rows, crowded: set[str]) -> None:
    """`over-capacity` on the rows of doses that take a chair on a day over capacity."""
    if not crowded:
        return
    flag = Flag.OVER_CAPACITY.value
    for row in rows:
        if (
            row["kind"] == "dose"
            and row["status"] in _OCCUPYING
            and (row["given_on"] or row["date"]) in crowded
            and flag not in row["flags"]
        ):
            row["flags"].append(flag)


def broken_row(patient_id: str, course: int, as_of: date, problem: Exception) -> dict[str, Any]:
    """A worklist row for a course whose calendar cannot be computed from what is stored (a
    date out of range written by other means, a regimen gone): status `error`, listed first."""
    day = as_of.isoformat()
    what = problem.message if isinstance(problem, PrrtError) else type(problem).__name__
    return {
        "patient_id": patient_id, "course": course, "event": None, "kind": None, "series": None,
        "number": None, "title": f"the calendar cannot be computed ({what}); check the stored "
        "dates and the regimen", "drug": None, "dose": None, "date": day, "end": day,
        "window_start": day, "window_end": day, "status": "error", "given_on": None,
        "flags": [], "days_late": _BROKEN, "due_by": day, "reason": None, "since": None,
        "name": None,
    }  # fmt: skip


_BROKEN = 10**6  # sorts a broken course before everything late


_STILL_TO_DO = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


def _wanted(
    view: CourseView, as_of: date, horizon: date, missed: bool, hold: OpenHold | None
) -> list[Event]:
    """The course's events that the list shows."""
    wanted_events = []
    after_order = view.regimen.after_order_series
    placed = (
        {e.number for e in view.events if e.series in view.regimen.order_series and e.given_on}
        if after_order
        else set()
    )
    series = view.regimen.dose.series
    for event in view.events:
        if event.series in after_order and event.number not in placed:
            continue  # a free-cancellation deadline matters once its order is placed
        # For a clinician to confirm: a delay past the label's limit, or its stop rule met.
        too_late = event.status in _STILL_TO_DO and (
            Flag.MAX_DELAY_EXCEEDED in event.flags or Flag.DISCONTINUE_PER_LABEL in event.flags
        )
        if missed:
            # An SSA injection past its window stays overdue until given (S9): missed too.
            past = event.status is Status.OVERDUE and event.window_end < as_of
            wanted = (
                event.status is Status.MISSED or past or (event.status is Status.HELD and too_late)
            )
        elif too_late:
            wanted = True  # for a clinician to confirm, whatever else it waits for
        elif event.status is Status.HELD:
            # A held dose comes up once its hold's review day has come.
            wanted = event.series == series and hold is not None and hold.review <= as_of
        elif event.status is Status.PLANNED:
            # Not open yet but soon; an event waiting on a dose not given yet stays out.
            wanted = as_of < event.date <= horizon and (
                event.kind.recordable or event.kind is Kind.DEADLINE
            )
        elif event.kind.recordable:
            wanted = event.status in (Status.DUE, Status.OVERDUE)
        else:
            # A deadline today or ahead; a passed order deadline while its dose waits (order-late).
            wanted = event.kind is Kind.DEADLINE and (
                event.status is Status.ACTIVE or Flag.ORDER_LATE in event.flags
            )
        if wanted:
            wanted_events.append(event)
    return wanted_events
