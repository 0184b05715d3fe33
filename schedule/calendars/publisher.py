"""Publishing patients' calendars. SEQUENCE is kept in the store (`tx.published`), so it rises
whenever an event changes and never falls, whoever publishes.

Every calendar also has a key: a hash of everything it is built from (the site's settings and
regimens, the patient, the courses, how many records each course has, each course's publication
revision, the day). Same key, same calendar: the folder export leaves the file alone without
building anything. A calendar's ETag is a hash of its text instead, so a new day that changes
nothing in it (most days: see `settled.py`) changes no ETag either.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import NamedTuple

from schedule import __version__
from schedule.calendars.bodies import Bodies, Uids
from schedule.calendars.entries import course_entries, head
from schedule.calendars.ical import Head, Revision, revise, write_calendar
from schedule.domain.course import Course, Patient, Record
from schedule.domain.errors import StoreError
from schedule.domain.model import Event
from schedule.domain.pregnancy import hidden_from
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.i18n import ENGLISH, LANGUAGES, Catalogue, catalogue
from schedule.patientview.appointment import Appointment, appointment
from schedule.patientview.settled import settled_courses
from schedule.patientview.titles import Titles
from schedule.store.database import Store
from schedule.store.published import Change, PublishedEvent
from schedule.store.transaction import Tx

FORMAT = 2  # raise when what a calendar says changes shape: every key changes with it


class BuiltEvent(NamedTuple):
    """One event of a calendar as built, before its SEQUENCE is known."""

    uid: str
    course_id: int
    fingerprint: str
    body: str


@dataclass(frozen=True)
class Built:
    """A patient's calendar before SEQUENCE: its head and its events."""

    patient_id: str
    head: Head
    events: tuple[BuiltEvent, ...]
    changed: bool  # against what was published when it was built


@dataclass(frozen=True)
class Published:
    """A patient's calendar text, and the courses whose publication revision it raised."""

    text: str
    revisions: dict[int, int]
    modified: datetime | None = None  # the latest LAST-MODIFIED of its events


@dataclass(frozen=True)
class Calendar:
    """A calendar as published: its text, its key (a strong ETag) and how many events."""

    patient_id: str
    text: str
    key: str
    events: int
    modified: datetime | None = None  # the latest LAST-MODIFIED of its events (HTTP's too)

    @property
    def etag(self) -> str:
        """A strong ETag: a hash of the text, so it changes only when the calendar does."""
        return f'"{hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:32]}"'


@dataclass(frozen=True)
class Snapshot:
    """What the keys are computed from, read in one transaction."""

    namespace: str
    patients: list[Patient]
    courses: dict[str, list[Course]]
    marks: dict[int, tuple[int, int]]
    revisions: dict[int, int]


def site_digest(settings: Settings, catalog: Catalog) -> str:
    """A hash of the code's version, the site's settings and its regimens."""
    return digest(FORMAT, __version__, settings, catalog)


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


