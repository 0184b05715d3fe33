"""A patient's courses as calendars: each course with its records and its events as of a day.
SSA injections of one course count in the washout check of the patient's other courses."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from schedule.domain.closures import Closures
from schedule.domain.course import Course, Patient, Record, effective, facts_of
from schedule.domain.model import SSA_SERIES, CourseState, Event, Fact, Flag, RecordType, Status
from schedule.domain.options import PlanOptions
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.engine.calendar import build_calendar, dose_decisions
from schedule.engine.clinic import flag_clinic_days
from schedule.engine.modify import Decision
from schedule.engine.resume import Lean, build_lean

_WAITING = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


@dataclass(frozen=True)
class CourseView:
    """A course with its records and its calendar as of a date."""

    patient: Patient
    course: Course
    records: tuple[Record, ...]
    events: tuple[Event, ...]
    regimen: Regimen

    @cached_property
    def standing(self) -> list[Record]:
        """The records that stand (none marked entered-in-error)."""
        return effective(self.records)

    @property
    def discontinued(self) -> date | None:
        for record in self.standing:
            if record.type is RecordType.DISCONTINUED:
                return record.day
        return None

    @property
    def on_hold(self) -> bool:
        return self.hold_began is not None

    @property
    def hold_began(self) -> date | None:
        """The day the open hold began; None when the course is not on hold."""
        began = None
        for record in self.standing:
            if record.type is RecordType.HOLD:
                began = record.day
            elif record.type is RecordType.RESUME:
                began = None
        return began

    @property
    def state(self) -> CourseState:
        """Where the course stands: discontinued, on hold, completed (nothing of any kind still
        waits), else active (`prrt patient list`'s state, the FHIR CarePlan's status)."""
        if self.discontinued is not None:
            return CourseState.DISCONTINUED
        if self.on_hold:
            return CourseState.ON_HOLD
        if not any(e.status in _WAITING for e in self.events):
            return CourseState.COMPLETED
        return CourseState.ACTIVE

    @property
    def active(self) -> bool:
        """Something of the course is still to be done: a dose, lab or scan waiting."""
        return any(e.kind.recordable and e.status in _WAITING for e in self.events)

    def decisions(self, settings: Settings, as_of: date | None) -> dict[str, Decision]:
        """Why each dose is expected at its amount, and the stop rules met, by dose key."""
        return dose_decisions(
            self.regimen,
            self.course.start,
            facts_of(self.records),
            as_of=as_of,
            options=self.course.options,
            settings=settings,
        )

    def event(self, key: str) -> Event | None:
        """The event of this key, in any case (`PRRT-2` is `prrt-2`)."""
        for event in self.events:
            if event.key == key:
                return event
        folded = key.casefold()
        for event in self.events:
            if event.key.casefold() == folded:
                return event
        return None


def _others_ssa(
    course: Course, courses: Sequence[Course], built: Mapping[int, Sequence[Event]]
) -> list[date]:
    """The days of the long-acting SSA injections the patient's other courses plan or gave."""
    return [
        e.effective_date for c in courses if c.id != course.id for e in built[c.id] if _live_ssa(e)
    ]


def course_views(
    catalog: Catalog,
    settings: Settings,
    patient: Patient,
    courses: Sequence[Course],
    records: Mapping[int, Sequence[Record]],
    as_of: date | None,
    informational: bool = True,
    until: date | None = None,
    facts: Mapping[int, Sequence[Fact]] | None = None,
    *,
    closures: Closures | None = None,
    crowded: frozenset[date] = frozenset(),
    cutoff: date | None = None,
    lean: bool = False,
    memo: Memo | None = None,
) -> list[CourseView]:
    """Calendars of one patient's courses; SSA from each course counts in the others'.
    `facts`, when given, are the courses' facts already read (`Tx.facts`), and `records`
    may then be empty. `closures` (the clinic's closed days) and `crowded` (days over the
    clinic's capacity) flag what falls on them (`engine.clinic`). `cutoff`: nothing planned
    after it is wanted (a worklist's horizon); with several courses it moves out by the spans
    over which one course's injections flag another's, so the flags stay as they would be.
    `lean`: a calendar to check a record against (see `Context.lean`). `memo`: calendars
    already built in this pass, kept by what they are built from (`Memo`)."""
    if cutoff is not None and len(courses) > 1:
        cutoff += timedelta(days=_flag_reach(catalog, settings, courses))

    build = _Builder(catalog, settings, patient, as_of, informational, until, cutoff, lean, memo)

    def calendar(course: Course, other_ssa: Sequence[date] = ()) -> tuple[Event, ...]:
        known = (
            facts.get(course.id, ()) if facts is not None else facts_of(records.get(course.id, []))
        )
        return build.calendar(course, known, other_ssa)

    built = {c.id: calendar(c) for c in courses}
    if len(courses) > 1:
        for course in courses:
            others = _others_ssa(course, courses, built)
            if others and catalog.get(course.regimen).ssa is not None:
                built[course.id] = calendar(course, others)
        built = _across_courses(catalog, settings, courses, built)
    if closures or crowded:
        built = {i: flag_clinic_days(events, closures, crowded) for i, events in built.items()}
    return [
        CourseView(patient, c, tuple(records.get(c.id, [])), built[c.id], catalog.get(c.regimen))
        for c in courses
    ]


