"""What an event's alarm says, and which events of one visit share it.

A lock screen shows an alarm to anyone near the phone, so its words are discreet unless the
patient chose plain titles; and an alarm that says only "Reminder" is no use. Each alarm says
when and what: "Tomorrow 09:00: clinic visit, about 5 hours; an injection too; drink plenty of
fluids" (the `calendar.about.*` messages).

One visit rings once. The dose of the regimen's main series carries the alarm of its visit: the
injection given at the same visit after a radioligand dose (the SSA after each dose, L18) and
the reminders the regimen places on the day before the dose (stop short-acting octreotide,
drink plenty: L17, L31) ring with it and have none of their own. Each of these is decided by
the event and its regimen alone, so a body stays the same whichever events surround it.

No alarm rings for an event that is cancelled, paused (on hold) or tentative (waiting behind
a late or paused dose): its date is not one to act on.
"""

from __future__ import annotations

from datetime import time

from schedule.calendars.ical import Alarm
from schedule.domain.model import SSA_BRIDGE, SSA_SERIES, Event, Kind
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
from schedule.domain.regimen import DoseKind, Regimen
from schedule.i18n import Catalogue

# For all-day events the start is local midnight, so -PT15H rings at 09:00 the day before and
# PT9H at 09:00 on the day; the `calendar.alarm.*` message says when.
ALL_DAY: dict[Kind, tuple[str, str]] = {
    Kind.DOSE: ("-PT15H", "tomorrow"),
    Kind.SCAN: ("-PT15H", "tomorrow"),
    Kind.DEADLINE: ("-PT15H", "tomorrow"),
    Kind.LAB: ("PT9H", "from_today"),
    Kind.REMINDER: ("PT8H", "today"),
    Kind.PRECAUTION: ("PT18H", "from_today"),  # the evening of the dose day, back home
}
TIMED = "-P1D"  # a timed appointment: the same time the day before
# What an event is about, by kind, when its series has no words of its own.
ABOUT = {
    Kind.DOSE: "injection",
    Kind.LAB: "blood_test",
    Kind.SCAN: "scan",
    Kind.PRECAUTION: "precautions",
    Kind.REMINDER: "note",
    Kind.DEADLINE: "note",
}
DAY_BEFORE = -1


def day_before(regimen: Regimen) -> tuple[str, ...]:
    """The regimen's reminders that start the day before each dose, which ring with it."""
    return tuple(
        r.series for r in regimen.related if r.kind is Kind.REMINDER and r.start == DAY_BEFORE
    )


def shared(event: Event, regimen: Regimen) -> bool:
    """Whether the event rings with its dose's visit rather than on its own."""
    if event.series in day_before(regimen):
        return True
    dose = regimen.dose
    return (
        event.series in SSA_SERIES
        and event.series != SSA_BRIDGE
        and regimen.ssa is not None
        and dose.kind is DoseKind.RADIOLIGAND
        and dose.count is not None
        and event.number <= dose.count
    )


def alarm(
    event: Event,
    regimen: Regimen,
    lang: Catalogue,
    plain_title: str | None,
    at: time | None,
) -> Alarm | None:
    """The alarm of an event that rings (the caller leaves out cancelled, paused and
    tentative ones): `plain_title` is its title when the patient chose plain titles (None:
    discreet words), `at` its appointment time when it has one."""
    if shared(event, regimen):
        return None
    main = event.series == regimen.dose.series
    about = plain_title or _about(event, regimen, lang, main)
    if main:
        about = "; ".join([about, *_visit_extras(regimen, lang)])
    if at is not None:
        return Alarm(
            TIMED, lang.text("calendar.alarm.tomorrow_at", time=lang.time(at), title=about)
        )
    trigger, when = ALL_DAY[event.kind]
    return Alarm(trigger, lang.text(f"calendar.alarm.{when}", title=about))


def _about(event: Event, regimen: Regimen, lang: Catalogue, main: bool) -> str:
    """What the event is about, in discreet words."""
    if main:
        words = lang.text("calendar.about.visit")
        hours = regimen.dose.visit_hours
        if hours is not None:
            words += ", " + lang.text("calendar.about.hours", hours=lang.number(hours))
        return words
    if event.series == PREGNANCY_TEST:
        return lang.text("calendar.about.test")
    series = "contraception" if event.series.startswith("contraception") else event.series
    if f"calendar.about.{series}" in lang.english:
        return lang.text(f"calendar.about.{series}")
    return lang.text(f"calendar.about.{ABOUT[event.kind]}")


def _visit_extras(regimen: Regimen, lang: Catalogue) -> list[str]:
    """What rings with a dose: the injection given at the same visit, the day before's
    reminders."""
    extras = []
    if regimen.ssa is not None and regimen.dose.kind is DoseKind.RADIOLIGAND:
        extras.append(lang.text("calendar.about.with_injection"))
    for series in day_before(regimen):
        if f"calendar.about.{series}" in lang.english:
            extras.append(lang.text(f"calendar.about.{series}"))
    return extras