@dataclass
class Publisher:
    """Builds and publishes calendars as of `today`, stamped `now` (both from the caller)."""

    store: Store
    catalog: Catalog
    settings: Settings
    today: date
    now: datetime
    with_name: bool = False
    known_site_digest: str | None = field(default=None, repr=False)
    titles: Titles | None = None  # None: the site's choice (`calendar_titles`)
    lang: str | None = None  # None: each patient's language, else the site's (`site.lang`)

    @cached_property
    def site_digest(self) -> str:
        return self.known_site_digest or site_digest(self.settings, self.catalog)

    def titles_for(self, titles: Titles | None = None) -> Titles:
        """The titles asked for this time, else the publisher's, else the site's."""
        return titles or self.titles or Titles(self.settings.calendar_titles)

    def words(self, patient: Patient) -> Catalogue:
        """The patient's catalogue: the one asked for this time, else the patient's language,
        else the site's; read once per language and publisher. A language stored before
        prrt offered it (`it`) is passed over."""
        asked = (self.lang, patient.lang, self.settings.lang)
        lang = next((x for x in asked if x in LANGUAGES), ENGLISH)
        if lang not in self._catalogues:
            self._catalogues[lang] = catalogue(lang, self.settings)
        return self._catalogues[lang]

    @cached_property
    def _catalogues(self) -> dict[str, Catalogue]:
        return {}

    def _bodies_for(self, titles: Titles, words: Catalogue) -> Bodies:
        """The event bodies of one kind of titles and one language, kept for the publisher's
        life: each patient's calendar reuses what the ones before it said."""
        found = self._bodies.get((titles, words.lang))
        if found is None or found.lang is not words:
            found = self._bodies[titles, words.lang] = Bodies(self.settings, titles, words)
        return found

    @cached_property
    def _bodies(self) -> dict[tuple[Titles, str], Bodies]:
        return {}

    def key(
        self,
        snapshot: Snapshot,
        patient: Patient,
        with_name: bool | None = None,
        titles: Titles | None = None,
    ) -> str:
        marks, revisions = snapshot.marks, snapshot.revisions
        state = [
            (c.id, c.number, c.regimen, c.start.toordinal(), c.interval_days, c.calendar_month,
             c.precautions, marks.get(c.id), revisions.get(c.id))
            for c in snapshot.courses.get(patient.id, ())
        ]  # fmt: skip
        named = self.with_name if with_name is None else with_name
        who = (patient.id, patient.name, patient.tz, patient.time)
        shown = self.titles_for(titles).value
        words = self.words(patient)  # its files' times: a site's new wording changes the key
        said = (words.lang, words.sources)
        return digest(
            self.site_digest, snapshot.namespace, self.today, named, shown, who, said, state
        )

    # -- reading ------------------------------------------------------------------------------

    def snapshot(
        self, tx: Tx, patient_id: str | None = None, namespace: str | None = None
    ) -> Snapshot:
        """What the keys are computed from. `namespace`: the UID namespace when already known
        (it never changes once a database has one), which saves a query."""
        if patient_id is None:
            patients = tx.patients()
            courses = tx.courses_by_patient()
            ids: list[int] | None = None
        else:
            patients = [tx.require_patient(patient_id)]
            courses = {patient_id: tx.courses(patient_id)}
            ids = [c.id for c in courses[patient_id]]
        return Snapshot(
            namespace or tx.published.namespace(),
            patients,
            dict(courses),
            tx.published.record_marks(ids),
            tx.published.revisions(ids),
        )

    # -- building -----------------------------------------------------------------------------

    def build(
        self,
        snapshot: Snapshot,
        patients: Sequence[Patient],
        records: dict[int, list[Record]],
        last: dict[str, PublishedEvent],
        with_name: bool | None = None,
        titles: Titles | None = None,
        alone: bool = False,
    ) -> list[Built]:
        """The patients' calendars before SEQUENCE. A calendar that cannot be computed from
        what is stored is left out (a folder keeps the file it had, and says so), or is an
        error when it is the one calendar asked for (`alone`)."""
        named = self.with_name if with_name is None else with_name
        shown = self.titles_for(titles)
        out = []
        for patient in patients:
            courses = snapshot.courses.get(patient.id, [])
            try:
                settled = settled_courses(
                    self.catalog, self.settings, patient, courses, records, self.today
                )
            except (OverflowError, ValueError):
                if alone:
                    raise StoreError(
                        f"the calendar of {patient.id} cannot be computed from what is stored "
                        "(a date out of range); check its courses' dates"
                    ) from None
                continue
            slot = appointment(patient)
            words = self.words(patient)
            bodies = self._bodies_for(shown, words)
            events: list[BuiltEvent] = []
            changed = False
            for course in settled:
                view = course.view
                course_id = view.course.id
                regimen = self.catalog.get(view.course.regimen)
                staff, provisional = hidden_from(regimen, patient), course.provisional
                uid_of = Uids(snapshot.namespace, course_id)
                body_of = bodies.course(regimen, slot)
                for event in view.events:
                    if event.series in staff:
                        continue
                    uid = uid_of(event.key)
                    body, mark = body_of(event, event.key in provisional)
                    before = last.get(uid)
                    changed = changed or before is None or before.fingerprint != mark
                    events.append(BuiltEvent(uid, course_id, mark, body))
            calendar_head = head(self.settings, patient, named, shown, words)
            out.append(Built(patient.id, calendar_head, tuple(events), changed))
        return out

    def build_slice(
        self,
        snapshot: Snapshot,
        patients: Sequence[Patient],
        with_name: bool | None = None,
        titles: Titles | None = None,
        alone: bool = False,
    ) -> list[Built]:
        ids = [c.id for p in patients for c in snapshot.courses.get(p.id, [])]
        with self.store.read() as tx:
            records = tx.records(ids)
            last = tx.published.last_published(ids)
        return self.build(snapshot, patients, records, last, with_name, titles, alone)

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, built: Sequence[Built]) -> dict[str, Published]:
        """Texts of the calendars with SEQUENCE and stamps from the store; the store learns what
        changed, in one transaction. The texts are written after it commits: the revisions are
        settled by then, and the store's lock is held no longer than the store needs it."""
        course_ids = sorted({e.course_id for b in built for e in b.events})
        if not any(b.changed for b in built):  # as built: a read is enough, unless it raced
            with self.store.read() as tx:
                last = tx.published.last_published(course_ids)
            revisions, changes = self._revise(built, last)
            if not changes:
                return self._texts(built, revisions, {})
        with self.store.write() as tx:
            tx.lock_courses(course_ids)
            last = tx.published.last_published(course_ids)
            revisions, changes = self._revise(built, last)
            bumped = tx.published.save_published(changes, last.keys())
        return self._texts(built, revisions, bumped)

    def _revise(
        self, built: Sequence[Built], last: dict[str, PublishedEvent]
    ) -> tuple[list[list[Revision]], dict[str, Change]]:
        """Each event's revision (`revise`), and the changes the store must learn."""
        revisions: list[list[Revision]] = []
        changes: dict[str, Change] = {}
        for item in built:
            revised: list[Revision] = []
            for uid, course_id, mark, _ in item.events:
                revision, changed = revise(uid, mark, last, self.now)
                if changed:
                    published = PublishedEvent(revision.sequence, mark, revision.modified)
                    changes[uid] = Change(course_id, published)
                revised.append(revision)
            revisions.append(revised)
        return revisions, changes

    def _texts(
        self, built: Sequence[Built], revisions: list[list[Revision]], bumped: dict[int, int]
    ) -> dict[str, Published]:
        out: dict[str, Published] = {}
        for item, revised in zip(built, revisions, strict=True):
            events = [
                (event.uid, revision, event.body)
                for event, revision in zip(item.events, revised, strict=True)
            ]
            courses = sorted({e.course_id for e in item.events})
            out[item.patient_id] = Published(
                write_calendar(item.head, events),
                {c: bumped[c] for c in courses if c in bumped},
                max((r.modified for r in revised), default=None),
            )
        return out

    # -- one patient --------------------------------------------------------------------------

    def patient(
        self,
        patient_id: str,
        with_name: bool | None = None,
        titles: Titles | None = None,
        namespace: str | None = None,
    ) -> Calendar:
        """Publish one patient's calendar (all courses)."""
        with self.store.read() as tx:
            snap = self.snapshot(tx, patient_id, namespace)
        built = self.build_slice(snap, snap.patients, with_name, titles, alone=True)
        published = self.publish(built)[patient_id]
        snap.revisions.update(published.revisions)
        return Calendar(
            patient_id,
            published.text,
            self.key(snap, snap.patients[0], with_name, titles),
            len(built[0].events),
            published.modified,
        )


def plan_calendar(
    regimen: Regimen,
    start: date,
    events: Iterable[Event],
    settings: Settings,
    now: datetime,
    slot: Appointment | None = None,
    titles: Titles | None = None,
    namespace: str | None = None,
    lang: str | None = None,
) -> str:
    """A calendar for a plan not yet stored: nothing was published before, so every SEQUENCE
    is 0. UIDs are a hash of a namespace drawn at random for each export (`namespace` pins it)
    and the event key: two exports never share a UID, and a UID says nothing of the plan.
    `lang`: the language of its words (None: the site's)."""
    shown = titles or Titles(settings.calendar_titles)
    words = catalogue(lang, settings)
    entries = course_entries(
        namespace or plan_namespace(), (), events, regimen, settings, slot, shown, lang=words
    )
    revision = Revision(0, now)
    return write_calendar(
        head(settings, None, False, shown, words),
        ((uid, revision, e.body()) for uid, e in entries),
    )


def plan_namespace() -> str:
    """A fresh random UID namespace for one export of a plan (128 bits)."""
    return secrets.token_hex(16)
