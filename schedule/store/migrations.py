"""Numbered schema migrations, recorded in `schema_version`. A migration never drops data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from secrets import token_hex

from sqlalchemy import Connection, inspect, select

from schedule.store import tables


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    for table in (tables.patients, tables.courses, tables.records, tables.audit):
        table.create(conn)


def _calendars(conn: Connection) -> None:
    for table in (tables.calendar_meta, tables.published, tables.publications, tables.feed_tokens):
        table.create(conn)
    # The namespace hashed into every calendar UID: UIDs from two databases never collide.
    conn.execute(tables.calendar_meta.insert().values(name="uid_namespace", value=token_hex(16)))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, courses, records and the audit trail", _initial),
    Migration(2, "published calendar events, feed tokens", _calendars),
)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(tables.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection, applied_at: str) -> list[int]:
    """Apply the migrations not yet applied, inside the caller's transaction."""
    if not inspect(conn).has_table("schema_version"):
        tables.schema_version.create(conn)
    done = current_version(conn)
    applied = []
    for migration in MIGRATIONS:
        if migration.version > done:
            migration.apply(conn)
            conn.execute(
                tables.schema_version.insert().values(
                    version=migration.version,
                    description=migration.description,
                    applied_at=applied_at,
                )
            )
            applied.append(migration.version)
    return applied


def latest() -> int:
    return MIGRATIONS[-1].version
