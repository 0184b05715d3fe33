"""`report`: the clinic's numbers for a span of months (doses on time, late and missed, days
late, holds, labs) and the infusion load of the weeks ahead, as an HTML page with charts
(`-o report.html`), as CSV or JSON, or as a compact summary."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.app import App, today
from commands.options import ISO_DATE, as_of_option, format_option
from commands.output import emit, write_text

if TYPE_CHECKING:
    from schedule.reports.tables import Report

# The report's tables (`schedule.reports.tables.TABLES`), named here so that `--help` does
# not import pandas.
REPORT_TABLES = ("doses", "days_late", "holds", "labs", "load")
MAX_SPAN_DAYS = 1827  # five years


@click.command()
@as_of_option
@click.option(
    "--from", "start", type=ISO_DATE,
    help="First target date counted [default: 12 months before --to, the day after].",
)  # fmt: skip
@click.option("--to", "end", type=ISO_DATE, help="Last target date counted [default: --as-of].")
@click.option(
    "--weeks", type=click.IntRange(min=1, max=104), default=12, show_default=True,
    help="ISO weeks of infusion load from the as-of date's week.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, allow_dash=True),
    help="Write the report as one HTML page with its charts to this file.",
)  # fmt: skip
@click.option(
    "--table", "table_name", type=click.Choice(REPORT_TABLES),
    help="With --format csv or json: only this table [default: all].",
)  # fmt: skip
@format_option
@click.pass_context
def report(
    ctx: click.Context,
    as_of: date | None,
    start: date | None,
    end: date | None,
    weeks: int,
    output: Path | None,
    table_name: str | None,
    fmt: str,
) -> None:
    """The clinic's report: doses on time, early, late and missed per regimen and month,
    days late, toxicity holds, labs in window, and the infusion chair-hours of the weeks
    ahead against capacity (weeks over it flagged).

    Numbers with --format csv or json (one table with --table NAME, else all of them);
    the HTML page with its charts with -o FILE.
    """
    app = ctx.find_object(App)
    assert app is not None
    explicit_format = ctx.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE
    excel = bool(ctx.meta.get("prrt.excel"))
    if output is not None and (explicit_format or excel):
        raise click.UsageError("-o writes the HTML report; --format csv or json prints numbers")
    if table_name is not None and (output is not None or fmt == "table"):
        raise click.UsageError("--table goes with --format csv or json")
    if excel and fmt == "json":
        raise click.UsageError("--excel writes CSV; it cannot be combined with --format json")
    from schedule.services.report import clinic_report, report_span

    day = as_of or today()
    span = report_span(day, start, end, weeks)
    if span.start > span.end:
        to = f"--to {end}" if end else f"--to (the as-of date, {span.end})"
        raise click.UsageError(f"--from {span.start} is after {to}")
    if (span.end - span.start).days > MAX_SPAN_DAYS:
        raise click.UsageError("--from and --to span at most five years")
    closures = app.closures  # a malformed calendar is refused before the database is opened
    found = clinic_report(app.reader, app.catalog, app.settings, closures, span)
    _render(found, output, table_name, fmt, app.settings.clinic_name)


def _render(
    found: Report, output: Path | None, table_name: str | None, fmt: str, clinic: str
) -> None:
    """The report as an HTML page with its charts (to `output`), as text, or as numbers."""
    if output is not None:
        from schedule.reports.charts import all_charts
        from schedule.reports.document import html_report

        charts = all_charts(found)
        page = html_report(found, charts, clinic)
        write_text(output, page, f"wrote the report ({len(charts)} charts) to {output}")
    elif fmt == "table":
        from schedule.reports.summary import text_report

        click.echo(text_report(found), nl=False)
    elif table_name is not None:
        from schedule.reports.tables import COLUMNS

        emit(found.rows(table_name), COLUMNS[table_name], fmt, ())
    elif fmt == "json":
        click.echo(json.dumps(found.document(), indent=2))
    else:
        emit(*found.combined(), fmt, ())