@dataclass(frozen=True, slots=True)
class _Builder:
    """How `course_views` builds each course's calendar: from the memo when it has one of
    the same key, else by the engine (kept in the memo)."""

    catalog: Catalog
    settings: Settings
    patient: Patient
    as_of: date | None
    informational: bool
    until: date | None
    cutoff: date | None
    lean: bool
    memo: Memo | None

    def calendar(
        self, course: Course, known: Sequence[Fact], other_ssa: Sequence[date]
    ) -> tuple[Event, ...]:
        if self.memo is None:
            return self.build(course, known, other_ssa)
        key = _memo_key(course, self.patient, known, other_ssa, self.cutoff)
        events = self.memo.get(key)
        if events is None:
            events = self.memo[key] = self.build(course, known, other_ssa)
        return events

    def build(
        self, course: Course, known: Sequence[Fact], other_ssa: Sequence[date]
    ) -> tuple[Event, ...]:
        options = _options(
            course.interval_days, course.calendar_month, course.precautions, self.until
        )
        return build_calendar(
            self.catalog.get(course.regimen),
            course.start,
            known,
            as_of=self.as_of,
            options=options,
            settings=self.settings,
            other_ssa=other_ssa,
            informational=self.informational,
            cutoff=self.cutoff,
            lean=self.lean,
            pregnancy_test=self.patient.pregnancy_test,
        )


def lean_view(
    catalog: Catalog,
    settings: Settings,
    patient: Patient,
    course: Course,
    records: Sequence[Record],
    facts: Sequence[Fact],
    as_of: date,
    end: date | None,
    memo: MutableMapping[tuple[object, ...], Lean],
    keys: Sequence[tuple[object, ...]] | None = None,
    after: Lean | None = None,
) -> tuple[CourseView, Lean]:
    """The view `course_views` gives of a patient's only course with `records` (`facts`
    theirs), lean, built until and cut off at `end`, through `memo`, and how its calendar was
    built: an import checks each of its rows against one (`tracking.transfer`), so this one
    is made without the set-up `course_views` makes for any number of courses (the same
    calendar, kept by the same key), and built from `after`, the course's lean calendar with
    one record less, where that gives the same (`engine.resume`). `keys`: the facts'
    `fact_key`s, when the caller keeps them as it adds facts."""
    key = _memo_key(course, patient, facts, (), end, keys)
    regimen = catalog.get(course.regimen)
    lean = memo.get(key)
    if lean is None:
        options = _options(course.interval_days, course.calendar_month, course.precautions, end)
        lean = memo[key] = build_lean(
            regimen, course.start, facts, as_of=as_of, options=options, settings=settings,
            cutoff=end, pregnancy_test=patient.pregnancy_test, after=after,
        )  # fmt: skip
    return CourseView(patient, course, tuple(records), lean.events, regimen), lean


# Calendars built in one pass over many patients (a worklist, an import's checks), by what each
# is built from besides what the pass holds the same for all (`_memo_key`). Any mapping: an
# import keeps only the latest few hundred.
Memo = MutableMapping[tuple[object, ...], tuple[Event, ...]]


