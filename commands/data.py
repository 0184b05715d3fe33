"""The whole database out and back: `backup` and `restore`."""

from __future__ import annotations

from pathlib import Path

import click

from commands.app import App


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def backup(app: App, file: Path) -> None:
    """Copy the whole database to FILE while others keep working.

    FILE ending in .db, .sqlite or .sqlite3: a copy of an SQLite database. Any other name: a
    portable archive of every table (gzip-compressed JSON lines) for either kind of database,
    which 'prrt restore' puts into SQLite or PostgreSQL.
    """
    from schedule.store.backup import backup as run

    result = run(app.store, file, app.actor().stamp)
    what = "database copy" if result.kind == "sqlite" else "archive"
    click.echo(
        f"backed up {result.rows.get('patients', 0)} patients, {result.rows.get('records', 0)} "
        f"records, {result.rows.get('audit', 0)} audit rows ({result.total} rows, schema "
        f"level {result.schema}) to {file} ({what})"
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--db",
    "target",
    help="The empty database to restore into [default: the global --db].",
)
@click.pass_obj
def restore(app: App, file: Path, target: str | None) -> None:
    """Put a backup (archive or SQLite copy) into an empty database of either kind."""
    from schedule.store.restore import restore as run

    result = run(file, target or app.db_target, app.actor())
    click.echo(
        f"restored {result.rows.get('patients', 0)} patients, {result.rows.get('records', 0)} "
        f"records, {result.rows.get('audit', 0)} audit rows ({result.total} rows, schema "
        f"level {result.schema})"
    )
