"""prrt: the command line. Each command parses, calls the library, and renders one way.

The commands live in the `commands` package, one module per group; this module makes the `prrt`
group and registers them. The clock is read in exactly one place (`commands.app.now`), errors
become one line on stderr and an exit code in exactly one place (`PrrtGroup.main`), and heavy
modules are imported inside commands so that `prrt --help` stays fast.
"""

from __future__ import annotations

import gc
from pathlib import Path

import click

from commands import (
    calendars,
    clinic,
    data,
    explain,
    handout,
    patients,
    plans,
    records,
    report,
    setup,
    transfer,
    worklists,
)
from commands.app import HINTS, App, PrrtGroup, now, today

__all__ = ["HINTS", "cli", "main", "now", "today"]


@click.group(name="prrt", cls=PrrtGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prrt", prog_name="prrt")
@click.option(
    "--regimen-file",
    "regimen_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A regimen TOML file to add (repeatable); same id replaces a built-in regimen.",
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with config.toml and regimens/ [default: $PRRT_CONFIG_DIR, else the user's].",
)
@click.option(
    "--db",
    envvar="PRRT_DB",
    help="SQLite file or postgresql+psycopg:// URL [default: $PRRT_DB, else the user data folder].",
)
@click.option("--user", envvar="PRRT_USER", help="Name for the audit trail [default: login name].")
@click.pass_context
def cli(
    ctx: click.Context,
    regimen_files: tuple[Path, ...],
    config_dir: Path | None,
    db: str | None,
    user: str | None,
) -> None:
    """Dosing calendars for PRRT (Lutathera) and monthly somatostatin-analog injections.

    Not medical advice: prrt flags, clinicians decide.
    """
    app = App(regimen_files, config_dir, db, user)
    ctx.obj = app
    ctx.call_on_close(app.close)


for command in (
    plans.regimens,
    plans.plan,
    patients.patient,
    patients.course,
    patients.show,
    records.record,
    records.skip,
    records.reschedule,
    records.hold,
    records.resume,
    records.discontinue,
    records.correct,
    records.history,
    worklists.due,
    worklists.missed,
    explain.explain,
    setup.init,
    clinic.move,
    clinic.days,
    report.report,
    calendars.ics,
    calendars.feed,
    calendars.serve,
    handout.handout,
    transfer.import_group,
    transfer.export_group,
    data.backup,
    data.restore,
):
    cli.add_command(command)


def main() -> None:
    # A command is a short-lived process that builds many small objects and few cycles: the
    # cycle collector runs far less often than its default (every 700 new objects), which
    # would walk every calendar built so far again and again.
    gc.set_threshold(50_000, 20, 20)
    try:
        cli.main(prog_name="prrt")
    finally:
        # What a command built stays until the process ends: the collection that would walk
        # it all once more on the way out is spared.
        gc.freeze()


if __name__ == "__main__":
    main()
