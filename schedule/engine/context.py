"""What every part of the engine shares while it builds one course: the frozen context (the
regimen, the start, the indexed facts, the as-of date and the choices), the rules read from it,
and the one constructor of events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from schedule.domain.model import Status
from schedule.domain.options import PlanOptions
from schedule.domain.regimen import Regimen, Window
from schedule.domain.settings import Settings
from schedule.engine.facts import FactIndex
from schedule.engine.status import ladder_status


@dataclass(frozen=True, slots=True)
class Context:
    """One course being built. `informational=False` leaves out events that only inform."""

    regimen: Regimen
    start: date
    facts: FactIndex
    as_of: date | None
    options: PlanOptions
    settings: Settings
    informational: bool
    # Events after this day are not wanted (a worklist's horizon): maintenance injections and
    # care after the course past it are not built unless recorded. None: build everything.
    cutoff: date | None = None
    # A calendar for checking a record (with `informational=False`): the order deadlines are
    # kept (an order can be recorded as placed), the course-wide flags are not set (no guard
    # looks at one), and with a cutoff the doses planned past it and everything after them are
    # left out (a record is checked against the doses before its own and its own event only;
    # a lean calendar lacking that event is not used).
    lean: bool = False
    # The patient's radioligand doses need a pregnancy test before them (`Patient.pregnancy`
    # is "yes" or not known); no patient, as in a regimen's plan: none.
    pregnancy_test: bool = False

    def beyond(self, day: date, key: str) -> bool:
        """Whether an event opening on `day` lies past the cutoff with nothing recorded."""
        cutoff = self.cutoff
        return cutoff is not None and day > cutoff and key not in self.facts.given

    def window_before(self, window: Window) -> int:
        """Days before its target that an event already counts as on time (None: site setting)."""
        return self.settings.ssa_early_tolerance_days if window.before is None else window.before

    def window_after(self, window: Window) -> int:
        """Days after its target that an event still counts as on time (None: site setting)."""
        return self.settings.ssa_late_tolerance_days if window.after is None else window.after

    def still_due(self, status: Status, series: str, number: int) -> Status:
        """A long-acting SSA injection past its window with nothing recorded stays overdue
        until it is given or skipped: the doctor decides when to give it, never a double dose
        (S9), and the next ones count from the day it is given (rule 10). It is missed only
        once a later injection of its series is given (that one took its place)."""
        if status is not Status.MISSED:
            return status
        prefix = f"{series}-"
        for key in self.facts.given:
            tail = key[len(prefix) :] if key.startswith(prefix) else ""
            if tail.isdigit() and int(tail) > number:
                return status
        return Status.OVERDUE

    def pending_actual(self, target: date) -> date:
        """When a dose not yet given can happen at the earliest: its target, or today if later."""
        return max(target, self.as_of) if self.as_of else target

    def cancelled_after(self, day: date) -> bool:
        """Whether the course was discontinued on or before this day."""
        stop = self.facts.discontinued
        return stop is not None and day >= stop

    def ended(self, target: date) -> bool:
        """Whether an event of the course's treatment will not happen because the course was
        discontinued: it was due on or after the stop, or the stop has come (whatever was
        still pending then, held or late, ends with the course)."""
        stop = self.facts.discontinued
        if stop is None:
            return False
        return target >= stop or (self.as_of is not None and self.as_of >= stop)

    def care_goes_on(self) -> bool:
        """After-course care (maintenance, follow-up labs, scans) survives a discontinuation
        unless it ended the care too."""
        return not self.facts.end_care

    def precaution_variant(self) -> str | None:
        """The precaution variant asked for: the course's choice, else the site's."""
        return self.options.precautions or self.settings.precautions

    def recorded(
        self,
        key: str,
        target: date,
        window_start: date,
        window_end: date,
        held: bool = False,
        after_course: bool = False,
    ) -> tuple[Status, date | None]:
        """Status and given date of a recordable event from the facts, else from the ladder.
        `after_course`: care after the treatment, which a discontinuation leaves in place."""
        facts = self.facts
        given = facts.given.get(key)
        if given is not None:
            return Status.GIVEN, given.date
        if key in facts.skipped:
            return Status.SKIPPED, None
        # `ended` and `care_goes_on` written out: this runs for every event of every course
        stop = facts.discontinued
        if (
            stop is not None
            and (not after_course or facts.end_care)
            and (target >= stop or (self.as_of is not None and self.as_of >= stop))
        ):
            return Status.CANCELLED, None
        if held:
            return Status.HELD, None
        return ladder_status(self.as_of, window_start, target, window_end), None


@lru_cache(maxsize=4096)
def event_title(template: str, n: int, count: int | None) -> str:
    """A regimen's title for event n; cached, as every course formats the same few."""
    return template.format(n=n, count=count or "")
