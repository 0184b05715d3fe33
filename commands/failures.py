"""Errors that reach the command line from outside the library, turned into one line and an
exit code for `PrrtGroup.main`: arguments that are not UTF-8, and the database's own errors,
whose text is never shown (it can hold a statement's parameters, patients' names among them).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

EXIT_CONFLICT = 4
EXIT_DATABASE = 5


def refuse_undecodable(args: Sequence[str]) -> None:
    """Arguments that were not UTF-8 reach Python as lone surrogates, which no database and no
    file can hold: refuse them before anything runs, without repeating them."""
    for number, arg in enumerate(args, 1):
        if any("\ud800" <= char <= "\udfff" for char in arg):
            raise click.UsageError(f"argument {number} is not valid UTF-8 text")


def database_failure(exc: Exception) -> tuple[str, int] | None:
    """The one line and exit code for an error the database raised, or None for any other.

    The database's own text is never shown: it can hold the statement's parameters, patients'
    names among them. A broken constraint is another writer's change that got in first (exit 4);
    anything else means the database could not do what was asked (exit 5).
    """
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

    if isinstance(exc, IntegrityError):
        return (
            "refused: another change to the same data was stored at the same time; nothing "
            "was written, run the command again",
            EXIT_CONFLICT,
        )
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "the connection to the database was lost; nothing was written", EXIT_DATABASE
    if isinstance(exc, OperationalError):  # locks, connections: no data in these texts
        lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
        return f"the database cannot do this now: {lines[0]}; nothing was written", EXIT_DATABASE
    if isinstance(exc, SQLAlchemyError):
        kind = type(exc.orig).__name__ if isinstance(exc, DBAPIError) else type(exc).__name__
        return (
            f"the database refused the change ({kind}); nothing was written. Run again with "
            "PRRT_DEBUG=1 to see the details",
            EXIT_DATABASE,
        )
    return None
