"""CSV in and out: `import roster|doses` and `export roster|doses`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from commands.app import App, today
from commands.options import EXCEL_BOM, create_option
from commands.output import progress


@click.group("import")
def import_group() -> None:
    """Import a roster of patients or the doses given, from CSV (all or nothing)."""


def _report_import(what: str, result: Any, update: bool = False) -> None:
    verb = "would import" if result.dry_run else "imported"
    n = result.courses
    more = f"; {n} more course{'s' if n != 1 else ''}" if n else ""
    changed = f"; {result.updated} updated" if update else ""
    click.echo(f"{verb} {result.added} {what}{more}{changed}; {result.unchanged} already stored")


@import_group.command("roster")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.option(
    "--update",
    is_flag=True,
    help="Store the file's name, tz, time, lang and pregnancy over the stored ones.",
)
@click.option(
    "--past-start",
    is_flag=True,
    help="Accept starts more than site.past_start_days ago on every row (else: the row's "
    "past_start column).",
)
@create_option
@click.pass_obj
def import_roster(app: App, file: Path, dry_run: bool, update: bool, past_start: bool) -> None:
    """Patients' courses from CSV: patient_id,regimen,start[,name,tz,time,lang,course,...]."""
    from schedule.services.imports import import_roster as run
    from schedule.tracking.roster import RosterChangeError

    try:
        with progress("checking rows") as on_progress:
            result = run(
                app.tracker, file, app.actor(), today(), dry_run, update, past_start, on_progress
            )
    except RosterChangeError as exc:
        exc.message += "; import with --update to store the file's values"
        raise
    _report_import("patients", result, update)


@import_group.command("doses")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.pass_obj
def import_doses(app: App, file: Path, dry_run: bool) -> None:
    """Doses given from CSV: patient_id,event,date[,dose,note,course]."""
    from schedule.services.imports import import_doses as run

    with progress("checking rows") as on_progress:
        result = run(
            app.tracker, file, app.actor(), today(), dry_run, on_progress, os.cpu_count() or 1
        )
    _report_import("records", result)


@click.group("export")
def export_group() -> None:
    """Write stored data out as CSV."""


def _output_options(func: Any) -> Any:
    func = click.option(
        "--excel", is_flag=True, help="Begin with a UTF-8 byte-order mark, so Excel shows accents."
    )(func)
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path),
        help="File [default: stdout].",
    )(func)


_CHUNK = 2_000  # rows rendered between two steps of the progress bar


def _csv(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """`rows` as CSV, a chunk at a time, with a progress bar on a terminal."""
    from schedule.output.render import render

    parts = [render([], columns, "csv", ())]  # the header
    with progress("writing rows") as on_progress:
        for start in range(0, len(rows), _CHUNK):
            chunk = render(rows[start : start + _CHUNK], columns, "csv", ())
            parts.append(chunk.split("\n", 1)[1])
            on_progress(min(start + _CHUNK, len(rows)), len(rows))
    return "".join(parts)


def _write_csv(text: str, output: Path | None, excel: bool) -> None:
    if excel:
        text = EXCEL_BOM + text
    if output is None:
        click.echo(text, nl=False)
    else:
        from schedule.output.files import write_atomic

        write_atomic(output, text, mode=0o600)


@export_group.command("doses")
@_output_options
@click.pass_obj
def export_doses(app: App, output: Path | None, excel: bool) -> None:
    """Every recorded dose, lab and scan, as CSV that 'prrt import doses' reads back."""
    from schedule.tracking.doses_file import DOSES_COLUMNS
    from schedule.tracking.doses_file import export_doses as rows

    _write_csv(_csv(rows(app.store), DOSES_COLUMNS), output, excel)


@export_group.command("roster")
@_output_options
@click.pass_obj
def export_roster(app: App, output: Path | None, excel: bool) -> None:
    """Every patient's courses, as CSV that 'prrt import roster' reads back."""
    from schedule.tracking.roster import ROSTER_COLUMNS
    from schedule.tracking.roster import export_roster as rows

    _write_csv(_csv(rows(app.store), ROSTER_COLUMNS), output, excel)
