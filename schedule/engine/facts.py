"""A course's recorded facts, indexed for the engine: by the event they name, and the
course-level holds and discontinuation in date order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from schedule.domain.model import Fact, RecordType


class Hold(NamedTuple):
    """A hold paired with the resume that ends it (`end` None: still on hold), with what the
    hold recorded: the toxicity (None: a hold recorded before toxicities were kept) and grade,
    the reason, and whether the resume went past the label's stop rule (`override`)."""

    start: date
    end: date | None
    toxicity: str | None = None
    grade: int | None = None
    note: str = ""
    override: str | None = None


@dataclass(frozen=True, slots=True)
class FactIndex:
    """The facts of one course by what they say. Of two records of one event, the later wins.

    `holds` pairs each hold with the resume that ends it (`None`: still on hold);
    `discontinued` is the first day the course was stopped, if it was.
    """

    given: dict[str, Fact]
    skipped: dict[str, Fact]
    moved: dict[str, Fact]
    holds: tuple[Hold, ...]
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
        holds: list[Hold] = []
        discontinued: date | None = None
        end_care = False
        open_hold: Fact | None = None
        for fact in sorted(course_level, key=lambda f: f.date):
            if fact.type is RecordType.HOLD and open_hold is None:
                open_hold = fact
            elif fact.type is RecordType.RESUME and open_hold is not None:
                holds.append(_hold(open_hold, fact))
                open_hold = None
            elif fact.type is RecordType.DISCONTINUED and discontinued is None:
                discontinued, end_care = fact.date, fact.end_care
        if open_hold is not None:
            holds.append(_hold(open_hold, None))
        overrides = any(f.override is not None for f in (*given.values(), *moved.values()))
        return cls(given, skipped, moved, tuple(holds), discontinued, end_care, overrides)

    def overridden(self, key: str) -> bool:
        """Whether the record that gives or moves `key` went past a guard."""
        if not self.any_override:
            return False
        fact = self.given.get(key) or self.moved.get(key)
        return fact is not None and fact.override is not None

    def holds_for(self, since: date, key: str, used: set[date]) -> list[Hold]:
        """The holds begun while dose `key` was the next one pending, in date order: since the
        previous dose was given (a hold begun that day holds the next dose), and before this
        one was. `used`: starts of holds applied.

        A hold applies to one dose only: the first pending dose after it begins.
        """
        given = self.given.get(key)
        return [
            hold
            for hold in self.holds
            if hold.start not in used
            and hold.start >= since
            and (given is None or hold.start < given.date)
        ]


def _hold(began: Fact, ended: Fact | None) -> Hold:
    return Hold(
        began.date,
        ended.date if ended else None,
        began.toxicity,
        began.grade,
        began.note,
        ended.override if ended else None,
    )