def _memo_key(
    course: Course,
    patient: Patient,
    facts: Sequence[Fact],
    other_ssa: Sequence[date],
    cutoff: date | None,
    keys: Sequence[tuple[object, ...]] | None = None,
) -> tuple[object, ...]:
    """What a course's calendar is built from besides the pass's catalog, settings, as-of
    day, `until`, `informational` and `lean`: `build_calendar` is a pure function of them, so
    two courses with equal keys have equal calendars. Each fact counts by its fields, its
    type by its value and its amount by its text, its value as written and its unit
    (quantities compare by value: 7.4 equals 7.40, and a calendar shows the amount as
    recorded). Plain values: a key is made for every course, and an enumeration or a
    quantity hashes in Python, their texts in C. `keys`: the facts' `fact_key`s, when the
    caller has them already."""
    return (
        course.regimen, course.start, course.interval_days, course.calendar_month,
        course.precautions, patient.pregnancy_test, cutoff, tuple(other_ssa),
        *([fact_key(f) for f in facts] if keys is None else keys),
    )  # fmt: skip


def fact_key(f: Fact) -> tuple[object, ...]:
    """What a fact counts by in a memo key (`_memo_key`)."""
    if f.dose is None:
        return (f.type._value_, *f[1:3], *f[4:])
    return (f.type._value_, *f[1:3], *f[4:], f.dose.text, str(f.dose.value), f.dose.unit)


@lru_cache(maxsize=4096)
def _options(
    interval_days: int | None, calendar_month: bool, precautions: str | None, until: date | None
) -> PlanOptions:
    """A course's choices (`Course.options`) with the projection ending on `until`, kept by
    their plain values (most courses share them; an import asks for every row)."""
    return PlanOptions(interval_days, calendar_month, precautions, until)


def _flag_reach(catalog: Catalog, settings: Settings, courses: Sequence[Course]) -> int:
    """The most days apart that an event of one course can flag one of another course
    (`_across_courses`: the washout before a dose, the minimum interval between injections)."""
    washouts = [r.ssa.washout_days for r in map(catalog.get, {c.regimen for c in courses}) if r.ssa]
    return max([settings.ssa_min_interval_days, *washouts])


def _live_ssa(event: Event) -> bool:
    """A long-acting SSA injection that happened or still will."""
    return event.series in SSA_SERIES and event.status not in (Status.SKIPPED, Status.CANCELLED)


def _across_courses(
    catalog: Catalog,
    settings: Settings,
    courses: Sequence[Course],
    built: dict[int, tuple[Event, ...]],
) -> dict[int, tuple[Event, ...]]:
    """Flags on a course's own SSA injections that only the patient's other courses explain:
    `ssa-washout-conflict` inside the washout before another course's PRRT dose (L15, L19),
    and `duplicate-ssa` when two courses plan long-acting SSA closer together than the site's
    minimum interval between injections."""
    ssa = {c.id: [(e.key, e.effective_date) for e in built[c.id] if _live_ssa(e)] for c in courses}
    doses = {}
    for c in courses:
        regimen = catalog.get(c.regimen)
        if regimen.ssa is not None:
            days = [
                e.effective_date
                for e in built[c.id]
                if e.series == regimen.dose.series
                and e.status not in (Status.SKIPPED, Status.CANCELLED)
            ]
            doses[c.id] = (regimen.ssa.washout_days, days)
    out = {}
    for course in courses:
        adds: dict[str, list[Flag]] = {}
        for key, day in ssa[course.id]:
            for other, (washout, days) in doses.items():
                if other != course.id and any(0 < (d - day).days < washout for d in days):
                    adds.setdefault(key, []).append(Flag.SSA_WASHOUT_CONFLICT)
                    break
            for twin in courses:
                if twin.id != course.id and any(
                    abs((d - day).days) < settings.ssa_min_interval_days for _, d in ssa[twin.id]
                ):
                    adds.setdefault(key, []).append(Flag.DUPLICATE_SSA)
                    break
        out[course.id] = tuple(
            e._replace(flags=_merged(e.flags, adds[e.key])) if e.key in adds else e
            for e in built[course.id]
        )
    return out


def _merged(flags: tuple[Flag, ...], more: list[Flag]) -> tuple[Flag, ...]:
    return (*flags, *(f for f in more if f not in flags))
