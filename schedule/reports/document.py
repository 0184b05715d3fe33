"""The report as one self-contained HTML page: headings, each chart inline as SVG with a
caption, each table with its caption, and a stylesheet that prints on A4 in black and white.
No script, no external file, nothing fetched."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from schedule.reports.summary import summary_lines
from schedule.reports.tables import COLUMNS, Report

HEADERS = {
    "on_time": "on time",
    "days_late": "days late",
    "before_target": "before target",
    "on_target": "on target",
    "late_1_7": "1-7 d late",
    "late_8_14": "8-14 d late",
    "late_15_28": "15-28 d late",
    "late_over_28": "over 28 d late",
    "patient_id": "patient",
    "ended_by": "ended by",
    "doses_given": "doses given",
    "in_window": "labs in window",
    "too_early": "too early",
    "too_late": "too late",
    "not_done": "not done",
    "chair_hours": "chair-hours",
    "closed_days": "closed days",
    "days_over": "days over",
    "over_capacity": "over capacity",
}
SECTIONS = {
    "doses": (
        "Doses: on time, early, late, missed",
        "Doses per regimen, dose series and month of their target date.",
        "A dose is on time when given inside its window (Lutathera and Pluvicto: 7 days either "
        "side of the target, L4, R1; a monthly injection: up to the site's "
        "ssa_late_tolerance_days after it, S10), early or late when given outside it (the "
        "flag outside-window), missed when its window closed with nothing recorded, open "
        "when not given yet and not missed. The statuses are those of 'show' and 'missed' "
        "for the as-of date.",
    ),
    "days_late": (
        "Days late",
        "Days from the target date to the day given, doses given, per regimen and series.",
        "Median and 90th percentile (linear interpolation), in days; negative: given before "
        "the target.",
    ),
    "holds": (
        "Toxicity holds",
        "Each toxicity hold that overlaps the span, from the hold to its resume or "
        "discontinuation.",
        "A hold still open at the end of the span (or the as-of date, if sooner) counts its "
        "days up to that day.",
    ),
    "labs": (
        "Labs before each dose",
        "Labs before each dose given, per regimen and month of the dose's target date.",
        "In window: taken 28 to 1 days before the day the dose was given (L28; too early is "
        "the flag labs-stale); not done: never recorded, or skipped.",
    ),
    "load": (
        "Infusion load, weeks ahead",
        "Planned infusions and injections per ISO week, chair-hours against capacity.",
        "Chair-hours as 'days' counts them: an infusion the regimen's visit length (Lutathera "
        "about 5 h, L26), an injection the site's appointment_minutes. Capacity: site chairs "
        "x chair_hours on each open day (chairs_by_weekday; none on a closed day).",
    ),
}
_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #000; background: #fff;
  max-width: 60em; margin: 1em auto; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #000; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border: 1px solid #000; padding: 0.15em 0.5em; }
th { background: #e6e6e6; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.over td { font-weight: bold; background: #d9d9d9; }
figure { margin: 0.6em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption, p.note { font-size: 0.9em; }
.summary li { margin: 0.15em 0; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, table, tr { break-inside: avoid; page-break-inside: avoid; }
  th, tr.over td { background: none; }
}
"""


def html_report(report: Report, charts: Mapping[str, str], site: str = "") -> str:
    """The whole page. `charts`: the SVG of each chart by table name (`charts.all_charts`)."""
    span = report.span
    title = f"Clinic report {span.start} to {span.end}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(site + ': ' if site else '')}doses due from {span.start} to {span.end}, "
        f"statuses as of {span.as_of}; infusion load for the {span.weeks} weeks from "
        f"{span.first_monday}. Computed from the recorded facts.</p>",
        '<p class="note"><strong>Not medical advice.</strong> A scheduling aid: it counts '
        "and flags; clinicians decide.</p>",
        "<h2>Summary</h2>",
        '<ul class="summary">',
        *(f"<li>{escape(line)}</li>" for line in summary_lines(report)),
        "</ul>",
    ]
    for name, (heading, caption, note) in SECTIONS.items():
        parts += [f'<section id="{name}">', f"<h2>{escape(heading)}</h2>"]
        if name in charts:
            parts += [
                "<figure>",
                charts[name],
                f"<figcaption>Figure: {escape(caption)}</figcaption>",
                "</figure>",
            ]
        parts += [_table(name, caption, report.rows(name)), f'<p class="note">{escape(note)}</p>']
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _table(name: str, caption: str, rows: list[dict[str, Any]]) -> str:
    columns = COLUMNS[name]
    head = "".join(f'<th scope="col">{escape(HEADERS.get(c, c))}</th>' for c in columns)
    lines = [f'<table id="table-{name}">', f"<caption>{escape(caption)}</caption>"]
    lines.append(f"<thead><tr>{head}</tr></thead>")
    lines.append("<tbody>")
    if not rows:
        lines.append(f'<tr><td colspan="{len(columns)}">none</td></tr>')
    for row in rows:
        over = bool(row.get("over_capacity"))
        cells = "".join(_cell(row.get(c)) for c in columns)
        lines.append(f'<tr class="over">{cells}</tr>' if over else f"<tr>{cells}</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return f"<td>{'OVER CAPACITY' if value else 'no'}</td>"
    if isinstance(value, int | float):
        return f'<td class="n">{value:g}</td>'
    return f"<td>{escape('' if value is None else str(value))}</td>"
