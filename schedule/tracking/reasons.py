"""The pieces of an explanation (`explain.py`): a reason with its facts, rule and source id,
and what every reason reads of the course (`Basis`); each flag's reason: `flag_reasons.py`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from schedule.domain.model import Event, RecordType, Status
from schedule.domain.regimen import Regimen
from schedule.domain.regimen_file import builtin_texts
from schedule.domain.settings import Settings
from schedule.domain.toxicity import hold_words
from schedule.engine.views import CourseView


@dataclass(frozen=True)
class Reason:
    """One thing explained (`about`: date, window, status or a flag) and its value, the facts
    it rests on, and the rule with its source id."""

    about: str
    value: str
    facts: tuple[str, ...] = ()
    rule: str | None = None
    source: str | None = None

    @property
    def line(self) -> str:
        rule = ", ".join(p for p in (self.rule, self.source) if p)
        return f"{self.about} {self.value}: " + "; ".join([*self.facts, *([rule] if rule else [])])


_IDS = re.compile(r"[A-Z]+\d+(, ?[A-Z]+\d+)*")


def source_id(source: str) -> str:
    """The row ids a `source` starts with ("L4: US PI ..." -> "L4"), else its first clause
    (a site's own choice: "no source gives a window; site policy ..." -> "site policy")."""
    head = source.split(":", 1)[0].strip()
    if _IDS.fullmatch(head):
        return head
    return "site policy" if "site policy" in source else source.split(";", 1)[0].strip()


@lru_cache(maxsize=64)
def _raw(path: str) -> dict[str, Any]:
    """The regimen file as read, for the sources the frozen regimen does not keep."""
    builtin = dict(builtin_texts())
    text = builtin.get(path)
    if text is None:
        text = Path(path).read_text(encoding="utf-8")
    return tomllib.loads(text)


def ssa_source(regimen: Regimen, part: str) -> str | None:
    table = _raw(regimen.path).get("ssa", {}).get(part, {})
    return source_id(table["source"]) if "source" in table else None


def around(days: int) -> str:
    """Days from a dose in words: "28 days before the dose", "the day of the dose"."""
    if days == 0:
        return "the day of the dose"
    word = "day" if abs(days) == 1 else "days"
    return f"{abs(days)} {word} {'before' if days < 0 else 'after'} the dose"


def days_text(n: int) -> str:
    return f"{'+' if n >= 0 else '-'} {abs(n)} day{'s' if abs(n) != 1 else ''}"


@dataclass(frozen=True)
class Basis:
    """What the reasons read: the course, all the patient's courses, the event, the site."""

    view: CourseView
    views: list[CourseView]
    event: Event
    settings: Settings
    as_of: date

    @property
    def regimen(self) -> Regimen:
        return self.view.regimen

    def other(self, key: str) -> Event | None:
        return self.view.event(key)

    def said(self, event: Event | None) -> str:
        """An event as a fact: "prrt-1 given 2026-09-23", "prrt-2 planned for 2026-11-18"."""
        if event is None:
            return "(none)"
        if event.given_on is not None:
            return f"{event.key} given {event.given_on}"
        return f"{event.key} {event.status.value}, target {event.date}"

    def counted_from(self, before: Event | None) -> tuple[str, ...]:
        """The day the next event counts from when it is not `before`'s target: a dose still
        not given counts from the first day it can still happen (the as-of date)."""
        if before is None or before.given_on is not None:
            return ()
        if before.status in (Status.SKIPPED, Status.CANCELLED) or before.date >= self.as_of:
            return ()
        return (f"still not given on {self.as_of}: counted from {self.as_of}",)

    def record(self, kind: RecordType) -> str | None:
        for record in reversed(self.view.standing):
            if record.event == self.event.key and record.type is kind:
                note = f": {record.note}" if record.note else ""
                return f"{kind.value} on {record.day} (record {record.id}){note}"
        return None

    # -- the date ---------------------------------------------------------------------------

    def hold_before(self) -> str | None:
        """The toxicity hold that moved or holds this dose, in words."""
        level = [r for r in self.view.standing if r.event is None]
        dose = self.regimen.dose.series
        before = (
            self.other(f"{dose}-{self.event.number - 1}") if self.event.series == dose else None
        )
        since = before.given_on if before is not None and before.given_on else None
        until = self.event.given_on
        holds = [
            r
            for r in level
            if r.type is RecordType.HOLD
            and (since is None or r.day >= since)
            and (until is None or r.day <= until)
        ]
        if not holds:
            return None
        hold = holds[-1]
        resumed = [r for r in level if r.type is RecordType.RESUME and r.day >= hold.day]
        why = hold_words(hold.toxicity, hold.grade, hold.note)
        text = f"on hold from {hold.day} ({why or 'no reason given'})"
        if resumed:
            orders = [source_id(r.source) for r in self.regimen.related if r.order]
            cite = f" ({', '.join(orders)})" if orders else ""
            return (
                text + f", resumed {resumed[0].day}: then the first day it can still be ordered"
                f"{cite}"
            )
        return text
