"""What patients' calendars remember between changes: each event's SEQUENCE and LAST-MODIFIED.

RFC 5545 wants SEQUENCE to rise whenever an event's date, time or status changes, and never to
fall. What every form of a calendar shows of an event (in any language, with either titles, with
or without the patient's name) is summed up as its `State`. The store keeps, for each UID, the
state last remembered, its SEQUENCE and when it changed (`tx.published`). Only a transaction that
changes a schedule writes it (`CalendarWatch`, installed on the store by the application: a
record, a hold, a new course, an import, an edit of the patient); reading never does. A feed
request, an `ics` export or a folder derives each event's revision from the memory and the
state as of its day (`served`), so every reader, on every machine, derives the same bytes:

- the same state as remembered: the remembered SEQUENCE and time;
- the day alone changes two things without anyone recording anything: an event reads "not done
  yet" once its day is past (`late`), and events wait behind a late dose (`waiting`). Each adds
  one to SEQUENCE, stamped at the start (UTC) of the day it happened;
- anything else the memory does not explain (the site's settings or regimens changed, a store
  written without the watch) adds one and keeps the remembered time.

The language the patient reads (theirs, else the site's) is part of the state (a feed follows
it), and so is the appointment time; the language or titles a link or an export asks for are
not.

A write remembers each event's state as of its own day: an event that reads as it was served
just before the write keeps its revision; one that changed gets that SEQUENCE plus one, stamped
with the write's time. A write of many patients (an import) remembers each course, not each
event, until a write of a few learns their states again (`CalendarWatch`): readers derive the
events' revisions from that mark exactly as they would from rows (`Remembered`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from schedule.calendars.ical import Revision
from schedule.calendars.site import site_digest
from schedule.calendars.states import LATE_MARK, WAITING_MARK, State
from schedule.calendars.states import Shown as Shown
from schedule.calendars.states import shown_events as shown_events
from schedule.calendars.states import state_of as state_of
from schedule.domain.course import Course, Patient, Record
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.store.parallel import iter_slices
from schedule.store.published import UNKNOWN as UNKNOWN  # the memory's word, kept by the store
from schedule.store.published import Change, PublishedEvent, Remembered

if TYPE_CHECKING:
    from schedule.store.transaction import Tx

# `UNKNOWN` (the store's, "?:LW"): the state of an event whose state an import forgot; it
# equals no state (a state's base is hexadecimal), so every reader serves it as changed, one
# more than remembered; with both marks set, the day adds nothing to it.
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # the time of an event no write ever remembered


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def served(stored: PublishedEvent | None, state: State, origin: datetime = ORIGIN) -> Revision:
    """The revision an event in `state` is shown with, from what the store remembers of it
    (`stored`; None: nothing, and then `origin` is its time). See the module."""
    if stored is None:
        sequence, modified, marks, changed = 0, origin, "", False
    else:
        base, _, marks = stored.fingerprint.partition(":")
        sequence, modified = stored.sequence, stored.modified
        changed = (
            base != state.base
            or (LATE_MARK in marks and state.late is None)
            or (WAITING_MARK in marks and state.waiting is None)
        )
    for mark, day in ((LATE_MARK, state.late), (WAITING_MARK, state.waiting)):
        if day is not None and mark not in marks:
            sequence += 1
            modified = max(modified, _midnight(day))
    return Revision(sequence + changed, modified)


def origins(shown: Iterable[Shown], last: Remembered) -> dict[int, datetime]:
    """Each course's latest remembered time: the time of its events that no write remembered
    (new ones of an open-ended series, shown as the horizon moves)."""
    out: dict[int, datetime] = {}
    for item in shown:
        stored = last.events.get(item.uid)
        if stored is not None and stored.modified > out.get(item.course_id, ORIGIN):
            out[item.course_id] = stored.modified
    return out


def recalled(last: Remembered, item: Shown, site: str) -> PublishedEvent | None:
    """What is remembered of an event shown (`Remembered.of`). An event of a course an import
    of many patients added (a roster's) without a row reads as remembered at the import's
    time as it read on its day, the marks the day had set by then included: as the import
    would have stored it, had it built the calendar; a base no state has (a change) when the
    site's calendars are no longer made as then (`site`: `site.site_digest` now)."""
    stored = last.of(item.uid, item.course_id)
    if stored is None:
        mark = last.marks.get(item.course_id)
        if mark is not None and mark.blank is None:
            day, late, waiting = mark.day, item.state.late, item.state.waiting
            then = State(
                item.state.base if mark.site == site else "",
                late if late is not None and item.event.end < day else None,  # late then too
                waiting if waiting is not None and waiting <= day else None,
            )
            return PublishedEvent(0, then.stored, mark.at)
    return stored


def revisions(shown: Sequence[Shown], last: Remembered, site: str) -> list[Revision]:
    """The revision of each event shown, in order (`served`; `site`: `recalled`)."""
    start, rows = origins(shown, last), last.events
    return [
        served(rows.get(s.uid) or recalled(last, s, site), s.state, start.get(s.course_id, ORIGIN))
        for s in shown
    ]


# -- remembering, in the transaction that changes a schedule ----------------------------------

Before = dict[str, dict[str, tuple[State, Revision]]]  # patient -> uid -> as served before
MANY = 50  # patients in one write (an import): read at once, built over the cores, no `before`


class CalendarWatch:
    """Remembers what the calendars of the patients a write transaction changes show, in that
    transaction (`Store.watch`): `before` is called when a transaction first touches a patient,
    `after` just before it commits. `today` and `now` read the application's clock; `workers`
    processes build the calendars of a write that touches many patients.

    A write of one or a few patients (a record, a hold, an edit) builds their calendars before
    it as well, so that an event that changed gets exactly one more than it was served with. A
    write of many (an import) builds nothing and writes a row per course, not per event
    (`Mark`, `PublishedMemory.forget`, `mark_new`):

    - the courses the memory already holds forget their events' states: each remembered event
      reads as `UNKNOWN` with the most any reader could have been served from the memory (the
      memory's SEQUENCE, one for a change, one for each mark the day could have set since), so
      every reader serves it one more than that, stamped with the write's time; an event of
      them without a row (nobody remembered it) reads as the most it can have been served (0
      and one for each mark: 2; of a course marked new, one more for a change of the site)
      plus one. Whether it changed or not, a rise, never a fall.
    - a course the memory lacks (a roster import's) stores nothing: nobody was served any of
      its events, so each reads as the write would have remembered it (`recalled`).

    The next write of a few patients learns the states again, keeping what was served: it
    stores every event its calendars show, and the remembered events they no longer show as
    they read (forgotten); a marked course then reads from its rows again, its events without
    a row still as the most they can have been served plus one."""

    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        today: Callable[[], date],
        now: Callable[[], datetime],
        workers: int = 1,
    ) -> None:
        self.catalog = catalog
        self.settings = settings
        self.today = today
        self.now = now
        self.workers = workers

    @cached_property
    def site(self) -> str:
        return site_digest(self.settings, self.catalog)

    def before(self, tx: Tx, patient_ids: Sequence[str]) -> Before:
        """How each patient's calendar is served now, before the transaction changes it."""
        if len(patient_ids) > MANY:
            return {}
        snapshot = _read(tx, patient_ids)
        shown = self._shown(snapshot, 0, len(snapshot.patients), self.today())
        return {
            pid: {
                s.uid: (s.state, r)
                for s, r in zip(items, revisions(items, snapshot.last, self.site), strict=True)
            }
            for pid, items in shown.items()
        }

    def after(self, tx: Tx, before: Before) -> None:
        """Remember each touched patient's events as they read now (see the class)."""
        if not before:
            return
        now, today = self.now(), self.today()
        if len(before) > MANY:
            before = _forget(tx, before, now, today, self.site)
            if not before:
                return
        snapshot = _read(tx, list(before))
        marked = snapshot.last.marks

        def task(low: int, high: int) -> tuple[dict[str, Change], list[int]]:
            changes: dict[str, Change] = {}
            learned: list[int] = []  # marked courses whose every event shown is stored now
            for pid, items in self._shown(snapshot, low, high, today).items():
                said = before.get(pid, {})
                changes.update(_remembered(items, said, snapshot.last, now, self.site))
                learned += [c.id for c in snapshot.courses.get(pid, []) if c.id in marked]
            return changes, learned

        changes: dict[str, Change] = {}
        learned: list[int] = []
        count = len(snapshot.patients)
        workers = self.workers if count > MANY else 1
        for part, courses in iter_slices(task, None, count, workers, 500):
            changes.update(part)
            learned += courses
        tx.published.save_learned(changes, snapshot.last, learned)

    def _shown(
        self, snapshot: _Snapshot, low: int, high: int, today: date
    ) -> dict[str, list[Shown]]:
        """The events of the snapshot's patients `low` to `high` as shown on `today`."""
        shown: dict[str, list[Shown]] = {}
        for patient in snapshot.patients[low:high]:
            courses = snapshot.courses.get(patient.id, [])
            try:
                shown[patient.id] = shown_events(
                    self.catalog, self.settings, snapshot.namespace, patient, courses,
                    snapshot.records, today,
                )  # fmt: skip
            except (OverflowError, ValueError):
                continue  # a calendar that cannot be computed is remembered by no one
        return shown


