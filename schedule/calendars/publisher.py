"""Building patients' calendars. Each event's SEQUENCE and LAST-MODIFIED come from what the
store remembers (`memory.py`), which only writes that change a schedule update: building a
calendar reads, and gives the same bytes in any process, however often it is asked.

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

from schedule.calendars.bodies import Bodies, BodyOf
from schedule.calendars.entries import course_entries, head
from schedule.calendars.ical import Revision, write_calendar
from schedule.calendars.memory import revisions, shown_events
from schedule.calendars.site import FORMAT as FORMAT
from schedule.calendars.site import digest
from schedule.calendars.site import site_digest as site_digest
from schedule.domain.course import Course, Patient, Record
from schedule.domain.errors import StoreError
from schedule.domain.model import Event
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.i18n import ENGLISH, LANGUAGES, Catalogue, catalogue
from schedule.patientview.appointment import Appointment, appointment
from schedule.patientview.titles import Titles
from schedule.store.database import Store
from schedule.store.published import Remembered
from schedule.store.transaction import Tx


@dataclass(frozen=True)
class Published:
    """A patient's calendar text, when it last changed (the latest LAST-MODIFIED of its events)
    and how many events it holds."""

    text: str
    modified: datetime | None
    events: int


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
            courses = {patients[0].id: tx.courses(patients[0].id)}
            ids = [c.id for c in courses[patients[0].id]]
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
        last: Remembered,
        with_name: bool | None = None,
        titles: Titles | None = None,
        alone: bool = False,
    ) -> dict[str, Published]:
        """The patients' calendars, each event's revision derived from what the store remembers
        (`memory.py`: building never writes). A calendar that cannot be computed from what is
        stored is left out (a folder keeps the file it had, and says so), or is an error when it
        is the one calendar asked for (`alone`)."""
        named = self.with_name if with_name is None else with_name
        shown_titles = self.titles_for(titles)
        out: dict[str, Published] = {}
        for patient in patients:
            courses = snapshot.courses.get(patient.id, [])
            try:
                shown = shown_events(
                    self.catalog, self.settings, snapshot.namespace, patient, courses, records,
                    self.today,
                )  # fmt: skip
            except (OverflowError, ValueError):
                if alone:
                    raise StoreError(
                        f"the calendar of {patient.id} cannot be computed from what is stored "
                        "(a date out of range); check its courses' dates"
                    ) from None
                continue
            slot = appointment(patient)
            words = self.words(patient)
            bodies = self._bodies_for(shown_titles, words)
            body_of: dict[int, BodyOf] = {}
            revised = revisions(shown, last, self.site_digest)
            events = []
            for item, revision in zip(shown, revised, strict=True):
                of = body_of.get(item.course_id)
                if of is None:
                    course = next(c for c in courses if c.id == item.course_id)
                    of = body_of[item.course_id] = bodies.course(
                        self.catalog.get(course.regimen), slot
                    )
                events.append((item.uid, revision, of(item.event, item.provisional)))
            calendar_head = head(self.settings, patient, named, shown_titles, words)
            out[patient.id] = Published(
                write_calendar(calendar_head, events),
                max((r.modified for r in revised), default=None),
                len(events),
            )
        return out

    def build_slice(
        self,
        snapshot: Snapshot,
        patients: Sequence[Patient],
        with_name: bool | None = None,
        titles: Titles | None = None,
        alone: bool = False,
    ) -> dict[str, Published]:
        """`build`, reading the patients' records and the store's memory of their calendars in
        one read transaction."""
        ids = [c.id for p in patients for c in snapshot.courses.get(p.id, [])]
        with self.store.read() as tx:
            records = tx.records(ids)
            last = tx.published.remembered(ids)
        return self.build(snapshot, patients, records, last, with_name, titles, alone)

    # -- one patient --------------------------------------------------------------------------

    def patient(
        self,
        patient_id: str,
        with_name: bool | None = None,
        titles: Titles | None = None,
        namespace: str | None = None,
    ) -> Calendar:
        """One patient's calendar (all courses), read in one transaction; nothing is written."""
        with self.store.read() as tx:
            snap = self.snapshot(tx, patient_id, namespace)
            patient_id = snap.patients[0].id  # as stored (the one asked for may differ in case)
            ids = [c.id for c in snap.courses[patient_id]]
            records = tx.records(ids)
            last = tx.published.remembered(ids)
        built = self.build(snap, snap.patients, records, last, with_name, titles, alone=True)
        published = built[patient_id]
        return Calendar(
            patient_id,
            published.text,
            self.key(snap, snap.patients[0], with_name, titles),
            published.events,
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
