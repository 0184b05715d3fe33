"""The report's tables, computed with pandas from what `collect` gathered. Their columns are a
documented contract (CSV and JSON alike; columns may be added at the end, never renamed):

- `doses`: per regimen, dose series and month of the target date, the doses `on_time` (given
  inside the window), `early`, `late` (given outside it, the engine's `outside-window`),
  `missed`, `skipped` and `open` (not given yet, and not missed as of the as-of date).
- `days_late`: per regimen and series, the days from target to given of the doses given:
  counts per bucket, `median` and `p90` (linear interpolation, one decimal).
- `holds`: one row per toxicity hold overlapping the span: its `start`, its `end` (the resume
  or discontinuation; empty while still open at the span's end), `ended_by` and `days`.
- `labs`: per regimen and month, the doses given and what became of the labs before each.
- `load`: per ISO week from the as-of date's, the infusions and injections planned, the
  chair-hours they take (as `prrt days` counts them: an infusion the regimen's visit length,
  L26, an injection the site's `appointment_minutes`) against the capacity (`site.chairs` x
  `site.chair_hours` each open day), and `over_capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from schedule.reports.collect import LAB_OUTCOMES, OUTCOMES, Collected, Span

if TYPE_CHECKING:
    import pandas as pd

BUCKETS = ("before_target", "on_target", "late_1_7", "late_8_14", "late_15_28", "late_over_28")
_EDGES = (-math.inf, -1, 0, 7, 14, 28, math.inf)  # right-closed: (-inf, -1], (-1, 0], ...

COLUMNS: dict[str, tuple[str, ...]] = {
    "doses": ("regimen", "series", "month", *OUTCOMES),
    "days_late": ("regimen", "series", "given", *BUCKETS, "median", "p90"),
    "holds": ("regimen", "patient_id", "course", "start", "end", "ended_by", "days"),
    "labs": ("regimen", "month", "doses_given", *LAB_OUTCOMES),
    "load": (
        "week", "monday", "infusions", "injections", "chair_hours", "capacity",
        "closed_days", "days_over", "over_capacity",
    ),
}  # fmt: skip
TABLES = tuple(COLUMNS)


@dataclass(frozen=True)
class Report:
    """The span, the tables as DataFrames (columns as in `COLUMNS`), and the courses left out
    because their calendar cannot be computed."""

    span: Span
    frames: dict[str, pd.DataFrame]
    unreadable: int
    late_days: tuple[int, ...] = ()  # of every dose given, for the span's median and p90

    def rows(self, name: str) -> list[dict[str, Any]]:
        """Table `name` as JSON-typed rows."""
        return json_rows(self.frames[name])

    def meta(self) -> dict[str, Any]:
        return {
            "from": self.span.start.isoformat(),
            "to": self.span.end.isoformat(),
            "as_of": self.span.as_of.isoformat(),
            "weeks": self.span.weeks,
            "unreadable_courses": self.unreadable,
        }

    def document(self) -> dict[str, Any]:
        """The span and every table, as JSON has them."""
        return {**self.meta(), "tables": {name: self.rows(name) for name in TABLES}}

    def combined(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Every table in one, for CSV: each row with its table's name first; the columns of
        every table, each once."""
        columns = ["table"]
        for name in TABLES:
            columns += [c for c in COLUMNS[name] if c not in columns]
        rows = [{"table": name, **row} for name in TABLES for row in self.rows(name)]
        return rows, columns

    @property
    def over_weeks(self) -> list[str]:
        load = self.frames["load"]
        return [str(w) for w in load.loc[load["over_capacity"], "week"]]


def build(collected: Collected, span: Span) -> Report:
    """The report's tables from what was collected."""
    frames = {
        "doses": dose_table(collected),
        "days_late": days_late_table(collected),
        "holds": hold_table(collected),
        "labs": lab_table(collected),
        "load": load_table(collected),
    }
    late = tuple(d.days_late for d in collected.doses if d.days_late is not None)
    return Report(span, frames, collected.unreadable, late)