def _remembered(
    items: Sequence[Shown],
    served_before: dict[str, tuple[State, Revision]],
    last: Remembered,
    now: datetime,
    site: str,
) -> dict[str, Change]:
    """What the store must learn of one patient's events, as they read now (`CalendarWatch`)."""
    changes: dict[str, Change] = {}
    start = origins(items, last)
    for item in items:
        stored = recalled(last, item, site)
        prior = served_before.get(item.uid)
        text = item.state.stored
        if prior is not None and prior[0].stored == text:
            revision = prior[1]
        elif prior is not None:
            revision = Revision(prior[1].sequence + 1, now)
        elif stored is not None and _only_the_day(stored, item.state):
            revision = served(stored, item.state, start.get(item.course_id, ORIGIN))
        elif stored is not None:
            revision = Revision(_most(stored) + 1, now)
        else:
            revision = Revision(0, now)
        remembered = PublishedEvent(revision.sequence, text, revision.modified)
        if stored != remembered:
            changes[item.uid] = Change(item.course_id, remembered)
    return changes


def _only_the_day(stored: PublishedEvent, state: State) -> bool:
    """Whether `state` differs from what is remembered by what the day alone sets, if at all:
    then every reader was served it as `served` derives it, and that is kept."""
    base, _, marks = stored.fingerprint.partition(":")
    return (
        base == state.base
        and (LATE_MARK not in marks or state.late is not None)
        and (WAITING_MARK not in marks or state.waiting is not None)
    )


