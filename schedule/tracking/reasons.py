"""The pieces of an explanation (`explain.py`): a reason with its facts, rule and source id;
what every reason reads of the course (`Basis`); and the reason for each flag the engine raises.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from schedule.domain.model import Event, Flag, RecordType, Status
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
from schedule.domain.pregnancy import SOURCE as PREGNANCY_SOURCE
from schedule.domain.regimen import Regimen
from schedule.domain.regimen_file import builtin_texts
from schedule.domain.settings import Settings
from schedule.engine.doses import first_orderable
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
        text = f"on hold from {hold.day} ({hold.note})"
        if resumed:
            return (
                text
                + f", resumed {resumed[0].day}: then the first day it can still be ordered (L41)"
            )
        return text


def flag_reason(why: Basis, flag: Flag) -> Reason:
    """Why the event carries `flag`."""
    explain = _FLAGS.get(flag.value)
    if explain is None:
        return Reason("flag", flag.value, (GENERIC[flag.value],))
    return explain(why)


def _washout(why: Basis) -> Reason:
    ssa = why.regimen.ssa
    days = ssa.washout_days if ssa else 28
    source = ssa_source(why.regimen, "washout") if ssa else "L15, L19"
    mine = why.event.effective_date
    hits = []
    for view in why.views:
        for other in view.events:
            if other.series != "ssa" or other.status in (Status.SKIPPED, Status.CANCELLED):
                continue
            for dose in view.events if why.event.series == "ssa" else [why.event]:
                if dose.series != view.regimen.dose.series and dose is not why.event:
                    continue
                gap = (dose.effective_date - other.effective_date).days
                if 0 < gap < days and mine in (dose.effective_date, other.effective_date):
                    where = "" if view is why.view else f" (course {view.course.number})"
                    hits.append(
                        f"{why.said(other)}{where}, {gap} days before {dose.key} "
                        f"on {dose.effective_date}"
                    )
    return Reason(
        "flag",
        Flag.SSA_WASHOUT_CONFLICT.value,
        tuple(dict.fromkeys(hits)) or ("a long-acting SSA of another course",),
        f"no long-acting SSA under {days} days before a dose",
        source,
    )


def _max_delay(why: Basis) -> Reason:
    dose = why.regimen.dose
    prev = why.other(f"{dose.series}-{why.event.number - 1}")
    every = timedelta(days=why.view.course.options.interval_days or dose.interval_days)
    planned = prev.given_on + every if prev and prev.given_on else why.event.date
    day = why.event.given_on or max(why.event.date, why.as_of)
    limit = dose.max_delay_days or 0
    late = (day - planned).days
    facts = (
        why.said(prev),
        f"planned one interval later, {planned}",
        f"{'given' if why.event.given_on else 'not given by'} {day}, {late} days later",
    )
    return Reason(
        "flag",
        Flag.MAX_DELAY_EXCEEDED.value,
        facts,
        f"a delay of {limit} days or more past the planned date: permanent "
        "discontinuation, for a clinician to confirm",
        source_id(dose.max_delay_source),
    )


def _reduced(why: Basis) -> Reason:
    dose = why.regimen.dose
    if why.event.given_on is not None:
        facts = (f"{why.event.key} recorded as {why.event.dose}, below the full {dose.amount}",)
        return Reason(
            "flag",
            Flag.REDUCED_DOSE.value,
            facts,
            "the full dose",
            source_id(dose.amount_source),
        )
    hold = why.hold_before() or "after a toxicity hold"
    return Reason(
        "flag",
        Flag.REDUCED_DOSE.value,
        (hold, f"planned at {dose.reduced}"),
        "resume at the reduced dose after a hold",
        "L7",
    )


def _labs(why: Basis, flag: Flag) -> Reason:
    """On the dose: its labs missing or too old; on the labs themselves: too old for it."""
    number, dose_series = why.event.number, why.regimen.dose.series
    lab = why.other(f"labs-{number}")
    dose = why.other(f"{dose_series}-{number}") if why.event.series != dose_series else why.event
    if dose is None:
        dose = why.event
    related = next((r for r in why.regimen.related if r.series == "labs"), None)
    source = source_id(related.source) if related else None
    if flag is Flag.LABS_STALE and lab is not None and lab.given_on is not None:
        day = dose.given_on or max(dose.date, why.as_of)
        gap = (day - lab.given_on).days
        limit = -related.start if related else 28
        can = "given" if dose.given_on else "at the earliest"
        old = (why.said(lab), f"{gap} days before {dose.key} ({can} {day})")
        return Reason(
            "flag", flag.value, old, f"labs count up to {limit} days before the dose", source
        )
    none = f"{lab.key} {lab.status.value}, nothing recorded" if lab else "no labs recorded"
    return Reason("flag", flag.value, (none,), "labs before each dose", source)


def _pregnancy(why: Basis) -> Reason:
    """On a radioligand dose: no pregnancy test recorded in time for it; an unknown status
    counts as "can become pregnant" until someone asks."""
    test = why.other(f"{PREGNANCY_TEST}-{why.event.number}")
    if test is not None and test.given_on is not None:
        days = why.settings.pregnancy_test_days
        facts = [f"{why.said(test)}, more than {days} days before {why.event.key}"]
    else:
        shown = f"{test.key} {test.status.value}" if test else PREGNANCY_TEST
        facts = [f"{shown}, nothing recorded"]
    patient = why.view.patient
    if patient.pregnancy is None:
        facts.append(
            f"whether {patient.id} can become pregnant is not known: ask, then record the "
            "answer as the patient's pregnancy, yes or no"
        )
    else:
        facts.append(f"{patient.id} can become pregnant (pregnancy {patient.pregnancy})")
    return Reason(
        "flag",
        Flag.PREGNANCY_TEST_MISSING.value,
        tuple(facts),
        f"a pregnancy test within {why.settings.pregnancy_test_days} days before each "
        "radioligand dose (site setting pregnancy_test_days)",
        source_id(PREGNANCY_SOURCE),
    )


def _order_late(why: Basis) -> Reason:
    """On an order deadline passed with no order recorded: the first dose day that can still
    be ordered for, counting from today."""
    order, number = why.event, why.event.number
    dose = why.other(f"{why.regimen.dose.series}-{number}")
    facts = [f"{order.key} deadline {order.end} passed, no order recorded"]
    related = next((r for r in why.regimen.related if r.series == order.series), None)
    if dose is not None:
        facts.append(why.said(dose))
        day = first_orderable(why.regimen, number, max(dose.date, why.as_of), why.as_of)
        text = f"ordered today, {dose.key} can be given from {day}"
        if day > dose.window_end:
            text += f", after its window closes {dose.window_end}: reschedule it"
        facts.append(text)
    return Reason(
        "flag",
        Flag.ORDER_LATE.value,
        tuple(facts),
        "the order is late: place it now, for the next dose day it can still be ordered for",
        source_id(related.source) if related else None,
    )


def _outside(why: Basis) -> Reason:
    e = why.event
    facts = (f"given {e.given_on}", f"its window {e.window_start} to {e.window_end}")
    return Reason("flag", Flag.OUTSIDE_WINDOW.value, facts, "given outside its window")


def _override(why: Basis) -> Reason:
    for record in reversed(why.view.standing):
        if record.event == why.event.key and record.override:
            facts = (
                f"record {record.id} ({record.type.value} {record.day}) passed a guard: "
                f"{record.override}",
            )
            return Reason("flag", Flag.OVERRIDE.value, facts, "a clinician's reason")
    return Reason("flag", Flag.OVERRIDE.value, ("recorded past a guard",))


def _duplicate(why: Basis) -> Reason:
    least = why.settings.ssa_min_interval_days
    mine = why.event.effective_date
    hits = [
        f"{why.said(e)} (course {v.course.number}), "
        f"{abs((e.effective_date - mine).days)} days apart"
        for v in why.views
        if v is not why.view
        for e in v.events
        if e.series == "ssa"
        and e.status not in (Status.SKIPPED, Status.CANCELLED)
        and abs((e.effective_date - mine).days) < least
    ]
    return Reason(
        "flag",
        Flag.DUPLICATE_SSA.value,
        tuple(hits) or ("another course's SSA",),
        f"long-acting SSA injections at least {least} days apart",
        "site setting ssa_min_interval_days",
    )


_FLAGS: dict[str, Callable[[Basis], Reason]] = {
    Flag.SSA_WASHOUT_CONFLICT.value: _washout,
    Flag.MAX_DELAY_EXCEEDED.value: _max_delay,
    Flag.REDUCED_DOSE.value: _reduced,
    Flag.LABS_MISSING.value: lambda why: _labs(why, Flag.LABS_MISSING),
    Flag.LABS_STALE.value: lambda why: _labs(why, Flag.LABS_STALE),
    Flag.OUTSIDE_WINDOW.value: _outside,
    Flag.OVERRIDE.value: _override,
    Flag.DUPLICATE_SSA.value: _duplicate,
    Flag.PREGNANCY_TEST_MISSING.value: _pregnancy,
    Flag.ORDER_LATE.value: _order_late,
}

# Flags whose reasons the site's settings hold (closures, capacity): said in general words.
GENERIC = {
    "clinic-closed": "planned on a day the clinic is closed (site setting closures)",
    "over-capacity": "its day needs more chair-hours than the clinic has (site setting capacity)",
}

EXPLAINED = frozenset(_FLAGS) | frozenset(GENERIC)
