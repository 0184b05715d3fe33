"""A regimen's dose-modification table, as data: for each toxicity and grade what the label says
to do (withhold; withhold then resume at the reduced amount; discontinue), what a recurrence
means, how often the dose may be reduced and whether the full dose may come back. Every row
carries its `source`. Read from a regimen file's `[modifications]` table by `parse_modifications`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from schedule.domain.toml_table import TomlTable
from schedule.domain.toxicity import GRADES, Toxicity, parse_toxicity


class Action(enum.Enum):
    """What a toxicity of a row asks for."""

    NONE = "none"  # no dose modification (a hold is the care team's own decision)
    WITHHOLD = "withhold"  # withhold until resolution, then the same dose
    REDUCE = "reduce"  # withhold until resolution, then the reduced amount
    DISCONTINUE = "discontinue"  # permanent discontinuation


@dataclass(frozen=True)
class Row:
    """One row of the table: toxicities of these grades call for `action`; after a reduction
    this row caused and a dose given since, the same toxicity again calls for `recurrence`."""

    toxicities: tuple[Toxicity, ...]
    grades: tuple[int, ...]
    action: Action
    resume: str  # when the dose may come again, in the label's words
    recurrence: Action | None
    source: str

    def matches(self, toxicity: Toxicity, grade: int) -> bool:
        return toxicity in self.toxicities and grade in self.grades


@dataclass(frozen=True)
class Modifications:
    rows: tuple[Row, ...]
    max_reductions: int | None  # None: the label gives no limit
    reductions_source: str
    full_again: bool  # the full dose may come back after a reduced dose with no recurrence
    full_again_source: str

    def row_for(self, toxicity: Toxicity, grade: int) -> tuple[int, Row] | None:
        """The first row that names the toxicity at this grade, with its index."""
        for index, row in enumerate(self.rows):
            if row.matches(toxicity, grade):
                return index, row
        return None


def parse_modifications(table: TomlTable, has_reduced: bool) -> Modifications:
    """Validate a `[modifications]` table; `has_reduced`: the regimen names a reduced amount
    (a row that reduces needs one)."""
    table.unknown(("reductions", "full_dose_again", "rows"))
    max_reductions, reductions_source = None, ""
    if table.has("reductions"):
        sub = table.need("reductions")
        sub.unknown(("max", "source"))
        reductions_source = sub.source()
        max_reductions = sub.integer("max", low=1)
    again = table.need("full_dose_again")
    again.unknown(("allowed", "source"))
    allowed = again.data.get("allowed")
    if not isinstance(allowed, bool):
        raise again.fail("allowed", "must be true or false")
    rows = tuple(_row(sub, has_reduced) for sub in table.subs("rows"))
    if not rows:
        raise table.fail("rows", "lists no row; add [[modifications.rows]] tables")
    return Modifications(rows, max_reductions, reductions_source, allowed, again.source())


def _row(table: TomlTable, has_reduced: bool) -> Row:
    table.unknown(("toxicity", "grades", "action", "resume", "recurrence", "source"))
    names = table.data.get("toxicity")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise table.fail("toxicity", "must be a list of toxicity names")
    try:
        toxicities = tuple(parse_toxicity(n) for n in names)
    except Exception as exc:
        raise table.fail("toxicity", str(getattr(exc, "message", exc))) from None
    if Toxicity.OTHER in toxicities:
        raise table.fail("toxicity", "'other' is not a toxicity: it has no row")
    grades = table.data.get("grades")
    if (
        not isinstance(grades, list)
        or len(grades) != 2
        or not all(isinstance(g, int) and not isinstance(g, bool) for g in grades)
        or grades[0] not in GRADES
        or grades[1] not in GRADES
        or grades[1] < grades[0]
    ):
        raise table.fail("grades", "must be [lowest, highest], CTCAE grades 1 to 5")
    action = Action(table.choice("action", [a.value for a in Action]))
    recurrence = None
    if table.has("recurrence"):
        recurrence = Action(table.choice("recurrence", [Action.DISCONTINUE.value]))
        if action is not Action.REDUCE:
            raise table.fail("recurrence", "applies to rows whose action is reduce")
    if action is Action.REDUCE and not has_reduced:
        raise table.fail("action", "reduce needs dose.reduced, the reduced amount")
    return Row(
        toxicities,
        tuple(range(grades[0], grades[1] + 1)),
        action,
        table.optional_text("resume"),
        recurrence,
        table.source(),
    )
