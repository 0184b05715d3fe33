"""Regimens are data: what a regimen gives, as frozen values, and the catalog of them.

Every clinical number in a regimen file sits in a table with a `source` naming where it comes
from (the row ids of the project's clinical reference, then the document). A number the sources
leave open is either a site setting (`after = "site"`) or a value a site changes by shipping its
own copy of the file, which replaces the built-in one with the same `id`. The files are read and
validated by `regimen_file.py`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from schedule.domain.codes import Codes
from schedule.domain.errors import UnknownError
from schedule.domain.model import Kind
from schedule.domain.modifications import Modifications
from schedule.domain.suggest import did_you_mean
from schedule.domain.units import Quantity


class DoseKind(enum.Enum):
    """What the main series gives."""

    RADIOLIGAND = "radioligand"
    LONG_ACTING_SSA = "long-acting-ssa"
    HORMONE = "hormone"  # hormone therapy that is no SSA (GnRH analogs): no washout counts it


class Audience(enum.Enum):
    """Who an event is for: staff-only events stay out of patients' calendars."""

    PATIENT = "patient"
    STAFF = "staff"


SITE = "site"  # a window bound that comes from the site settings, not the regimen


@dataclass(frozen=True)
class Window:
    """Days before and after a target that still count as on time. None: the site's setting
    (`before`: ssa_early_tolerance_days, `after`: ssa_late_tolerance_days)."""

    before: int | None
    after: int | None
    source: str


@dataclass(frozen=True)
class DoseSpec:
    """The regimen's main series of doses."""

    series: str
    kind: DoseKind
    drug: str
    title: str
    description: str
    amount: Quantity
    amount_source: str
    reduced: Quantity | None
    count: int | None
    interval_days: int
    interval_choices: tuple[int, ...]
    calendar_month: bool
    window: Window
    max_delay_days: int | None  # days a dose may wait past its planned date (L12)
    max_delay_source: str
    interval_source: str
    visit_hours: Decimal | None
    # What a patient's calendar says instead of `title`/`description`, in plain words (both
    # optional: the staff text is used when absent).
    patient_title: str = ""
    patient_description: str = ""
    # The label's words for the delay limit: a permanent discontinuation (L12), or one to
    # consider (R2, R16: `consider = true`).
    max_delay_consider: bool = False
    reduced_source: str = ""
    # "every 3 months" as calendar months, clamped at month ends (0: the interval is in days);
    # `interval_days` is then the label's day count, offered as a choice.
    interval_months: int = 0
    loading: Quantity | None = None  # a first dose of another amount (degarelix 240 mg, H1)
    loading_source: str = ""

    def amount_of(self, number: int) -> tuple[Quantity, str]:
        """The full amount of dose `number` and its source: the loading dose first, if any."""
        if number == 1 and self.loading is not None:
            return self.loading, self.loading_source
        return self.amount, self.amount_source


@dataclass(frozen=True)
class CompanionSSA:
    """Long-acting SSA injections that accompany a radioligand course (keys ssa-1..ssa-N)."""

    drug: str
    title: str
    maintenance_title: str
    description: str
    amount: Quantity
    after_from: int
    after_to: int
    washout_days: int
    maintenance_every: int
    maintenance_until_months: int
    maintenance_window: Window
    amount_source: str = ""
    patient_title: str = ""  # the patient's calendar's words; the staff text when empty
    patient_maintenance_title: str = ""
    patient_description: str = ""


@dataclass(frozen=True)
class Related:
    """An event placed relative to each dose (labs, deadlines, reminders, precautions)."""

    series: str
    kind: Kind
    title: str
    description: str
    start: int
    end: int
    late_until: int | None
    weekday: str | None
    doses: tuple[int, ...]
    source: str
    audience: Audience = Audience.PATIENT  # STAFF: kept out of patients' calendars (deadlines)
    # The product order of each dose: it can be recorded as placed, and a dose resumed after a
    # hold waits until it can still be ordered in time.
    order: bool = False
    after_order: bool = False  # on the worklists only once the dose's order is placed
    patient_title: str = ""  # the patient's calendar's words; the staff text when empty
    patient_description: str = ""
    setting: str = ""  # planned only when this site setting (a true/false one) is true