def _frame(records: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([asdict(r) for r in records], columns=list(columns))


def _month(frame: pd.DataFrame) -> pd.DataFrame:
    frame["month"] = [d.strftime("%Y-%m") for d in frame["due"]]
    return frame


def _counts(
    frame: pd.DataFrame, keys: list[str], values: str, names: Sequence[str]
) -> pd.DataFrame:
    """One row per distinct `keys`, a column per name in `names`: how many rows had it."""
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(columns=[*keys, *names])
    counted = frame.groupby([*keys, values]).size().unstack(values, fill_value=0)
    counted = counted.reindex(columns=list(names), fill_value=0).reset_index()
    counted.columns.name = None
    return counted.sort_values(keys, ignore_index=True)


def dose_table(collected: Collected) -> pd.DataFrame:
    facts = _month(_frame(collected.doses, ("regimen", "series", "due", "outcome", "days_late")))
    return _counts(facts, ["regimen", "series", "month"], "outcome", OUTCOMES)


def days_late_table(collected: Collected) -> pd.DataFrame:
    import pandas as pd

    facts = _frame(collected.doses, ("regimen", "series", "due", "outcome", "days_late"))
    given = facts[facts["days_late"].notna()].copy()
    if given.empty:
        return pd.DataFrame(columns=list(COLUMNS["days_late"]))
    given["days_late"] = given["days_late"].astype(int)
    given["bucket"] = pd.cut(given["days_late"], bins=list(_EDGES), labels=list(BUCKETS))
    table = _counts(given, ["regimen", "series"], "bucket", BUCKETS)
    stats = given.groupby(["regimen", "series"])["days_late"]
    summary = pd.DataFrame(
        {
            "given": stats.size(),
            "median": stats.median().map(_one_decimal),
            "p90": stats.quantile(0.9).map(_one_decimal),
        }
    ).reset_index()
    table = table.merge(summary, on=["regimen", "series"])
    return table[list(COLUMNS["days_late"])]


def _one_decimal(value: float) -> float:
    return round(float(value), 1)


def hold_table(collected: Collected) -> pd.DataFrame:
    holds = _frame(collected.holds, COLUMNS["holds"])
    holds["start"] = [d.isoformat() for d in holds["start"]]
    holds["end"] = [d.isoformat() if d is not None else None for d in holds["end"]]
    return holds.sort_values(["start", "patient_id", "course"], ignore_index=True)


def lab_table(collected: Collected) -> pd.DataFrame:
    facts = _month(_frame(collected.labs, ("regimen", "due", "outcome")))
    table = _counts(facts, ["regimen", "month"], "outcome", LAB_OUTCOMES)
    table.insert(2, "doses_given", table[list(LAB_OUTCOMES)].sum(axis=1).astype(int))
    return table


def load_table(collected: Collected) -> pd.DataFrame:
    import pandas as pd

    days = pd.DataFrame(
        {
            "day": [d.day for d in collected.days],
            "infusions": [d.infusions for d in collected.days],
            "injections": [d.injections for d in collected.days],
            "chair_hours": [float(d.hours) for d in collected.days],
            "capacity": [float(d.capacity) for d in collected.days],
            "closed_days": [d.closure is not None for d in collected.days],
            "days_over": [d.over for d in collected.days],
        }
    )
    if days.empty:
        return pd.DataFrame(columns=list(COLUMNS["load"]))
    days["week"] = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in days["day"]]
    weeks = days.groupby("week", sort=True).agg(
        monday=("day", "min"),
        infusions=("infusions", "sum"),
        injections=("injections", "sum"),
        chair_hours=("chair_hours", "sum"),
        capacity=("capacity", "sum"),
        closed_days=("closed_days", "sum"),
        days_over=("days_over", "sum"),
    )
    weeks = weeks.reset_index()
    weeks["monday"] = [d.isoformat() for d in weeks["monday"]]
    weeks["over_capacity"] = weeks["chair_hours"] > weeks["capacity"]
    return weeks[list(COLUMNS["load"])]


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows with plain JSON types: numpy numbers as int or float (a whole float as an int),
    missing values as None."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # a numpy scalar
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value
