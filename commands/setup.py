"""`prrt init`: create the database (a read-only command refuses one that does not exist)."""

from __future__ import annotations

import click

from commands.app import App


@click.command()
@click.pass_obj
def init(app: App) -> None:
    """Create the database named by --db (or $PRRT_DB, else the user data folder), or bring an
    existing one up to date. Says so on stderr when it creates a new one."""
    from schedule.store.database import database_url

    level = app.store.schema_version()
    url = database_url(app.db_target)
    if url.startswith("sqlite"):
        where = url.removeprefix("sqlite:///")
    else:
        from sqlalchemy.engine import make_url

        where = make_url(url).render_as_string(hide_password=True)
    click.echo(f"database ready at {where} (schema level {level})")
