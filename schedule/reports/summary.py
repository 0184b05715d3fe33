"""The report in words: the summary lines the HTML page opens with, and the compact text view
(`--format table`) that fits 80 columns: the summary, the doses per regimen, the weeks ahead."""

from __future__ import annotations

import textwrap
from typing import Any

from schedule.output.render import Column, render_table
from schedule.reports.collect import OUTCOMES
from schedule.reports.tables import Report, json_rows

WIDTH = 80
DOSE_TOTALS = (
    Column("regimen", "regimen"),
    Column("series", "series"),
    *(Column(o.replace("_", " "), o) for o in OUTCOMES),
)
WEEKS = (
    Column("week", "week"),
    Column("monday", "monday"),
    Column("infusions", "infusions"),
    Column("injections", "injections"),
    Column("hours", "chair_hours", lambda r: f"{r['chair_hours']:g}"),
    Column("capacity", "capacity", lambda r: f"{r['capacity']:g}"),
    Column("flags", "over_capacity", lambda r: "over-capacity" if r["over_capacity"] else ""),
)


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def summary_lines(report: Report) -> list[str]:
    """One line per table, in plain words, with the weeks over capacity named."""
    import pandas as pd

    doses = report.frames["doses"]
    totals = {o: int(doses[o].sum()) for o in OUTCOMES}
    lines = [
        f"Doses due: {sum(totals.values())}: {totals['on_time']} on time, {totals['early']} "
        f"early, {totals['late']} late, {totals['missed']} missed, {totals['skipped']} "
        f"skipped, {totals['open']} open."
    ]
    late = pd.Series(report.late_days, dtype="float64")
    if late.empty:
        lines.append("Days from target to given: no dose given.")
    else:
        lines.append(
            f"Days from target to given: median {_number(float(late.median()))}, 90th percentile "
            f"{_number(float(late.quantile(0.9)))} ({len(late)} doses given)."
        )
    holds = report.frames["holds"]
    if holds.empty:
        lines.append("Toxicity holds: none.")
    else:
        still = int((holds["ended_by"] == "open").sum())
        median, longest = float(holds["days"].median()), int(holds["days"].max())
        lines.append(
            f"Toxicity holds: {len(holds)} ({still} still open), median {_number(median)} "
            f"days, longest {longest} days."
        )
    labs = report.frames["labs"]
    lines.append(
        f"Labs before doses given: {int(labs['in_window'].sum())} of "
        f"{int(labs['doses_given'].sum())} in window ({int(labs['too_early'].sum())} too "
        f"early, {int(labs['too_late'].sum())} too late, {int(labs['not_done'].sum())} not "
        "done)."
    )
    lines.append(_capacity_line(report))
    if report.unreadable:
        lines.append(
            f"{report.unreadable} course(s) left out: their calendar cannot be computed "
            "from what is stored."
        )
    return lines


def _capacity_line(report: Report) -> str:
    load = report.rows("load")
    over = [r for r in load if r["over_capacity"]]
    span = f"the {report.span.weeks} weeks from {report.span.first_monday}"
    if not over:
        return f"Weeks over capacity: none in {span}."
    weeks = ", ".join(
        f"{r['week']} ({r['chair_hours']:g} of {r['capacity']:g} chair-hours)" for r in over
    )
    return f"Weeks over capacity in {span}: {weeks}."


def text_report(report: Report) -> str:
    """The compact view for a terminal: summary, doses per regimen and series, weeks ahead."""
    span = report.span
    head = f"Clinic report {span.start} to {span.end}, as of {span.as_of}"
    lines = [head]
    for line in summary_lines(report):
        lines += textwrap.wrap(line, WIDTH, subsequent_indent="  ")
    doses = report.frames["doses"]
    totals: list[dict[str, Any]] = (
        json_rows(doses.groupby(["regimen", "series"], as_index=False)[list(OUTCOMES)].sum())
        if not doses.empty
        else []
    )
    parts = ["\n".join(lines) + "\n"]
    if totals:
        parts.append(render_table(totals, DOSE_TOTALS, WIDTH))
    parts.append(render_table(report.rows("load"), WEEKS, WIDTH))
    return "\n".join(parts)
