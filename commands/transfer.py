"""CSV in and out: `import roster|doses` and `export doses`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from commands.app import (
    App,
    today,
)


@click.group("import")
def import_group() -> None:
    """Import a roster of patients or the doses given, from CSV (all or nothing)."""


def _report_import(what: str, result: Any) -> None:
    verb = "would import" if result.dry_run else "imported"
    click.echo(f"{verb} {result.added} {what}; {result.unchanged} already stored")


@import_group.command("roster")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.pass_obj
def import_roster(app: App, file: Path, dry_run: bool) -> None:
    """Patients from CSV: patient_id,regimen,start[,name,tz,time]."""
    from schedule.tracking.roster import import_roster as run

    _report_import("patients", run(app.tracker, file, app.actor(), dry_run))


@import_group.command("doses")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.pass_obj
def import_doses(app: App, file: Path, dry_run: bool) -> None:
    """Doses given from CSV: patient_id,event,date[,dose,note,course]."""
    from schedule.tracking.transfer import import_doses as run

    _report_import("records", run(app.tracker, file, app.actor(), today(), dry_run))


@click.group("export")
def export_group() -> None:
    """Write stored data out as CSV."""


@export_group.command("doses")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File [default: stdout].",
)
@click.pass_obj
def export_doses(app: App, output: Path | None) -> None:
    """Every recorded dose, lab and scan, as CSV that 'prrt import doses' reads back."""
    from schedule.output.render import render
    from schedule.tracking.transfer import DOSES_COLUMNS
    from schedule.tracking.transfer import export_doses as rows

    text = render(rows(app.store), DOSES_COLUMNS, "csv", ())
    if output is None:
        click.echo(text, nl=False)
    else:
        from schedule.output.files import write_atomic

        write_atomic(output, text)
