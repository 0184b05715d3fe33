"""The expected amount of each dose of a course, decided from its holds by the regimen's
dose-modification table (`domain.modifications`), and the label's stop rules.

The decisions run along the dose series: a toxicity that the table answers with a reduction
lowers the expected amount of the next dose (L7, R14); the full dose comes back after a reduced
dose with no toxicity where the table allows it (L10); the same toxicity again after restarting
at the reduced dose, a toxicity the table answers with discontinuation, or a reduction past the
table's count raises a stop for a clinician to confirm (L11, R14, R15). The software flags; it
never stops a course on its own: a resume recorded with an override goes on past the stop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from schedule.domain.modifications import Action, Row
from schedule.domain.regimen import Regimen
from schedule.domain.toxicity import Toxicity, cause_words
from schedule.domain.units import Quantity
from schedule.engine.facts import Hold


class Stop(NamedTuple):
    """A label's rule that says the course ends: in words, with its source ids."""

    rule: str
    source: str
    hold: Hold


class Decision(NamedTuple):
    """The amount a dose is expected at, and why; a stop rule it meets; the day the first
    toxicity hold that delays it began (the delay limit counts only for those, L12, R16)."""

    amount: Quantity
    reduced: bool
    why: str
    source: str
    stop: Stop | None = None
    toxic: date | None = None


@dataclass(slots=True)
class Level:
    """What carries from dose to dose: the current level and the reductions made."""

    reduced: bool = False
    reductions: int = 0
    why: str = ""
    source: str = ""
    pending: set[int] = field(default_factory=set)  # rows that reduced, no dose given since
    restarted: set[int] = field(default_factory=set)  # rows that reduced, a dose given since
    rows: set[int] = field(default_factory=set)  # every row that called for a reduction
    given_reduced: bool = False  # the previous dose was given at the reduced level


FULL_DOSE = "the full dose"  # the `why` of a dose no toxicity touched


def full_decision(regimen: Regimen) -> Decision:
    """A dose no hold touched, at the full amount."""
    dose = regimen.dose
    return Decision(dose.amount, False, FULL_DOSE, _ids(dose.amount_source))


def toxicity_words(hold: Hold) -> str:
    """ "grade 3 thrombocytopenia (hold of 2025-05-26)"."""
    what = cause_words(hold.toxicity, hold.grade) or "a toxicity of no recorded type"
    return f"{what} (hold of {hold.start})"


def decide(regimen: Regimen, level: Level, holds: Sequence[Hold]) -> Decision:
    """The decision for the next dose after `holds` (those begun since the previous dose was
    given), updating `level`."""
    dose, table = regimen.dose, regimen.modifications
    toxic: date | None = None
    stop: Stop | None = None
    for hold in holds:
        if hold.toxicity == Toxicity.OTHER.value:
            continue  # not a toxicity: the dose simply waits
        toxic = toxic or hold.start
        action, index, row = _action(regimen, hold)
        words = toxicity_words(hold)
        if action is Action.DISCONTINUE and row is not None:
            stop = Stop(f"{words}: permanent discontinuation", _ids(row.source), hold)
        elif action is Action.REDUCE:
            most = table.max_reductions if table else None
            spent = table is not None and most is not None and level.reductions >= most
            if row is not None and row.recurrence and index in level.restarted:
                rule = f"{words} recurred after restarting at the reduced dose: permanent "
                stop = Stop(rule + "discontinuation", _ids(row.source), hold)
                # Should a clinician go on, it is at the reduced amount.
                level.reductions += 0 if level.reduced else 1
                level.reduced, level.why = True, f"reduced after {words}"
                level.source = _ids(row.source, dose.reduced_source)
            elif spent and table is not None and (not level.reduced or index not in level.rows):
                # A further reduction the table does not allow (Pluvicto: one, R3).
                rule = f"{words} calls for a further reduction, and the table allows {most}: "
                stop = Stop(rule + "permanent discontinuation", _ids(table.reductions_source), hold)
            elif not level.reduced:
                level.reduced, level.reductions = True, level.reductions + 1
                level.why = f"reduced after {words}"
                level.source = _ids(row.source, dose.reduced_source) if row else _reduced(regimen)
            if index is not None:
                level.pending.add(index)
                level.rows.add(index)
    if stop is not None and stop.hold.override is not None:
        stop = None  # a clinician resumed past the rule, with a reason
    if toxic is None and level.reduced and level.given_reduced and _full_again(regimen):
        level.reduced = False
        level.why = "the full dose again: the reduced dose caused no recurrence"
        level.source = _ids(table.full_again_source) if table else _reduced(regimen)
    if level.reduced and dose.reduced is not None:
        return Decision(dose.reduced, True, level.why, level.source, stop, toxic)
    if level.why:
        return Decision(dose.amount, False, level.why, level.source, stop, toxic)
    full = full_decision(regimen)
    return full._replace(stop=stop, toxic=toxic) if stop or toxic else full


@lru_cache(maxsize=1024)  # a clinic records the same few amounts, for every course
def below_expected(amount: Quantity, expected: Quantity, tolerance: int) -> bool:
    """Recorded below the expected amount by more than `tolerance` percent."""
    return amount.comparable(expected) and amount.base * 100 < expected.base * (100 - tolerance)


def after_dose(level: Level, given: bool, skipped: bool) -> None:
    """Carry a dose into the level: given, the rows that reduced before it now count for
    recurrence; given or still to come (the plan assumes it goes well), the next dose knows
    whether this one was reduced; skipped, it was not given at the reduced amount."""
    level.given_reduced = level.reduced and not skipped
    if given:
        level.restarted |= level.pending
        level.pending.clear()


def _action(regimen: Regimen, hold: Hold) -> tuple[Action, int | None, Row | None]:
    """What the table says of the hold's toxicity: a hold of no recorded type, and every
    toxicity of a regimen with no table, resume at the reduced amount (as they always did);
    a toxicity no row names changes nothing (the hold is the care team's own decision)."""
    table = regimen.modifications
    if table is None or hold.toxicity is None or hold.grade is None:
        return (Action.REDUCE if regimen.dose.reduced else Action.WITHHOLD), None, None
    found = table.row_for(Toxicity(hold.toxicity), hold.grade)
    if found is None:
        return Action.NONE, None, None
    index, row = found
    return row.action, index, row


def _full_again(regimen: Regimen) -> bool:
    table = regimen.modifications
    return True if table is None else table.full_again


def _reduced(regimen: Regimen) -> str:
    """The source ids of the regimen's reduced amount."""
    return _ids(regimen.dose.reduced_source)


_ID = re.compile(r"[A-Z]+\d+")


def _ids(*sources: str) -> str:
    """The row ids the sources start with ("T1, L7: AJR ..." -> "T1, L7"), joined; a source
    that starts with no id is named by its document ("AJR 2022 Table 1 (PMC10133840)")."""
    ids: list[str] = []
    for source in sources:
        head = source.split(":", 1)[0].strip()
        parts = [p.strip() for p in head.split(",") if p.strip()]
        found = [p for p in parts if _ID.fullmatch(p)] or parts[:1]
        ids += [p for p in found if p not in ids]
    return ", ".join(ids)
