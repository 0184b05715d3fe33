"""The worklists across all patients: `due` and `missed`; the filters and `--no-names` they
share with `patient list`. Each command parses its options, asks `schedule.services.worklists`
for its list and renders it."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import click

from commands.app import App, today
from commands.options import ISO_DATE, as_of_option, format_option
from commands.output import emit, written_format

if TYPE_CHECKING:
    from schedule.tracking.selection import Filters

F = TypeVar("F", bound=Callable[..., Any])

KINDS = ("dose", "lab", "deadline", "precaution", "scan", "reminder")
EVENT_STATUSES = ("planned", "due", "overdue", "missed", "held", "active")
STATES = ("active", "on-hold", "completed", "discontinued")


def filter_options(statuses: tuple[str, ...], status_help: str) -> Callable[[F], F]:
    """--patient, --name, --regimen, --kind, --status and --no-names."""

    def decorate(func: F) -> F:
        func = click.option(
            "--no-names", is_flag=True, help="Leave patients' names out (a shared screen)."
        )(func)
        func = click.option("--status", type=click.Choice(statuses), help=status_help)(func)
        func = click.option("--kind", type=click.Choice(KINDS), help="Only events of this kind.")(
            func
        )
        func = click.option("--regimen", help="Only courses of this regimen.")(func)
        func = click.option("--name", "name_part", help="Only names containing this (any case).")(
            func
        )
        return click.option("--patient", "patient_id", help="Only this patient ID.")(func)

    return decorate


def filters_of(
    patient_id: str | None,
    name_part: str | None,
    regimen: str | None,
    kind: str | None,
    status: str | None,
    start: date | None = None,
    end: date | None = None,
) -> Filters:
    from schedule.tracking.selection import Filters

    if start is not None and end is not None and end < start:
        raise click.UsageError(f"--to {end} is before --from {start}")
    if regimen is not None:
        app = click.get_current_context().find_object(App)
        if app is not None:  # an unknown regimen is refused, not an empty list; any case
            regimen = app.catalog.get(regimen).id
    return Filters(patient_id, name_part, regimen, kind, status, start, end)


@click.command()
@as_of_option
@click.option(
    "--within", type=click.IntRange(min=0, max=366), default=7, show_default=True,
    help="Also list what falls due in this many days.",
)  # fmt: skip
@click.option("--from", "start", type=ISO_DATE, help="Only what is due by this day or later.")
@click.option("--to", "end", type=ISO_DATE, help="Only what is due by this day or sooner.")
@filter_options(EVENT_STATUSES, "Only events with this status.")
@format_option
@click.pass_obj
def due(
    app: App,
    as_of: date | None,
    within: int,
    start: date | None,
    end: date | None,
    patient_id: str | None,
    name_part: str | None,
    regimen: str | None,
    kind: str | None,
    status: str | None,
    no_names: bool,
    fmt: str,
) -> None:
    """The worklist: what is due, late, or coming up, held courses up for review, and doses
    past the maximum delay, across all patients."""
    from schedule.services.worklists import due_list

    filters = filters_of(patient_id, name_part, regimen, kind, status, start, end)
    found = due_list(
        app.reader, app.catalog, app.settings, app.closures, as_of or today(), within, filters,
        not no_names, os.cpu_count() or 1,
    )  # fmt: skip
    emit(found.rows, found.columns, fmt, found.table)


@click.command()
@as_of_option
@click.option("--fail-if-any", is_flag=True, help="Exit 1 when anything is listed.")
@filter_options(("missed", "held"), "Only events with this status.")
@format_option
@click.pass_obj
def missed(
    app: App,
    as_of: date | None,
    fail_if_any: bool,
    patient_id: str | None,
    name_part: str | None,
    regimen: str | None,
    kind: str | None,
    status: str | None,
    no_names: bool,
    fmt: str,
) -> int:
    """Every missed dose, lab or scan, and every held dose past the maximum delay, across all
    patients, most overdue first."""
    from schedule.services.worklists import missed_list

    found = missed_list(
        app.reader, app.catalog, app.settings, app.closures, as_of or today(),
        filters_of(patient_id, name_part, regimen, kind, status), not no_names,
        os.cpu_count() or 1, written_format(fmt),
    )  # fmt: skip
    emit(found.rows, found.columns, fmt, found.table, found.text)
    return 1 if fail_if_any and found.count else 0
