"""The worklists across all patients: `due` and `missed`."""

from __future__ import annotations

import os
from datetime import date

import click

from commands.app import (
    App,
    as_of_option,
    emit,
    format_option,
    today,
)


@click.command()
@as_of_option
@click.option(
    "--within", type=click.IntRange(min=0, max=366), default=7, show_default=True,
    help="Also list what falls due in this many days.",
)  # fmt: skip
@format_option
@click.pass_obj
def due(app: App, as_of: date | None, within: int, fmt: str) -> None:
    """The worklist: what is due, late, or coming up, across all patients."""
    from schedule.tracking.worklists import WORKLIST_COLUMNS, WORKLIST_TABLE, worklist_rows

    workers = os.cpu_count() or 1
    rows = worklist_rows(
        app.store,
        app.catalog,
        app.settings,
        as_of or today(),
        missed=False,
        within=within,
        workers=workers,
    )
    emit(rows, WORKLIST_COLUMNS, fmt, WORKLIST_TABLE)


@click.command()
@as_of_option
@click.option("--fail-if-any", is_flag=True, help="Exit 1 when anything is listed.")
@format_option
@click.pass_obj
def missed(app: App, as_of: date | None, fail_if_any: bool, fmt: str) -> int:
    """Every missed dose, lab or scan across all patients, most overdue first."""
    from schedule.tracking.worklists import WORKLIST_COLUMNS, WORKLIST_TABLE, worklist_rows

    day = as_of or today()
    workers = os.cpu_count() or 1
    rows = worklist_rows(app.store, app.catalog, app.settings, day, missed=True, workers=workers)
    emit(rows, WORKLIST_COLUMNS, fmt, WORKLIST_TABLE)
    return 1 if fail_if_any and rows else 0