@dataclass(frozen=True)
class AfterCourse:
    """An event placed relative to the last dose of the course."""

    key: str
    series: str
    number: int
    kind: Kind
    title: str
    description: str
    months: int
    days: int
    window: Window | None
    source: str
    patient_title: str = ""  # the patient's calendar's words; the staff text when empty
    patient_description: str = ""
    # The precaution variant (jurisdiction) the item belongs to; None: every variant.
    variant: str | None = None
    # Days before the nearest SSA injection inside the window the event moves to (R12: an
    # SSTR PET 1-2 days before an SSA injection); 0: it stays on its day.
    before_ssa: int = 0


@dataclass(frozen=True)
class Regimen:
    id: str
    name: str
    summary: str
    path: str
    dose: DoseSpec
    ssa: CompanionSSA | None
    related: tuple[Related, ...]
    precautions: tuple[tuple[str, tuple[Related, ...]], ...]
    default_precautions: str | None
    after_course: tuple[AfterCourse, ...]
    # What the label says to do when toxicity interrupts the course; None: no table (every
    # toxicity hold resumes at the reduced amount, if the regimen names one).
    modifications: Modifications | None = None
    # The label asks for pregnancy to be excluded before a dose (`pregnancy_test`, its source);
    # "": no test (`domain.pregnancy`).
    pregnancy_source: str = ""
    codes: Codes = ()  # medication codes of the dose and SSA drugs (`codes.py`)

    def __hash__(self) -> int:
        # Hashed for every course planned (`engine.doses`), so by its id alone, which equal
        # regimens share; two regimens of one id that differ are told apart by equality.
        return hash(self.id)

    @property
    def open_ended(self) -> bool:
        return self.dose.count is None

    @property
    def precaution_variants(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.precautions)

    @cached_property  # read for every event of every course: computed once
    def order_series(self) -> frozenset[str]:
        """Deadlines that are recorded as done: the product orders."""
        return frozenset(r.series for r in self.related if r.order)

    @cached_property  # read for every event of every course: computed once
    def after_order_series(self) -> frozenset[str]:
        """Deadlines that matter only once the order is placed (free cancellation)."""
        return frozenset(r.series for r in self.related if r.after_order)

    @cached_property  # read for every event of every course: computed once
    def staff_series(self) -> frozenset[str]:
        """Series meant for the care team only, left out of patients' calendars."""
        return frozenset(r.series for r in self.related if r.audience is Audience.STAFF)

    def precautions_for(self, variant: str | None) -> tuple[Related, ...]:
        chosen = variant or self.default_precautions
        for name, items in self.precautions:
            if name == chosen:
                return items
        return ()

    def after_course_for(self, variant: str | None) -> tuple[AfterCourse, ...]:
        """The care after the course under a precaution variant (the site's or the course's,
        else the regimen's default): items of every variant and those of the chosen one.
        Kept by variant (every calendar of the regimen asks)."""
        chosen = variant or self.default_precautions
        kept = self._after_course_by_variant
        items = kept.get(chosen)
        if items is None:
            items = kept[chosen] = tuple(
                a for a in self.after_course if a.variant is None or a.variant == chosen
            )
        return items

    @cached_property
    def _after_course_by_variant(self) -> dict[str | None, tuple[AfterCourse, ...]]:
        return {}


@dataclass(frozen=True)
class Catalog:
    """The regimens available: the built-in ones, then a site's, which replace same-id ones."""

    regimens: tuple[Regimen, ...]

    def get(self, regimen_id: str) -> Regimen:
        """The regimen of this id, compared without case (`Lutathera` is `lutathera`); an
        unknown id is refused with the closest known ones."""
        for regimen in self.regimens:
            if regimen.id == regimen_id:
                return regimen
        for regimen in self.regimens:
            if regimen.id.casefold() == regimen_id.casefold():
                return regimen
        ids = [r.id for r in self.regimens]
        raise UnknownError(
            f"unknown regimen {regimen_id!r}{did_you_mean(regimen_id, ids)}; "
            f"known regimens: {', '.join(ids)}",
            field="regimen",
        )

    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.regimens)
