"""Domain values: frozen dataclasses and enums shared by the engine, the store and the exports."""

from __future__ import annotations

import datetime as dt
import enum
from typing import NamedTuple

from schedule.domain.units import Quantity


class Kind(enum.Enum):
    """What an event is; the `kind` column of the output contract."""

    DOSE = "dose"
    LAB = "lab"
    DEADLINE = "deadline"
    PRECAUTION = "precaution"
    SCAN = "scan"
    REMINDER = "reminder"

    def __init__(self, value: str) -> None:
        # Doses, labs and scans are done or not done; the other kinds only inform. Read for
        # every event of every worklist: a plain attribute of each member, set as it is made.
        self.recordable = value in ("dose", "lab", "scan")


class Status(enum.Enum):
    """An event's status as of a date.

    Recordable events climb the ladder planned -> due -> overdue -> missed, unless the facts say
    given, skipped, held or cancelled. Informational events are planned, active or past.
    """

    PLANNED = "planned"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    GIVEN = "given"
    SKIPPED = "skipped"
    HELD = "held"
    CANCELLED = "cancelled"
    ACTIVE = "active"
    PAST = "past"
    NOT_DONE = "not-done"  # pre-dose labs never recorded, and the dose was given without them


class CourseState(enum.Enum):
    """Where a course stands as of a day (the `state` column of `prrt patient list`)."""

    ACTIVE = "active"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    DISCONTINUED = "discontinued"


class RecordType(enum.Enum):
    """What a stored record says. All but `entered-in-error` are facts the engine reads;
    course-level facts (hold, resume, discontinued) name no event."""

    GIVEN = "given"
    SKIPPED = "skipped"
    RESCHEDULED = "rescheduled"
    HOLD = "hold"
    RESUME = "resume"
    DISCONTINUED = "discontinued"
    ENTERED_IN_ERROR = "entered-in-error"


class Fact(NamedTuple):
    """Something that really happened to a course, as recorded by a coordinator. Immutable, and
    a named tuple rather than a dataclass: one is built for every stored record each time a
    worklist is made, and a tuple is built several times faster."""

    type: RecordType
    date: dt.date
    event: str | None = None
    dose: Quantity | None = None
    note: str = ""
    override: str | None = None  # recorded past a guard, for this reason
    review: dt.date | None = None  # a hold's review day
    end_care: bool = False  # a discontinuation that ends the after-course care too
    toxicity: str | None = None  # a hold's adverse reaction (`toxicity.Toxicity` value)
    grade: int | None = None  # its CTCAE grade


class Flag(enum.Enum):
    """Flags for a clinician's attention. The software flags; it never changes a dose itself."""

    SSA_WASHOUT_CONFLICT = "ssa-washout-conflict"
    MAX_DELAY_EXCEEDED = "max-delay-exceeded"
    REDUCED_DOSE = "reduced-dose"
    LABS_MISSING = "labs-missing"
    OUTSIDE_WINDOW = "outside-window"  # given before its window opened or after it closed
    OVERRIDE = "override"  # recorded past a guard, with a clinician's reason
    DUPLICATE_SSA = "duplicate-ssa"  # two courses plan long-acting SSA at the same time
    LABS_STALE = "labs-stale"  # pre-dose labs recorded too long before the dose to count (L28)
    CLINIC_CLOSED = "clinic-closed"  # planned on a day the clinic is closed (site.closures)
    OVER_CAPACITY = "over-capacity"  # its day needs more chair-hours than the clinic has
    # recorded below the expected amount (after the dose-modification table) by more than the
    # site's tolerance
    DOSE_BELOW_EXPECTED = "dose-below-expected"
    # the label's stop rule is met (a recurrence, a toxicity that discontinues): for a
    # clinician to confirm with `prrt discontinue`, or to pass with a resume's override
    DISCONTINUE_PER_LABEL = "discontinue-per-label"
    # A radioligand dose due, late, missed or given with no pregnancy test recorded in time for
    # it, for a patient who can become pregnant or whose status is not known (domain.md 3b).
    PREGNANCY_TEST_MISSING = "pregnancy-test-missing"
    ORDER_LATE = "order-late"  # an order deadline passed with no order placed; the dose waits


# The series of long-acting SSA injections: those after each dose and monthly (`ssa`), and those
# that bridge a hold of a radioligand course (`ssa-bridge`, engine/bridging.py).
SSA_BRIDGE = "ssa-bridge"
SSA_SERIES = frozenset({"ssa", SSA_BRIDGE})


class Event(NamedTuple):
    """One row of a calendar. The first fourteen fields are the documented output contract.

    A named tuple, not a dataclass: the engine builds one for every event of every course, and
    a tuple is built several times faster than a frozen dataclass (`with_flags` and
    `_replace` give changed copies)."""

    key: str
    kind: Kind
    series: str
    number: int
    title: str
    drug: str | None
    dose: str | None
    date: dt.date
    end: dt.date
    window_start: dt.date
    window_end: dt.date
    status: Status
    given_on: dt.date | None
    flags: tuple[Flag, ...] = ()
    description: str = ""

    def with_flags(self, *more: Flag) -> Event:
        """The event with more flags (built as a tuple: `_replace` is several times slower)."""
        return Event._make((*self[:13], (*self.flags, *more), self.description))

    @property
    def effective_date(self) -> dt.date:
        """The day it happened if recorded, else the day it is planned for."""
        return self.given_on or self.date
