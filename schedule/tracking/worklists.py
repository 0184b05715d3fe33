"""Read-only views over the store: a patient's calendar, the worklists and the patient list.
Each returns typed rows (`tracking.rows`) for the shared renderer (the audit trail:
`history.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from schedule.domain.closures import Closures
from schedule.domain.course import Course, Patient, facts_of
from schedule.domain.errors import Hint, PrrtError, StoreError, UnknownError
from schedule.domain.model import Fact, Flag, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.domain.suggest import did_you_mean
from schedule.engine.clinic import over_capacity
from schedule.engine.views import CourseView, Memo, course_views
from schedule.output.columns import EVENT_COLUMNS, UNCOMPUTABLE
from schedule.output.formats import row_texts
from schedule.output.render import EVENT_TABLE, Column
from schedule.store.parallel import iter_slices
from schedule.tracking.days import add_hours, add_load, clinic_days, crowded_days, empty_days
from schedule.tracking.rows import CalendarRow, Listed, UncomputableRow, WorklistRow, urgency
from schedule.tracking.selection import EVERYTHING, Filters, due_by, open_hold
from schedule.tracking.wanted import wanted_events

if TYPE_CHECKING:
    from schedule.store.database import Store
    from schedule.store.interface import ReadStore

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
# The worklists' table: LATE counts from TARGET (the event's day, the last of a span), the
# window's last day has its own column, and a held dose's title says why and when it is reviewed.
WORKLIST_TABLE = (
    Column("patient", "patient_id"),
    Column("name", "name", squeeze=1, optional=True, below=True),
    Column("target", "end"),
    Column("late", "days_late", lambda r: _late(r)),
    Column("window end", "window_end", drop=1),
    Column("event", "event"),
    Column("title", "title", lambda r: _worklist_title(r), squeeze=2, floor=24, below=True),
    Column("status", "status"),
    Column("flags", "flags", below=True),
)


def _worklist_title(row: Mapping[str, Any]) -> str:
    """The title; a held dose's also says when its hold is up for review."""
    if row.get("since") and row.get("due_by"):
        return f"{_title(row)}; review {row['due_by']}"
    return _title(row)


def _late(row: Mapping[str, Any]) -> str:
    """Days from the target: `5 d` late, `today`, `in 3 d` still to come."""
    days = row["days_late"]
    if row["status"] == UNCOMPUTABLE:
        return "?"
    if days > 0:
        return f"{days} d"
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
) -> list[CalendarRow]:
    """The patient's calendar, every course; `names=False` leaves the name out."""
    with store.read() as tx:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient.id)
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
            reason, since = (held.reason, held.since) if held else (None, None)
            rows.append(CalendarRow(patient.id, view.course.number, e, name, reason, since))
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
        every = tx.patients()
        patients = [p for p in every if filters.patient_matches(p)]
        if filters.patient is not None and not patients:
            # A mistyped ID must not read as "nothing missed".
            known = did_you_mean(filters.patient, [p.id for p in every])
            raise UnknownError(
                f"unknown patient {filters.patient!r}{known}",
                field="patient_id",
                hint=Hint.LIST_PATIENTS,
            )
        wanted = {p.id for p in patients}
        courses: dict[str, list[Course]] = defaultdict(list)
        for course in tx.courses():
            if course.patient_id in wanted:
                courses[course.patient_id].append(course)
    return _Everything(patients, courses)


