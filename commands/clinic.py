"""The clinic's days: `move` (every event of a closed day or a range of days, in one go) and
`days` (each day's infusions and injections against the clinic's capacity)."""

from __future__ import annotations

from datetime import date, timedelta

import click

from commands.app import App, today
from commands.options import ISO_DATE, format_option
from commands.output import emit


@click.command()
@click.option("--from", "first", required=True, type=ISO_DATE, help="First day whose events move.")
@click.option("--to", "last", type=ISO_DATE, help="Last day whose events move [default: --from].")
@click.option("--onto", required=True, type=ISO_DATE, help="The new target day of every event.")
@click.option("--reason", required=True, help="Why they move (kept with each record).")
@click.option(
    "--closed-only", is_flag=True, help="Only events on days the clinic is closed (site.closures)."
)
@click.option("--dry-run", is_flag=True, help="Show what would move; store nothing.")
@format_option
@click.pass_obj
def move(
    app: App,
    first: date,
    last: date | None,
    onto: date,
    reason: str,
    closed_only: bool,
    dry_run: bool,
    fmt: str,
) -> None:
    """Move every dose, lab and scan of every patient planned from --from to --to onto one new
    day, in one transaction: each is rescheduled with the same checks as 'prrt reschedule';
    if one is refused, nothing moves."""
    from schedule.tracking.moves import (
        MOVE_COLUMNS,
        MOVE_TABLE,
        Clinic,
        Selection,
        move_events,
    )

    closures = app.closures  # a malformed calendar is refused before the database is opened
    clinic = Clinic(app.store, app.catalog, app.settings, closures)
    selection = Selection(first, last or first, closed_only)
    moves = move_events(clinic, selection, onto, reason, app.actor(), today(), dry_run)
    if not moves:
        click.echo(f"nothing to move from {selection.first} to {selection.last}", err=True)
        return
    emit([m.row() for m in moves], MOVE_COLUMNS, fmt, MOVE_TABLE)
    if dry_run:
        click.echo("dry run: nothing was stored", err=True)


@click.command()
@click.option("--from", "first", type=ISO_DATE, help="First day [default: today].")
@click.option("--to", "last", type=ISO_DATE, help="Last day [default: 13 days after --from].")
@click.option("--all", "all_days", is_flag=True, help="Also the closed days with nothing planned.")
@click.option(
    "--list", "visits", is_flag=True,
    help="The clinic list: each dose visit (patient, name, event, time, chair) instead of the "
    "counts; one day unless --to or --week.",
)  # fmt: skip
@click.option("--week", is_flag=True, help="Seven days from --from (with --list: a week's list).")
@click.option("--no-names", is_flag=True, help="Leave patients' names out (a shared screen).")
@format_option
@click.pass_obj
def days(
    app: App,
    first: date | None,
    last: date | None,
    all_days: bool,
    visits: bool,
    week: bool,
    no_names: bool,
    fmt: str,
) -> None:
    """Each clinic day: planned infusions and injections, the chair-hours they need against
    the clinic's capacity (site chairs x chair_hours), and the days over capacity. With
    --list, the clinic list of a day or a week: each dose visit in the order of the day."""
    from schedule.services.worklists import day_list, visit_list

    start = first or today()
    if week and last is not None:
        raise click.UsageError("give --week or --to, not both")
    span = 6 if week else 0 if visits else 13
    end = last or start + timedelta(days=span)
    if end < start:
        raise click.BadParameter(f"{end} is before --from ({start})", param_hint="'--to'")
    if (end - start).days > 731:
        raise click.BadParameter("at most two years at a time", param_hint="'--to'")
    closures = app.closures  # a malformed calendar is refused before the database is opened
    if visits:
        found = visit_list(
            app.store, app.catalog, app.settings, closures, start, end, today(), not no_names
        )
    else:
        found = day_list(
            app.store, app.catalog, app.settings, closures, start, end, today(), all_days
        )
    emit(found.rows, found.columns, fmt, found.table)
