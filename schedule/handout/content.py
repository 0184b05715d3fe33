"""What a handout (and the patient's page) says: the patient's events, in their words and
language, grouped by day, with what to do before each treatment visit.

The events are those of the patient's calendar, settled as it settles them
(`patientview/settled.py`): staff-only events (orders, cancellation deadlines) never appear, nor
do cancelled or skipped ones. A dose, blood test or scan not done by its day reads "Not done
yet"; what waits behind a late dose keeps its date, marked "to be confirmed", as in the
calendar.

Discreet or plain (`Titles`), as the calendar: what shows at a glance (the title of each row,
the timeline, the clinic's name) names no drug, therapy or clinic when discreet; the
instructions under each title, like an event's description in a calendar, keep the details the
patient needs to act on them.

Privacy: no patient ID (it can be a record number), no birth date, no diagnosis; the name only
when asked for (`with_name`), as in the calendar.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

from schedule.domain.course import Course, Patient, Record
from schedule.domain.model import Event, Kind, Status
from schedule.domain.pregnancy import hidden_from
from schedule.domain.regimen import Catalog, DoseKind, Regimen
from schedule.domain.settings import Settings
from schedule.patientview.appointment import Appointment, appointment
from schedule.patientview.links import Links
from schedule.patientview.settled import settled_courses
from schedule.patientview.titles import Titles, discreet_title
from schedule.patientview.wording import patient_words

if TYPE_CHECKING:
    from schedule.i18n import Catalogue

_GONE = (Status.SKIPPED, Status.CANCELLED)
_LATE = (Status.OVERDUE, Status.MISSED)
# A discreet title says only "Reminder": its instructions are what a step before a visit says.
_SAY_AGAIN = (Kind.REMINDER, Kind.DEADLINE)


class Mark(enum.Enum):
    """What became of an item, each with its own mark on the page, the handout and the
    timeline (`handout.mark_*` names it, `handout.legend` explains them)."""

    GIVEN = "given"  # given or done
    PLANNED = "planned"  # still to come (perhaps waiting for an earlier step)
    PAUSED = "paused"  # on hold, or waiting behind a dose on hold: a new date will come
    NOT_DONE = "not_done"  # its day has passed and nothing was recorded


class Lane(enum.Enum):
    """A row of the timeline picture."""

    DOSES = "doses"
    INJECTIONS = "injections"
    LABS = "labs"
    SCANS = "scans"
    PRECAUTIONS = "precautions"


@dataclass(frozen=True)
class Item:
    """One event as the patient reads it."""

    key: str
    kind: Kind
    lane: Lane | None
    first: date
    last: date
    title: str
    details: str
    notes: tuple[str, ...] = ()  # the appointment time, "not done yet", "done on ..."
    before: tuple[str, ...] = ()  # what to do before a treatment visit, with dates
    late: bool = False  # not done by its day: listed until the clinic records it
    mark: Mark = Mark.PLANNED


@dataclass(frozen=True)
class Day:
    day: date
    label: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class PassedStep:
    """A step listed before a visit still to come whose last day is before the handout's day:
    the patient cannot do it as printed (the coordinator is told)."""

    step: str  # its event key (ssa-washout-1)
    dose: str  # the dose it prepares (prrt-1)
    last: date  # its last day


@dataclass(frozen=True)
class Handout:
    lang: str
    heading: str
    name: str | None  # the patient's name, when asked for
    today: date
    items: tuple[Item, ...]  # every event, for the timeline
    days: tuple[Day, ...]  # from today on (and what is late), for the table
    contacts: tuple[Contact, ...]
    links: Links | None
    titles: Titles = Titles.DISCREET
    other: Links | None = None  # the same links with the other titles
    passed: tuple[PassedStep, ...] = ()  # steps listed whose last day has passed


def build(
    catalog: Catalog,
    settings: Settings,
    patient: Patient,
    courses: Sequence[Course],
    records: Mapping[int, Sequence[Record]],
    today: date,
    cat: Catalogue,
    titles: Titles,
    with_name: bool = False,
    feed: Links | None = None,
    other: Links | None = None,
) -> Handout:
    """The handout of `patient` as of `today`, in the language of `cat`."""
    # long: every event's words, notes, mark and steps before its visit, then the days
    items: list[Item] = []
    passed: list[PassedStep] = []
    slot = appointment(patient)
    for settled in settled_courses(catalog, settings, patient, courses, records, today):
        regimen = catalog.get(settled.view.course.regimen)
        hidden = hidden_from(regimen, patient)
        visible = [
            e for e in settled.view.events if e.series not in hidden and e.status not in _GONE
        ]
        prep = {r.series for r in regimen.related if r.series not in regimen.staff_series}
        held = any(e.status is Status.HELD and e.given_on is None for e in visible)
        for event in visible:
            words = patient_words(event, regimen, cat)
            title = words.title if titles is Titles.PLAIN else discreet_title(event, regimen, cat)
            late = event.kind.recordable and event.status in _LATE
            main = event.series == regimen.dose.series
            waits = event.key in settled.provisional
            mark = mark_of(event, late, waits and held)
            notes = _notes(event, mark, waits, main, slot, cat)
            before: list[str] = []
            if main and mark is Mark.PLANNED:  # a paused visit waits for its new date
                steps = _to_prepare(event, visible, prep)
                before = [
                    cat.text(
                        "handout.before_item",
                        when=span(cat, step.date, step.end),
                        what=_prep(step, regimen, titles, cat),
                    )
                    for step in steps
                ]
                passed += [PassedStep(s.key, event.key, s.end) for s in steps if s.end < today]
            first, last = _days(event)
            where = lane(event, regimen)
            about = (title, words.description, notes, tuple(before), late, mark)
            items.append(Item(event.key, event.kind, where, first, last, *about))
    items.sort(key=lambda i: (i.first, i.lane is None, i.last, i.key))
    days: dict[date, list[Item]] = {}
    for item in items:
        if item.last >= today or item.late or item.mark is Mark.PAUSED:
            days.setdefault(item.first, []).append(item)
    name = patient.name if with_name and patient.name else None
    heading = cat.text("handout.title_for", name=name) if name else cat.text("handout.title")
    return Handout(
        lang=cat.lang,
        heading=heading,
        name=name,
        today=today,
        items=tuple(items),
        days=tuple(Day(d, cat.date(d, "long"), tuple(i)) for d, i in days.items()),
        contacts=contacts(settings, cat, titles),
        links=feed,
        titles=titles,
        other=other,
        passed=tuple(passed),
    )


def mark_of(event: Event, late: bool, behind_hold: bool) -> Mark:
    """The item's mark: given, not done, paused (on hold, or waiting behind a dose on hold),
    else planned."""
    if event.given_on is not None:
        return Mark.GIVEN
    if late:
        return Mark.NOT_DONE
    if event.status is Status.HELD or behind_hold:
        return Mark.PAUSED
    return Mark.PLANNED


def _notes(
    event: Event,
    mark: Mark,
    provisional: bool,
    main: bool,
    slot: Appointment | None,
    cat: Catalogue,
) -> tuple[str, ...]:
    """What the handout says under an event's title: not done, paused (on hold, or waiting
    behind a dose on hold) or waiting, the day it was done, and for a dose planned the usual
    appointment time."""
    notes: list[str] = []
    if mark is Mark.NOT_DONE:
        notes.append(cat.text("calendar.not_done"))
    elif mark is Mark.PAUSED:
        notes.append(cat.text("calendar.on_hold"))
    elif provisional:
        notes.append(cat.text("calendar.waiting"))
    if event.given_on is not None:
        notes.append(cat.text("calendar.done_on", day=cat.date(event.given_on, "long")))
    if main and slot is not None and mark is Mark.PLANNED:
        notes.append(cat.text("handout.at_time", time=cat.time(slot.at)))
    return tuple(notes)


def _to_prepare(dose: Event, visible: Sequence[Event], prep: set[str]) -> list[Event]:
    """What the patient does before a dose still to come: its labs and preparations (not
    another dose) due by its day and not done yet."""
    return [
        other
        for other in visible
        if other.series in prep
        and other.number == dose.number
        and other.kind is not Kind.DOSE
        and other.date <= dose.date
        and other.given_on is None
    ]


def _prep(event: Event, regimen: Regimen, titles: Titles, cat: Catalogue) -> str:
    """A step before a treatment visit: its plain title, or when discreet, what to do for a
    reminder (a discreet "Reminder" alone says nothing) and the discreet title otherwise."""
    words = patient_words(event, regimen, cat)
    if titles is Titles.PLAIN:
        return words.title
    if event.kind in _SAY_AGAIN and words.description:
        return words.description
    return discreet_title(event, regimen, cat)


def _days(event: Event) -> tuple[date, date]:
    first = event.effective_date
    return first, (first if event.given_on is not None else max(event.end, first))


def span(cat: Catalogue, first: date, last: date) -> str:
    """A day, or "from ... to ..." for several."""
    if last <= first:
        return cat.date(first, "long")
    return cat.text("handout.span", first=cat.date(first, "long"), last=cat.date(last, "long"))


def lane(event: Event, regimen: Regimen) -> Lane | None:
    if event.kind is Kind.DOSE:
        main = event.series == regimen.dose.series
        radioligand = regimen.dose.kind is DoseKind.RADIOLIGAND
        return Lane.DOSES if main and radioligand else Lane.INJECTIONS
    return {
        Kind.LAB: Lane.LABS,
        Kind.SCAN: Lane.SCANS,
        Kind.PRECAUTION: Lane.PRECAUTIONS,
    }.get(event.kind)


@dataclass(frozen=True)
class Contact:
    """One line of the clinic's contacts, and the link that calls or writes to it ("tel:",
    "mailto:"; "" for none)."""

    text: str
    href: str = ""


def contacts(settings: Settings, cat: Catalogue, titles: Titles) -> tuple[Contact, ...]:
    """The clinic's contacts; its name only with plain titles (a clinic's name can say what it
    treats), as in the calendar.

    >>> from schedule.i18n import catalogue
    >>> site = Settings(clinic_phone="+41 44 555 01 00", clinic_email="care@example.org")
    >>> [c.href for c in contacts(site, catalogue("en"), Titles.DISCREET)]
    ['tel:+41445550100', 'mailto:care@example.org']
    """
    lines = []
    if settings.clinic_name and titles is Titles.PLAIN:
        lines.append(Contact(settings.clinic_name))
    if settings.clinic_phone:
        dial = "".join(c for c in settings.clinic_phone if c.isdigit() or c == "+")
        text = cat.text("handout.phone", phone=settings.clinic_phone)
        lines.append(Contact(text, f"tel:{dial}" if dial else ""))
    if settings.clinic_email:
        text = cat.text("handout.email", email=settings.clinic_email)
        lines.append(Contact(text, f"mailto:{quote(settings.clinic_email, safe='@')}"))
    if settings.clinic_address:
        lines.append(Contact(cat.text("handout.address", address=settings.clinic_address)))
    return tuple(lines)
