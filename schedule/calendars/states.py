"""What every form of a patient's calendar shows of each event, summed up as its `State` (see
`memory.py`, which remembers it): the events shown as of a day, each with its state."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from schedule.calendars.bodies import Uids
from schedule.calendars.entries import LATE
from schedule.domain.course import Course, Patient, Record
from schedule.domain.model import Event, Status
from schedule.domain.pregnancy import hidden_from
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.i18n import ENGLISH, LANGUAGES
from schedule.patientview.appointment import Appointment, appointment
from schedule.patientview.settled import settled_courses

LATE_MARK, WAITING_MARK = "L", "W"
_ONE_DAY = timedelta(days=1)
_SHOWN_AS = {Status.SKIPPED: "cancelled", Status.CANCELLED: "cancelled", Status.HELD: "held"}


class State(NamedTuple):
    """What every form of a calendar shows of one event: `base`, a hash of all of it but the two
    marks the day alone sets, and the first day of each of those marks (None: not set)."""

    base: str
    late: date | None  # the first day it read "not done yet"
    waiting: date | None  # the first day it waited behind a late dose

    @property
    def stored(self) -> str:
        """As the store keeps it (its `fingerprint` column): the base, then the marks set."""
        marks = (LATE_MARK if self.late else "") + (WAITING_MARK if self.waiting else "")
        return f"{self.base}:{marks}"


class Shown(NamedTuple):
    """One event of a patient's calendar: its UID, course, the event as shown (settled), whether
    it waits behind a late dose, and its state."""

    uid: str
    course_id: int
    event: Event
    provisional: bool
    state: State


def shown_events(
    catalog: Catalog,
    settings: Settings,
    namespace: str,
    patient: Patient,
    courses: Sequence[Course],
    records: Mapping[int, Sequence[Record]],
    today: date,
) -> list[Shown]:
    """The events a patient's calendar shows as of `today`, in order, with their states."""
    slot = appointment(patient)
    lang = next((x for x in (patient.lang, settings.lang) if x in LANGUAGES), ENGLISH)
    out: list[Shown] = []
    for course in settled_courses(catalog, settings, patient, courses, records, today):
        course_id = course.view.course.id
        regimen = catalog.get(course.view.course.regimen)
        staff, main = hidden_from(regimen, patient), regimen.dose.series
        uid_of = Uids(namespace, course_id)
        for event in course.view.events:
            if event.series in staff:
                continue
            waiting = event.key in course.provisional
            timed = slot if event.series == main else None
            state = state_of(event, timed, course.since if waiting else None, today, lang)
            out.append(Shown(uid_of(event.key), course_id, event, waiting, state))
    return out


def state_of(
    event: Event, slot: Appointment | None, waiting: date | None, today: date, lang: str | None
) -> State:
    """The state of `event` as shown on `today` (`slot`: its appointment, when it has one;
    `lang`: the language the patient reads, theirs else the site's, which a feed follows unless
    a link asks for another: a change of it is a change of what the patient reads)."""
    at = f"{slot.at.isoformat()} {slot.zone.key}" if slot is not None else None
    parts = (
        event.key, event.kind.value, event.series, event.number, event.title,
        event.description, event.dose, _SHOWN_AS.get(event.status, ""), event.given_on,
        event.date, event.end, at, lang,
    )  # fmt: skip
    late = None
    if event.kind.recordable and event.status in LATE:
        late = min(today, event.date + _ONE_DAY)  # read so from the day after its day
    return State(_base(parts), late, waiting)


def _base(parts: tuple[object, ...]) -> str:
    """A hash of the parts as written out, each as its text (`str`: a date as its ISO form,
    whatever class made it), so that the same state gives the same hash in every process;
    values that compare equal but read differently are different states."""
    return _digest("\x1f".join("" if x is None else str(x) for x in parts))


@lru_cache(maxsize=65_536)
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
