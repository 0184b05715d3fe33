"""Patients, their courses and what was recorded: the stored facts, as domain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from schedule.domain.dates import utc_iso
from schedule.domain.model import Fact, RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.units import Quantity


@dataclass(frozen=True)
class Patient:
    id: str
    name: str | None = None
    tz: str | None = None
    time: str | None = None  # HH:MM, local appointment time for calendars
    lang: str | None = None  # language of what the patient sees; None: the site's
    # Whether the patient can become pregnant: "yes", "no", or None (not known: ask). Every
    # radioligand dose of a patient not known to be "no" has a pregnancy test before it.
    pregnancy: str | None = None

    @property
    def pregnancy_test(self) -> bool:
        """Whether the radioligand doses need a pregnancy test before them (`pregnancy`)."""
        return self.pregnancy != "no"


@dataclass(frozen=True)
class Course:
    id: int
    patient_id: str
    number: int  # 1 for the first course of this patient, 2 for a retreatment, ...
    regimen: str
    start: dt.date
    interval_days: int | None = None
    calendar_month: bool = False
    precautions: str | None = None

    @property
    def options(self) -> PlanOptions:
        return PlanOptions(
            interval_days=self.interval_days,
            calendar_month=self.calendar_month,
            precautions=self.precautions,
        )


@dataclass(frozen=True)
class Record:
    id: int
    course_id: int
    type: RecordType
    day: dt.date
    event: str | None = None
    dose: str | None = None
    note: str = ""
    corrects: int | None = None
    recorded_at: str = ""
    recorded_by: str = ""
    override: str | None = None  # the reason a clinician gave for recording past a guard
    review: dt.date | None = None  # a hold's review day
    end_care: bool = False  # a discontinuation that also ends the after-course care
    toxicity: str | None = None  # a hold's adverse reaction (`toxicity.Toxicity` value)
    grade: int | None = None  # its CTCAE grade (1 to 5)


@dataclass(frozen=True)
class Actor:
    """Who makes a change and when (UTC); the CLI supplies both, the library reads no clock."""

    who: str
    at: dt.datetime

    @property
    def stamp(self) -> str:
        return utc_iso(self.at)


def effective(records: Iterable[Record]) -> list[Record]:
    """The records that stand: all but those a later entered-in-error record names."""
    records = list(records)
    wrong = {r.corrects for r in records if r.type is RecordType.ENTERED_IN_ERROR}
    if not wrong:
        return records
    return [r for r in records if r.id not in wrong and r.type is not RecordType.ENTERED_IN_ERROR]


def facts_of(records: Iterable[Record]) -> list[Fact]:
    """The engine's facts from the records that stand, in the order given (the store's order
    is the order recorded)."""
    return [fact_of(r) for r in effective(records)]


def fact_of(record: Record) -> Fact:
    """The engine's fact of a record that stands."""
    r = record
    dose = Quantity.parse(r.dose) if r.dose else None
    return Fact(
        r.type, r.day, r.event, dose, r.note, r.override, r.review, r.end_care, r.toxicity, r.grade
    )
