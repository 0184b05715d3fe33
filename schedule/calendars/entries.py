"""A patient's calendar in plain words: which events a patient sees, what each says, when its
reminder rings. Turns the engine's events into iCalendar entries (see `ical.py` for the bytes).

Kept out on purpose (privacy): the record number, birth date and diagnosis. The patient's name
appears, in the calendar's name only, when asked for. What a lock screen shows (the title, the
alarm, the place, the calendar's name) is discreet unless plain titles are asked for
(`titles.py`); the description keeps the details.

What the patient must act on shows once, when it happens: a dose, blood test or scan not done by
its day says "Not done yet: please call the clinic"; what waits behind a late dose keeps its
date, marked tentative ("the new date will be confirmed"), until the clinic records what happened.
A dose on hold says so, and that the care team will call with a new date; it rings no alarm.

The words are the patient's (`wording.py`): plain, any medical term explained where it appears.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedule.calendars.ical import Alarm, Entry, Head, uid_for
from schedule.calendars.titles import Titles, discreet_title
from schedule.calendars.wording import patient_words
from schedule.domain.course import Patient
from schedule.domain.errors import InputError
from schedule.domain.localtime import appointment_span, check_days
from schedule.domain.model import Event, Kind, Status
from schedule.domain.patients import check_time, check_tz
from schedule.domain.regimen import Regimen
from schedule.domain.settings import Settings

# One DISPLAY alarm per event, relative to its start. For all-day events the start is local
# midnight, so -PT15H rings at 09:00 the day before and PT9H at 09:00 on the day.
ALL_DAY_ALARMS: dict[Kind, tuple[str, str]] = {
    Kind.DOSE: ("-PT15H", "Tomorrow"),
    Kind.SCAN: ("-PT15H", "Tomorrow"),
    Kind.DEADLINE: ("-PT15H", "Tomorrow"),
    Kind.LAB: ("PT9H", "From today"),
    Kind.REMINDER: ("PT8H", "Today"),
    Kind.PRECAUTION: ("PT18H", "From today"),  # the evening of the dose day, back home
}
TIMED_ALARM = ("-P1D", "Tomorrow")  # a timed appointment: the same time the day before
AT_CLINIC = (Kind.DOSE, Kind.LAB, Kind.SCAN)
BUSY = (Kind.DOSE, Kind.SCAN)  # the rest does not block the day (TRANSP:TRANSPARENT)
LATE = (Status.OVERDUE, Status.MISSED)  # both read "Not done yet": one change, not two
NOT_DONE = "Not done yet: please call the clinic."
ON_HOLD = "On hold: this is paused for now, and the care team will call you with a new date."
WAITING = "Waiting for an earlier step: the new date will be confirmed."


@dataclass(frozen=True)
class Appointment:
    """The patient's usual appointment time, for dose visits of the regimen's main series."""

    at: time
    zone: ZoneInfo


def appointment(patient: Patient) -> Appointment | None:
    if not patient.time or not patient.tz:
        return None
    hours, minutes = patient.time.split(":")
    return Appointment(time(int(hours), int(minutes)), ZoneInfo(patient.tz))


def head(
    settings: Settings, patient: Patient | None, with_name: bool, titles: Titles = Titles.DISCREET
) -> Head:
    """The calendar's name: "Treatment calendar", for whom only when asked, and from where
    (the clinic's name with plain titles only)."""
    name = "Treatment calendar"
    if with_name and patient is not None and patient.name:
        name += f" for {patient.name}"
    if settings.clinic_name and titles is Titles.PLAIN:
        name += f" - {settings.clinic_name}"
    description = (
        "Planned dates follow the course as it happens and can move: the clinic's word counts."
    )
    return Head(name, description, patient.tz if patient is not None else None)


def _clinic_lines(settings: Settings) -> list[str]:
    contact = ", ".join(
        x for x in (settings.clinic_name, settings.clinic_phone, settings.clinic_email) if x
    )
    return [f"Questions: {contact}"] if contact else []


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def entry(
    event: Event,
    regimen: Regimen,
    settings: Settings,
    slot: Appointment | None,
    titles: Titles = Titles.DISCREET,
    provisional: bool = False,
) -> Entry:
    """One event as the patient reads it. `provisional`: it waits behind a late dose, so its
    date will move when the clinic records what happened."""
    cancelled = event.status in (Status.SKIPPED, Status.CANCELLED)
    held = event.status is Status.HELD
    late = event.kind.recordable and event.status in LATE
    words = patient_words(event, regimen)
    shown = words.title if titles is Titles.PLAIN else discreet_title(event, regimen)
    summary = shown
    notes: list[str] = []
    if cancelled:
        summary = f"Cancelled: {shown}"
        notes.append("Cancelled: this will not take place.")
    elif held:
        summary = f"On hold: {shown}"
        notes.append(ON_HOLD)
    elif late:
        summary = f"Not done yet: {shown}"
        notes.append(NOT_DONE)
    elif provisional:
        notes.append(WAITING)
    if titles is Titles.DISCREET:
        notes.append(f"{words.title}.")
    if words.description:
        notes.append(words.description)
    if event.kind is Kind.DOSE and event.dose:
        notes.append(f"Dose: {event.dose}.")
    if event.given_on is not None:
        notes.append(f"Done on {_day(event.given_on)}.")
    day = event.effective_date
    last = day if event.given_on is not None else max(event.end, day)
    timed = slot is not None and event.series == regimen.dose.series  # cancelled: kept as it was
    start: date | datetime
    end: date | datetime
    if timed:
        assert slot is not None
        start, end = appointment_span(day, slot.at, slot.zone, visit_minutes(regimen, settings))
        notes.append(f"Appointment at {slot.at:%H:%M} ({slot.zone.key}).")
        trigger, when = TIMED_ALARM
    else:
        start, end = day, last + timedelta(days=1)
        if last > day:
            notes.append(f"From {_day(day)} to {_day(last)}.")
        trigger, when = ALL_DAY_ALARMS[event.kind]
    at_clinic = event.kind in AT_CLINIC
    place = (settings.clinic_name, settings.clinic_address)
    location = ", ".join(x for x in (place if titles is Titles.PLAIN else place[1:]) if x)
    notes += _clinic_lines(settings)
    return Entry(
        summary=summary,
        description="\n\n".join(notes),
        start=start,
        end=end,
        cancelled=cancelled,
        tentative=held or (provisional and not late),
        transparent=cancelled or event.kind not in BUSY,
        location=location if at_clinic else "",
        alarm=None if cancelled or held else Alarm(trigger, f"{when}: {shown}"),
    )


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
) -> list[tuple[str, Entry]]:
    """The patient's entries of one course, each with its UID (a hash of the namespace, the
    course's identity in `uid_parts` and the event key: stable across reschedules).
    `provisional`: keys of the events that wait behind a late dose."""
    staff = regimen.staff_series
    return [
        (
            uid_for(namespace, *uid_parts, event.key),
            entry(event, regimen, settings, slot, titles, event.key in provisional),
        )
        for event in events
        if event.series not in staff
    ]


def appointment_for(at: str | None, zone: str | None) -> Appointment | None:
    """The appointment slot from a time and a zone, checked; both or neither."""
    if bool(at) != bool(zone):
        raise InputError("a time needs its time zone: give both or neither")
    return appointment(Patient("plan", None, check_tz(zone), check_time(at)))


def check_slot(regimen: Regimen, events: Iterable[Event], slot: Appointment | None) -> None:
    """Refuse an appointment time that does not exist, in its zone, on a day of a dose visit
    (02:30 on the night the clocks go forward)."""
    if slot is not None:
        days = [e.effective_date for e in events if e.series == regimen.dose.series]
        check_days(days, slot.at, slot.zone)
