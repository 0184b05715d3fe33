"""FHIR R4 out and in: `fhir export` (one patient's Bundle, or every patient in the Bulk Data
format) and `fhir import` (doses given, from MedicationAdministration resources)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from commands.app import App, today
from commands.options import as_of_option
from commands.output import progress, write_text


@click.group("fhir")
def fhir() -> None:
    """Exchange plans and doses given with hospital systems in FHIR R4 (JSON)."""


@fhir.command("export")
@click.argument("patient_id", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File for one patient's Bundle [default: stdout].")  # fmt: skip
@click.option("--all", "everyone", is_flag=True,
              help="Every patient, as NDJSON files (one per resource type) in --out.")  # fmt: skip
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the --all export.")  # fmt: skip
@click.option("--with-name", is_flag=True, help="Put patients' names in the Patient resources.")
@as_of_option
@click.pass_obj
def export(
    app: App,
    patient_id: str | None,
    output: Path | None,
    everyone: bool,
    folder: Path | None,
    with_name: bool,
    as_of: date | None,
) -> None:
    """Write a patient's plan and doses as a FHIR Bundle (or --all --out DIR: Bulk Data NDJSON).

    The Bundle (type collection) holds the Patient, a CarePlan per course, a MedicationRequest
    per drug, ServiceRequests for labs and scans, a MedicationAdministration per recorded dose
    and a DetectedIssue per flag. The same data and day give the same bytes.
    """
    if everyone:
        if patient_id or output:
            raise click.UsageError("--all writes every patient into --out; drop PATIENT_ID / -o")
        if folder is None:
            raise click.UsageError("--all needs --out FOLDER")
        from schedule.services.fhir import fhir_bulk

        with progress("exporting patients") as on_progress:
            result = fhir_bulk(
                app.tracker, folder, as_of or today(), with_name, os.cpu_count() or 1, on_progress
            )
        import textwrap

        total = sum(n for _, n in result.counts)
        each = ", ".join(f"{n}\0{kind}" for kind, n in result.counts)  # kept on one line
        click.echo(f"wrote {total} resources to {folder}:")
        lines = textwrap.fill(each, 78, initial_indent="  ", subsequent_indent="  ")
        click.echo(lines.replace("\0", " "))
        for pid in result.broken:
            click.echo(
                f"prrt: warning: {pid} was left out: a course cannot be computed from what is "
                "stored (a date out of range)",
                err=True,
            )
        return
    if folder is not None:
        raise click.UsageError("--out goes with --all; for one patient use -o FILE")
    if not patient_id:
        raise click.UsageError("give a PATIENT_ID, or --all --out FOLDER")
    from schedule.fhir.bundle import dumps
    from schedule.services.fhir import fhir_bundle

    made = fhir_bundle(app.tracker, patient_id, as_of or today(), with_name)
    entries = len(made["entry"])
    write_text(output, dumps(made, indent=2) + "\n", f"wrote {entries} resources to {output}")


@fhir.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.pass_obj
def import_(app: App, file: Path, dry_run: bool) -> None:
    """Doses given, from MedicationAdministration resources (a Bundle or NDJSON), all or
    nothing, with the guards of 'prrt import doses'."""
    from schedule.services.fhir import import_fhir

    with progress("checking resources") as on_progress:
        done = import_fhir(
            app.tracker, file, app.actor(), today(), dry_run, on_progress, os.cpu_count() or 1
        )
    result = done.result
    verb = "would import" if result.dry_run else "imported"
    left = []
    if done.corrected:
        left.append(f"{done.corrected} entered-in-error left out (use 'prrt correct')")
    if done.other:
        left.append(f"{done.other} other resources left out")
    more = "; " + "; ".join(left) if left else ""
    click.echo(f"{verb} {result.added} records; {result.unchanged} already stored{more}")
