"""A patient's calendar in plain words: which events a patient sees, what each says, when its
reminder rings. Turns the engine's events into iCalendar entries (see `ical.py` for the bytes).

Kept out on purpose (privacy): the record number, birth date and diagnosis. The patient's name
appears, in the calendar's name only, when asked for. What a lock screen shows (the title, the
alarm, the place, the calendar's name) is discreet unless plain titles are asked for
(`patientview/titles.py`); the description keeps the details.

What the patient must act on shows once, when it happens: a dose, blood test or scan not done by
its day says "Not done yet: please call the clinic"; what waits behind a late dose keeps its
date, marked tentative ("the new date will be confirmed"), until the clinic records what happened.
A dose on hold says so, and that the care team will call with a new date; it rings no alarm.

The words are the patient's (`patientview/wording.py`): plain, any medical term explained where
it appears, in the patient's language (`schedule.i18n`: the fixed phrases are the `calendar.*`
messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from schedule.calendars.alarms import alarm
from schedule.calendars.ical import Entry, Head, uid_for
from schedule.domain.course import Patient
from schedule.domain.localtime import appointment_span
from schedule.domain.model import Event, Kind, Status
from schedule.domain.regimen import Regimen
from schedule.domain.settings import Settings
from schedule.i18n import Catalogue, catalogue
from schedule.patientview.appointment import Appointment
from schedule.patientview.titles import Titles, discreet_title
from schedule.patientview.wording import patient_words

AT_CLINIC = (Kind.DOSE, Kind.LAB, Kind.SCAN)
BUSY = (Kind.DOSE, Kind.SCAN)  # the rest does not block the day (TRANSP:TRANSPARENT)
LATE = (Status.OVERDUE, Status.MISSED)  # both read "Not done yet": one change, not two


def head(
    settings: Settings,
    patient: Patient | None,
    with_name: bool,
    titles: Titles = Titles.DISCREET,
    lang: Catalogue | None = None,
) -> Head:
    """The calendar's name: "Treatment calendar", for whom only when asked, and from where
    (the clinic's name with plain titles only)."""
    lang = lang or catalogue(None, settings)
    if with_name and patient is not None and patient.name:
        name = lang.text("calendar.name_for", patient=patient.name)
    else:
        name = lang.text("calendar.name")
    if settings.clinic_name and titles is Titles.PLAIN:
        name += f" - {settings.clinic_name}"
    description = lang.text("calendar.description")
    return Head(name, description, patient.tz if patient is not None else None)


def _clinic_lines(settings: Settings, lang: Catalogue) -> list[str]:
    contact = ", ".join(
        x for x in (settings.clinic_name, settings.clinic_phone, settings.clinic_email) if x
    )
    return [lang.text("calendar.questions", contact=contact)] if contact else []


def entry(
    event: Event,
    regimen: Regimen,
    settings: Settings,
    slot: Appointment | None,
    titles: Titles = Titles.DISCREET,
    provisional: bool = False,
    lang: Catalogue | None = None,
) -> Entry:
    """One event as the patient reads it, in the language of `lang` (else the site's).
    `provisional`: it waits behind a late dose, so its date will move when the clinic records
    what happened."""
    lang = lang or catalogue(None, settings)
    cancelled = event.status in (Status.SKIPPED, Status.CANCELLED)
    held = event.status is Status.HELD
    late = event.kind.recordable and event.status in LATE
    words = patient_words(event, regimen, lang)
    shown = words.title if titles is Titles.PLAIN else discreet_title(event, regimen, lang)
    summary, notes = _status_words(shown, cancelled, held, late, provisional, lang)
    if titles is Titles.DISCREET:
        notes.append(f"{words.title}.")
    if words.description:
        notes.append(words.description)
    if event.kind is Kind.DOSE and event.dose:
        notes.append(lang.text("calendar.dose", dose=lang.quantity(event.dose)))
    if event.given_on is not None:
        notes.append(lang.text("calendar.done_on", day=lang.date(event.given_on)))
    day = event.effective_date
    last = day if event.given_on is not None else max(event.end, day)
    timed = slot is not None and event.series == regimen.dose.series  # cancelled: kept as it was
    start: date | datetime
    end: date | datetime
    if timed:
        assert slot is not None
        start, end = appointment_span(day, slot.at, slot.zone, visit_minutes(regimen, settings))
        at = lang.time(slot.at)
        notes.append(lang.text("calendar.appointment", time=at, zone=lang.zone(slot.zone.key)))
    else:
        start, end = day, last + timedelta(days=1)
        if last > day:
            first, final = lang.date(day), lang.date(last)
            notes.append(lang.text("calendar.from_to", first=first, last=final))
    location = _place(event, settings, titles)
    notes += _clinic_lines(settings, lang)
    tentative = held or (provisional and not late)
    plain = shown if titles is Titles.PLAIN else None
    return Entry(
        summary=summary,
        description="\n\n".join(notes),
        start=start,
        end=end,
        cancelled=cancelled,
        tentative=tentative,
        transparent=cancelled or event.kind not in BUSY,
        location=location,
        alarm=None
        if cancelled or tentative
        else alarm(event, regimen, lang, plain, slot.at if timed and slot else None),
    )


def _place(event: Event, settings: Settings, titles: Titles) -> str:
    """Where an event at the clinic takes place: the address, and with plain titles the
    clinic's name before it; nothing for an event elsewhere."""
    if event.kind not in AT_CLINIC:
        return ""
    place = (settings.clinic_name, settings.clinic_address)
    return ", ".join(x for x in (place if titles is Titles.PLAIN else place[1:]) if x)


def _status_words(
    shown: str, cancelled: bool, held: bool, late: bool, provisional: bool, lang: Catalogue
) -> tuple[str, list[str]]:
    """The summary of an event shown as `shown`, and the first note, by its status: cancelled,
    on hold, not done yet, or waiting behind a late dose."""
    if cancelled:
        return lang.text("calendar.cancelled_title", title=shown), [lang.text("calendar.cancelled")]
    if held:
        return lang.text("calendar.on_hold_title", title=shown), [lang.text("calendar.on_hold")]
    if late:
        return lang.text("calendar.not_done_title", title=shown), [lang.text("calendar.not_done")]
    return shown, [lang.text("calendar.waiting")] if provisional else []


def visit_minutes(regimen: Regimen, settings: Settings) -> int:
    """How long a dose appointment lasts: the regimen's visit length, else the site's."""
    if regimen.dose.visit_hours is not None:
        return int(regimen.dose.visit_hours * 60)
    return settings.appointment_minutes


def course_entries(
    namespace: str,
    uid_parts: Sequence[object],
    events: Iterable[Event],
    regimen: Regimen,
    settings: Settings,
    slot: Appointment | None,
    titles: Titles = Titles.DISCREET,
    provisional: frozenset[str] = frozenset(),
    lang: Catalogue | None = None,
    hidden: frozenset[str] | None = None,
) -> list[tuple[str, Entry]]:
    """The patient's entries of one course, each with its UID (a hash of the namespace, the
    course's identity in `uid_parts` and the event key: stable across reschedules).
    `provisional`: keys of the events that wait behind a late dose. `lang`: the patient's
    language (None: the site's). `hidden`: the series left out (the staff's by default; a
    patient's: `pregnancy.hidden_from`)."""
    staff = regimen.staff_series if hidden is None else hidden
    lang = lang or catalogue(None, settings)
    return [
        (
            uid_for(namespace, *uid_parts, event.key),
            entry(event, regimen, settings, slot, titles, event.key in provisional, lang),
        )
        for event in events
        if event.series not in staff
    ]