def _most(stored: PublishedEvent) -> int:
    """The highest SEQUENCE any reader can have been served from `stored` (`served`)."""
    _, _, marks = stored.fingerprint.partition(":")
    return stored.sequence + 1 + (LATE_MARK not in marks) + (WAITING_MARK not in marks)


def _forget(tx: Tx, before: Before, now: datetime, today: date, site: str) -> Before:
    """A write of many patients (an import): the courses of the patients nothing was built for
    before it forget their events' states, or are marked as new, a row per course however
    many events (`PublishedMemory.forget_courses`). What is left to build: the patients with a
    `before`."""
    alone = {pid for pid, said in before.items() if not said}
    by_patient = tx.courses_by_patient()
    ids = [c.id for p in alone for c in by_patient.get(p, [])]
    tx.published.forget_courses(ids, now, today, site)
    return {pid: said for pid, said in before.items() if said}


class _Snapshot(NamedTuple):
    """What the watch reads of the touched patients, in the write transaction."""

    patients: list[Patient]
    courses: dict[str, list[Course]]
    records: dict[int, list[Record]]
    last: Remembered
    namespace: str


def _read(tx: Tx, patient_ids: Sequence[str]) -> _Snapshot:
    """The patients, their courses and records, and what the store remembers of them."""
    if len(patient_ids) > MANY:  # read everyone at once, not one by one
        wanted = set(patient_ids)
        patients = [p for p in tx.patients() if p.id in wanted]
        by_patient = {k: v for k, v in tx.courses_by_patient().items() if k in wanted}
    else:
        patients = [p for p in (tx.patient(pid) for pid in patient_ids) if p is not None]
        by_patient = {p.id: tx.courses(p.id) for p in patients}
    ids = [c.id for courses in by_patient.values() for c in courses]
    if not ids:
        return _Snapshot([], {}, {}, Remembered({}, {}), "")
    records = tx.records(ids)
    last = tx.published.remembered(ids)
    return _Snapshot(patients, by_patient, records, last, tx.published.namespace())
