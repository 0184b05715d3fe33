"""A course's recorded facts, indexed for the engine: by the event they name, and the
course-level holds and discontinuation in date order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from schedule.domain.model import Fact, RecordType


@dataclass(frozen=True, slots=True)
class FactIndex:
    """The facts of one course by what they say. Of two records of one event, the later wins.

    `holds` pairs each hold with the resume that ends it (`None`: still on hold);
    `discontinued` is the first day the course was stopped, if it was.
    """

    given: dict[str, Fact]
    skipped: dict[str, Fact]
    moved: dict[str, Fact]
    holds: tuple[tuple[date, date | None], ...]
    discontinued: date | None
    end_care: bool = False  # the discontinuation ends the after-course care too
    any_override: bool = False  # some record went past a guard (most courses: none)

    @classmethod
    def from_facts(cls, facts: Iterable[Fact]) -> FactIndex:
        """Index facts given in the order recorded."""
        given: dict[str, Fact] = {}
        skipped: dict[str, Fact] = {}
        moved: dict[str, Fact] = {}
        course_level = []
        for fact in facts:  # in the order recorded: a later record of an event wins
            if fact.type is RecordType.GIVEN and fact.event:
                given[fact.event] = fact
            elif fact.type is RecordType.SKIPPED and fact.event:
                skipped[fact.event] = fact
            elif fact.type is RecordType.RESCHEDULED and fact.event:
                moved[fact.event] = fact
            elif fact.event is None:
                course_level.append(fact)
        holds: list[tuple[date, date | None]] = []
        discontinued: date | None = None
        end_care = False
        open_hold: date | None = None
        for fact in sorted(course_level, key=lambda f: f.date):
            if fact.type is RecordType.HOLD and open_hold is None:
                open_hold = fact.date
            elif fact.type is RecordType.RESUME and open_hold is not None:
                holds.append((open_hold, fact.date))
                open_hold = None
            elif fact.type is RecordType.DISCONTINUED and discontinued is None:
                discontinued, end_care = fact.date, fact.end_care
        if open_hold is not None:
            holds.append((open_hold, None))
        overrides = any(f.override is not None for f in (*given.values(), *moved.values()))
        return cls(given, skipped, moved, tuple(holds), discontinued, end_care, overrides)

    def overridden(self, key: str) -> bool:
        """Whether the record that gives or moves `key` went past a guard."""
        if not self.any_override:
            return False
        fact = self.given.get(key) or self.moved.get(key)
        return fact is not None and fact.override is not None

    def hold_for(
        self, since: date, key: str, used: set[date | None]
    ) -> tuple[date | None, date | None]:
        """The latest toxicity hold begun while dose `key` was the next one pending: since the
        previous dose was given, and not after this one was. `used`: starts of holds applied.

        A hold applies to one dose only: the first pending dose after it begins.
        """
        given = self.given.get(key)
        found: tuple[date | None, date | None] = (None, None)
        for hold_start, hold_end in self.holds:
            if hold_start in used or hold_start < since:
                continue
            if given is None or hold_start <= given.date:
                found = (hold_start, hold_end)
        return found
