"""prrt: the command line. Each command parses, calls the library, and renders one way.

The commands live in the `commands` package, one module per group; this module makes the `prrt`
group and registers them. The clock is read in exactly one place (`commands.app.now`), errors
become one line on stderr and an exit code in exactly one place (`PrrtGroup.main`), and heavy
modules are imported inside commands so that `prrt --help` stays fast.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path

import click

from commands import (
    calendars,
    clinic,
    data,
    explain,
    fhir,
    handout,
    patients,
    plans,
    records,
    report,
    setup,
    transfer,
    worklists,
)
from commands.app import App, now, today
from commands.errors import HINTS, PrrtGroup

__all__ = ["HINTS", "cli", "main", "now", "today"]

# The batch commands measured faster with the cycle collector tuned: short-lived processes over
# every patient that build many small objects and few cycles (`missed`, `due`: bench/network.py
# --only missed; `ics --all`, `import`, `report`: a twentieth to a tenth of their CPU time went to
# the collector). Never a long-running one (`serve`), whose memory the collector keeps in check.
GC_TUNED = frozenset({"missed", "due", "ics", "import", "report"})


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
    if ctx.invoked_subcommand in GC_TUNED:
        tune_gc(ctx)


def tune_gc(ctx: click.Context) -> None:
    """The cycle collector runs far less often than its default (every 700 new objects), which
    would walk every row and calendar built so far again and again; Python's settings are back
    when the command ends (for a process that runs commands in-process, as the tests do)."""
    default = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    ctx.call_on_close(lambda: gc.set_threshold(*default))


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
    records.reinstate,
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
    fhir.fhir,
    data.backup,
    data.restore,
):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="prrt")


def run() -> None:
    """The `prrt` program: `main`, then the process leaves at once. By then the command has
    written and closed its files and closed the database (`App.close`), and its worker
    processes are gone; tearing the interpreter down would only free, one by one, what the
    command loaded (0.08 s after an import of 40,000 rows)."""
    code = 0
    try:
        main()
    except SystemExit as done:
        if isinstance(done.code, int):
            code = done.code
        elif done.code is not None:  # as Python does with a text
            print(done.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        # a reader gone (a closed pipe), or a stream closed already
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
