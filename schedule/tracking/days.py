"""The clinic's days: each day's planned infusions and injections, the chair-hours they need
and the clinic's capacity that day (`site.chairs` x `site.chair_hours`, `chairs_by_weekday`;
none on a closed day). A day needing more than its capacity is over capacity, and its doses
carry the flag `over-capacity` in every calendar that is given the crowded days.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from schedule.domain.closures import Closures
from schedule.domain.course import Patient
from schedule.domain.errors import PrrtError
from schedule.domain.model import Flag, Kind
from schedule.domain.regimen import Catalog
from schedule.domain.settings import WEEKDAYS, Settings
from schedule.engine.clinic import chair_hours, is_infusion
from schedule.engine.views import CourseView, course_views
from schedule.output.render import Column

if TYPE_CHECKING:
    from schedule.store.interface import ReadStore

DAY_COLUMNS = (
    "date", "weekday", "infusions", "injections", "chair_hours", "capacity", "flags", "closure",
)  # fmt: skip
DAY_TABLE = (
    Column("date", "date"),
    Column("day", "weekday", lambda r: str(r["weekday"])[:3]),
    Column("infusions", "infusions"),
    Column("injections", "injections"),
    Column("hours", "chair_hours", lambda r: _hours(r["chair_hours"])),
    Column("capacity", "capacity", lambda r: _hours(r["capacity"])),
    Column("flags", "flags", below=True),
    Column("closed for", "closure", below=True),
)


def _hours(value: Any) -> str:
    return f"{value:g}"


@dataclass
class Day:
    """One clinic day: what it needs and what it has."""

    day: date
    capacity: Decimal
    closure: str | None
    infusions: int = 0
    injections: int = 0
    hours: Decimal = field(default_factory=Decimal)

    @property
    def over(self) -> bool:
        """Needs more than it has; a closed day is flagged as closed instead."""
        return self.closure is None and self.hours > self.capacity

    @property
    def flags(self) -> tuple[Flag, ...]:
        """`clinic-closed` when something is planned on a closed day; `over-capacity`."""
        closed = (Flag.CLINIC_CLOSED,) if self.closure and self.hours else ()
        return (*closed, Flag.OVER_CAPACITY) if self.over else closed

    def columns(self) -> dict[str, Any]:
        """The day's columns of `DAY_COLUMNS`, typed (hours as decimals)."""
        return {
            "date": self.day,
            "weekday": WEEKDAYS[self.day.weekday()],
            "infusions": self.infusions,
            "injections": self.injections,
            "chair_hours": self.hours,
            "capacity": self.capacity,
            "flags": self.flags,
            "closure": self.closure,
        }


def clinic_days(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    first: date,
    last: date,
    today: date,
) -> list[Day]:
    """Every day from `first` to `last` with what every patient's calendar plans on it."""
    days = empty_days(settings, closures, first, last)
    for _patient, views in planned_views(store, catalog, settings, last, today):
        add_load(days, views, settings)
    return list(days.values())


def planned_views(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    last: date,
    today: date,
    closures: Closures | None = None,
) -> Iterator[tuple[Patient, list[CourseView]]]:
    """Every patient's courses as planned up to `last` (lean: no flags but the clinic's
    closed days, given `closures`), read in one transaction; a patient whose calendar cannot
    be computed is left out (the worklists report it)."""
    with store.read() as tx:
        patients = tx.patients()
        courses = tx.courses_by_patient()
        facts = tx.facts()
    for patient in patients:
        try:
            views = course_views(
                catalog, settings, patient, courses.get(patient.id, []), {}, today, False,
                last, facts, closures=closures, cutoff=last,
            )  # fmt: skip
        except (OverflowError, ValueError, PrrtError):
            continue
        yield patient, views


def empty_days(
    settings: Settings, closures: Closures | None, first: date, last: date
) -> dict[date, Day]:
    """The days from `first` to `last` with their capacity and nothing planned yet."""
    days = {}
    day = first
    while day <= last:
        closure = closures.name(day) if closures else None
        chairs = 0 if closure else settings.chairs_on(day)
        days[day] = Day(day, Decimal(chairs * settings.chair_hours), closure)
        day += timedelta(days=1)
    return days


def add_load(days: dict[date, Day], views: Iterable[CourseView], settings: Settings) -> None:
    """Count the doses of `views` that fall on `days` into them."""
    for view in views:
        for event in view.events:
            if event.kind is not Kind.DOSE:
                continue
            slot = days.get(event.effective_date)
            hours = chair_hours(view.regimen, event, settings) if slot else None
            if slot is None or hours is None:
                continue
            slot.hours += hours
            if is_infusion(view.regimen, event):
                slot.infusions += 1
            else:
                slot.injections += 1


def add_hours(days: dict[date, Day], hours: Mapping[date, Decimal]) -> None:
    """Add chair-hours counted elsewhere (by a worker process) into `days`."""
    for day, extra in hours.items():
        if day in days:
            days[day].hours += extra


def day_rows(days: list[Day], all_days: bool = False) -> list[Day]:
    """The days listed: open days, and closed days only when something is planned on them
    (every day with `all_days`)."""
    return [d for d in days if all_days or d.closure is None or d.hours]


def crowded_days(days: list[Day]) -> frozenset[date]:
    """The days over capacity, for `course_views(crowded=...)`."""
    return frozenset(d.day for d in days if d.over)
