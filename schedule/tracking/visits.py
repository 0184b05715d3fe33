"""The clinic list: each dose visit of a day or a week, in the order of the day, with the
patient, the event, the time and a chair.

A visit is a dose that takes a chair on its day (`engine.clinic.chair_hours`: planned, due,
overdue or given there). Its time is the patient's usual appointment time, if any. Its chair is
a suggestion, so that a day can be read at a glance: the visits with a time in the order of
the day, then those without, each on the first chair free at that time (for a visit with a
time) with hours left that day (`site.chair_hours`); none left: no chair, and the day is over
its capacity (`prrt days` flags it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from schedule.domain.closures import Closures
from schedule.domain.model import Event
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.clinic import chair_hours, is_infusion
from schedule.output.render import Column
from schedule.tracking.days import planned_views

if TYPE_CHECKING:
    from schedule.store.interface import ReadStore

VISIT_COLUMNS = (
    "date", "time", "chair", "patient_id", "name", "course", "event", "title", "kind", "hours",
    "status", "flags",
)  # fmt: skip
VISIT_TABLE = (
    Column("date", "date"),
    Column("time", "time"),
    Column("chair", "chair"),
    Column("patient", "patient_id"),
    Column("name", "name", squeeze=1, optional=True, below=True),
    Column("event", "event"),
    Column("title", "title", squeeze=2, floor=24, below=True),
    Column("status", "status"),
    Column("flags", "flags", below=True),
)


@dataclass(frozen=True)
class Visit:
    """One dose visit: who, what, when, where, and for how long."""

    day: date
    at: time | None
    patient_id: str
    name: str | None
    course: int
    event: Event
    infusion: bool
    hours: Decimal
    chair: int | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "date": self.day,
            "time": self.at.strftime("%H:%M") if self.at else None,
            "chair": self.chair,
            "patient_id": self.patient_id,
            "name": self.name,
            "course": self.course,
            "event": self.event.key,
            "title": self.event.title,
            "kind": "infusion" if self.infusion else "injection",
            "hours": self.hours,
            "status": self.event.status,
            "flags": self.event.flags,
        }


@dataclass
class _Chair:
    hours: Decimal = Decimal(0)
    busy: list[tuple[int, int]] = field(default_factory=list)  # minutes of the day

    def takes(self, at: time | None, hours: Decimal, limit: Decimal) -> bool:
        """Whether a sitting fits on this chair (its hours left, and free at its time)."""
        if self.hours + hours > limit:
            return False
        if at is None:
            return True
        start = at.hour * 60 + at.minute
        end = start + int(hours * 60)
        return all(end <= low or start >= high for low, high in self.busy)

    def seat(self, at: time | None, hours: Decimal) -> None:
        self.hours += hours
        if at is not None:
            start = at.hour * 60 + at.minute
            self.busy.append((start, start + int(hours * 60)))


def seat_day(visits: list[Visit], chairs: int, limit: Decimal) -> list[Visit]:
    """The day's visits in the order of the day, each with a chair (None: none is left). A
    patient's visits of one day are one sitting, on one chair (the injection after the
    infusion)."""
    ordered = sorted(visits, key=lambda v: (v.at is None, v.at or time(), v.patient_id, v.event))
    sittings: dict[str, list[Visit]] = {}
    for visit in ordered:
        sittings.setdefault(visit.patient_id, []).append(visit)
    free = [_Chair() for _ in range(chairs)]
    seated = []
    for group in sittings.values():
        at, hours = group[0].at, sum((v.hours for v in group), Decimal(0))
        number = next((n for n, c in enumerate(free) if c.takes(at, hours, limit)), None)
        if number is not None:
            free[number].seat(at, hours)
        seated += [_with_chair(v, None if number is None else number + 1) for v in group]
    return seated


def _with_chair(visit: Visit, chair: int | None) -> Visit:
    return Visit(
        visit.day, visit.at, visit.patient_id, visit.name, visit.course, visit.event,
        visit.infusion, visit.hours, chair,
    )  # fmt: skip


def clinic_list(
    store: ReadStore,
    catalog: Catalog,
    settings: Settings,
    closures: Closures | None,
    first: date,
    last: date,
    today: date,
    names: bool = True,
) -> list[Visit]:
    """Every dose visit from `first` to `last`, day by day in the order of the day, seated."""
    by_day: dict[date, list[Visit]] = {}
    for patient, views in planned_views(store, catalog, settings, last, today, closures):
        at = _time(patient.time)
        for view in views:
            for event in view.events:
                day = event.effective_date
                hours = chair_hours(view.regimen, event, settings)
                if hours is None or not first <= day <= last:
                    continue
                visit = Visit(
                    day, at, patient.id, patient.name if names else None, view.course.number,
                    event, is_infusion(view.regimen, event), hours,
                )  # fmt: skip
                by_day.setdefault(day, []).append(visit)
    found: list[Visit] = []
    for day in sorted(by_day):
        closed = closures is not None and closures.name(day) is not None
        chairs = 0 if closed else settings.chairs_on(day)
        found += seat_day(by_day[day], chairs, Decimal(settings.chair_hours))
    return found


def _time(text: str | None) -> time | None:
    if not text:
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
