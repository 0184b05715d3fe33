"""Clinic days on a calendar: what falls on a day the clinic is closed (`clinic-closed`), and
what falls on a day that needs more chair-hours than the clinic has (`over-capacity`).

Both are flags for a coordinator; nothing moves by itself. They are applied after the engine
has built the calendar, from the closures (`site.closures`) and the crowded days the clinic's
whole day list found (`schedule.tracking.days`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from schedule.domain.closures import Closures
from schedule.domain.model import Event, Flag, Kind, Status
from schedule.domain.regimen import DoseKind, Regimen
from schedule.domain.settings import Settings

# Still to happen: what a closure or a full day concerns.
TO_COME = (Status.PLANNED, Status.DUE)
# What takes a chair on its day: planned, or given that day.
OCCUPYING = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.GIVEN)


def on_closed_day(event: Event, closures: Closures) -> bool:
    """A dose, lab or scan still to come whose every day (a lab's whole span) is closed."""
    return (
        event.kind.recordable
        and event.status in TO_COME
        and closures.all_closed(event.date, event.end)
    )


def is_infusion(regimen: Regimen, event: Event) -> bool:
    """A dose of the regimen's radioligand series (the other doses are injections)."""
    dose = regimen.dose
    return event.series == dose.series and dose.kind is DoseKind.RADIOLIGAND


def chair_hours(regimen: Regimen, event: Event, settings: Settings) -> Decimal | None:
    """The chair-hours a dose takes on its day: an infusion the regimen's visit length (L26), an
    injection, or an infusion without a visit length, the site's `appointment_minutes`. None
    for anything that takes no chair (not a dose, or not taking place)."""
    if event.kind is not Kind.DOSE or event.status not in OCCUPYING:
        return None
    if is_infusion(regimen, event) and regimen.dose.visit_hours is not None:
        return Decimal(regimen.dose.visit_hours)
    return Decimal(settings.appointment_minutes) / 60


def over_capacity(event: Event, crowded: frozenset[date]) -> bool:
    """A dose that takes a chair (`OCCUPYING`) on a day over the clinic's capacity: the one
    rule of `over-capacity`, for the calendars and the worklists alike."""
    return event.kind is Kind.DOSE and event.status in OCCUPYING and event.effective_date in crowded


def flag_clinic_days(
    events: Iterable[Event],
    closures: Closures | None,
    crowded: frozenset[date] = frozenset(),
) -> tuple[Event, ...]:
    """`clinic-closed` on what is still to come on a closed day; `over-capacity` on the doses
    of a crowded day."""
    out = []
    for event in events:
        adds = []
        if closures and on_closed_day(event, closures):
            adds.append(Flag.CLINIC_CLOSED)
        if crowded and over_capacity(event, crowded):
            adds.append(Flag.OVER_CAPACITY)
        new = tuple(f for f in adds if f not in event.flags)
        out.append(event.with_flags(*new) if new else event)
    return tuple(out)