@dataclass(frozen=True)
class _Worklist:
    """One worklist being made: what it asks for, and the patients it goes over."""

    store: ReadStore
    catalog: Catalog
    settings: Settings
    as_of: date
    missed: bool
    horizon: date  # the last day the list looks at
    until: date  # the last day calendars are built to
    filters: Filters
    names: bool
    closures: Closures | None
    count_load: bool  # count every patient's chair-hours in the same pass
    data: _Everything

    def part(self, low: int, high: int) -> tuple[list[Listed], dict[date, Decimal]]:
        """The rows of the patients from `low` to `high` and the chair-hours they take each
        day; each worker reads its own patients' facts, in one statement."""
        patients = self.data.patients[low:high]
        with self.store.read() as tx:
            facts = tx.facts(self.data.course_ids(patients))
        days = (
            empty_days(self.settings, self.closures, self.as_of, self.horizon)
            if self.count_load
            else {}
        )
        rows: list[Listed] = []
        memo: Memo = {}  # most courses share their calendar with others (same start, facts)
        for patient in patients:
            courses = self.data.courses[patient.id]
            try:
                views = course_views(
                    self.catalog, self.settings, patient, courses, {}, self.as_of,
                    not self.missed, self.until, facts, closures=self.closures,
                    cutoff=self.until, memo=memo,
                )  # fmt: skip
            except (OverflowError, ValueError, PrrtError) as exc:
                # One patient whose stored facts cannot be computed is listed as such, first;
                # it never keeps the others off the list.
                problem = exc.message if isinstance(exc, PrrtError) else type(exc).__name__
                rows += [
                    UncomputableRow(patient.id, c.number, self.as_of, problem) for c in courses
                ]
                continue
            if days:
                add_load(days, views, self.settings)
            name = patient.name if self.names else None
            for view in views:
                rows += self._listed(view, facts.get(view.course.id, ()), name)
        return rows, {d.day: d.hours for d in days.values() if d.hours}

    def written(self, low: int, high: int, fmt: str) -> list[tuple[Any, str]]:
        """The rows of the patients from `low` to `high` in the list's order, each as its
        text in `fmt` (`output.formats.row_texts`) with its place on the list (`urgency`)."""
        rows, _ = self.part(low, high)
        rows.sort(key=urgency)
        return list(zip(map(urgency, rows), row_texts(rows, WORKLIST_COLUMNS, fmt), strict=True))

    def _listed(
        self, view: CourseView, facts: Iterable[Fact], name: str | None
    ) -> list[WorklistRow]:
        """The rows of one course the filters let through."""
        if not self.filters.course_matches(view.course):
            return []
        # A discontinued course lists only what the discontinuation left in place (its
        # after-course care): everything else of it is cancelled.
        hold = open_hold(facts, self.settings.hold_review_days)
        everything = self.filters == EVERYTHING
        rows = []
        for event in wanted_events(view, self.as_of, self.horizon, self.missed, hold):
            held = hold if event.status is Status.HELD else None
            due = due_by(event, held)
            if everything or self.filters.row_matches(event.kind.value, event.status.value, due):
                late = (self.as_of - event.end).days
                reason, since = (held.reason, held.since) if held else (None, None)
                course = view.course.number
                rows.append(
                    WorklistRow(view.patient.id, course, event, late, due, reason, since, name)
                )
        return rows

    def crowded(self, hours: Mapping[date, Decimal]) -> frozenset[date]:
        """The days over the clinic's capacity: from the chair-hours counted in the pass, or
        for a narrowed list from every patient's calendar."""
        if self.count_load:
            days = empty_days(self.settings, self.closures, self.as_of, self.horizon)
            add_hours(days, hours)
            return crowded_days(list(days.values()))
        found = clinic_days(
            self.store, self.catalog, self.settings, self.closures, self.as_of, self.horizon,
            self.as_of,
        )  # fmt: skip
        return crowded_days(found)


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
) -> list[Listed]:
    """`missed`: events past their window with nothing recorded, and held doses past the
    maximum delay. Otherwise what is due: late, or with its target (the day `days_late` counts
    from) within `within` days (or up to `filters.end`; deadlines included), held courses whose
    review day has come,
    and every dose past the maximum delay. Most urgent first. `workers` > 1 spreads large sets
    over that many processes; `names=False` leaves the names out. `capacity`: flag the doses
    on days over the clinic's capacity (`over-capacity`), counted from every patient's
    calendar in the same pass when the filters keep every patient.

    Nothing past the list's horizon is built (`cutoff`), each worker reads the facts of its
    own patients (in one statement), and workers send back typed rows."""
    job = _job(
        store, catalog, settings, as_of, missed, within, workers, filters, names, closures,
        capacity,
    )  # fmt: skip
    rows: list[Listed] = []
    hours: dict[date, Decimal] = defaultdict(Decimal)
    count = len(job.data.patients)
    step = -(-count // max(workers, 1))
    for part, load in iter_slices(job.part, store, count, workers, step, collect=False):
        rows += part
        for day, extra in load.items():
            hours[day] += extra
    if capacity:
        rows = _flag_crowded(rows, job.crowded(hours))
    rows.sort(key=urgency)
    return rows


def worklist_texts(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    missed: bool,
    fmt: str,
    workers: int = 1,
    filters: Filters = EVERYTHING,
    names: bool = True,
    closures: Closures | None = None,
) -> list[str]:
    """The rows of `worklist_rows` (with no capacity flags), each as its text in `fmt`, a
    program's format (`output.formats.row_texts`), in the list's order: each worker writes
    the rows it made and sends back their texts, which cost less to send than typed rows."""
    job = _job(store, catalog, settings, as_of, missed, 7, workers, filters, names, closures, False)
    count = len(job.data.patients)

    def written(low: int, high: int) -> list[tuple[Any, str]]:
        return job.written(low, high, fmt)

    found: list[tuple[Any, str]] = []
    step = -(-count // max(workers, 1))
    for part in iter_slices(written, store, count, workers, step, collect=False):
        found += part
    found.sort(key=itemgetter(0))  # each part is in order already
    return [text for _, text in found]


def _job(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    as_of: date,
    missed: bool,
    within: int,
    workers: int,
    filters: Filters,
    names: bool,
    closures: Closures | None,
    capacity: bool,
) -> _Worklist:
    horizon = as_of + timedelta(days=within)
    if filters.end is not None:
        horizon = max(horizon, filters.end)
    data = _alike_together(load_everything(store, filters), max(workers, 1))
    # An open-ended SSA series is built up to `until` by its targets: one whose window opens
    # early (ssa_early_tolerance_days) is due before its target, and listed then.
    until = as_of if missed else horizon + timedelta(days=settings.ssa_early_tolerance_days)
    everyone = filters.patient is None and not filters.name
    return _Worklist(
        store, catalog, settings, as_of, missed, horizon, until, filters, names, closures,
        capacity and everyone, data,
    )  # fmt: skip


def _alike_together(data: _Everything, workers: int) -> _Everything:
    """The patients ordered so that courses that may share a calendar (`course_views(memo=
    ...)`: one regimen, one start) fall in one worker's slice, and each worker's slice holds
    starts from the whole span (old courses have more to compute and list than new ones): by
    the first course's start, every `workers`-th day in one slice. The order is free: the rows
    are sorted at the end (`urgency`), on keys no two rows share."""
    first = data.courses

    def alike(patient: Patient) -> tuple[int, int, str]:
        if not first[patient.id]:
            return (0, 0, "")
        course = first[patient.id][0]
        day = course.start.toordinal()
        return (day % workers, day, course.regimen)

    return _Everything(sorted(data.patients, key=alike), data.courses)


def _flag_crowded(rows: list[Listed], crowded: frozenset[date]) -> list[Listed]:
    """`over-capacity` on the rows of doses that take a chair on a day over capacity."""
    if not crowded:
        return rows
    flag = Flag.OVER_CAPACITY
    return [
        row._replace(event=row.event.with_flags(flag))
        if isinstance(row, WorklistRow)
        and over_capacity(row.event, crowded)
        and flag not in row.event.flags
        else row
        for row in rows
    ]
