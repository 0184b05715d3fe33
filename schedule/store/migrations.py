"""Numbered schema migrations, recorded in `schema_version`. A migration never drops data.

The one place that knows the schema's version (`latest()`), read by the full store and by the
light SQLite reader alike; so SQLAlchemy and the tables are imported where a migration runs,
not when the version is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    from schedule.store import tables

    for table in (tables.patients, tables.courses, tables.records, tables.audit):
        table.create(conn)


def _calendars(conn: Connection) -> None:
    from secrets import token_hex

    from schedule.store import tables

    for table in (tables.calendar_meta, tables.published, tables.publications, tables.feed_tokens):
        table.create(conn)
    # The namespace hashed into every calendar UID: UIDs from two databases never collide.
    conn.execute(tables.calendar_meta.insert().values(name="uid_namespace", value=token_hex(16)))


def _add_columns(conn: Connection, added: dict[Table, tuple[str, ...]]) -> None:
    """Add nullable columns as `tables.py` declares them; a new database's first migration
    creates the tables as they are now, columns included, so those present are passed over."""
    from sqlalchemy import inspect, text

    for table, names in added.items():
        present = {c["name"] for c in inspect(conn).get_columns(table.name)}
        for name in names:
            if name in present:
                continue
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


def _guards(conn: Connection) -> None:
    """New nullable columns (existing rows keep NULL: no override, no review day, care goes
    on) and the standing-record table, filled from the records that stand today."""
    from sqlalchemy import select

    from schedule.store import tables

    _add_columns(
        conn,
        {tables.patients: ("lang",), tables.records: ("override", "review", "end_care")},
    )
    tables.standing.create(conn)
    r = tables.records.c
    rows = conn.execute(select(r.id, r.course_id, r.type, r.event, r.corrects).order_by(r.id))
    claims: dict[tuple[int, str], int] = {}
    wrong = set()
    listed = rows.fetchall()
    for _rid, _course, kind, _event, corrects in listed:
        if kind == "entered-in-error":
            wrong.add(corrects)
    for rid, course_id, kind, event, _corrects in listed:
        if kind in ("given", "skipped") and event and rid not in wrong:
            claims[(course_id, event)] = rid  # of two, the later stands (as the engine reads)
    if claims:
        conn.execute(
            tables.standing.insert(),
            [{"course_id": c, "event": e, "record_id": rid} for (c, e), rid in claims.items()],
        )


def _toxicity(conn: Connection) -> None:
    """A hold's toxicity and grade, and whether a patient can become pregnant. Existing rows
    keep NULL: a hold of no recorded type (read as before: a toxicity), a status not known."""
    from schedule.store import tables

    _add_columns(conn, {tables.records: ("toxicity", "grade"), tables.patients: ("pregnancy",)})


def _in_error(conn: Connection) -> None:
    """A patient or a course entered in error (the reason; existing rows keep NULL: they
    stand)."""
    from schedule.store import tables

    _add_columns(conn, {tables.patients: ("in_error",), tables.courses: ("in_error",)})


def _forgotten(conn: Connection) -> None:
    """The courses whose events an import forgot, a row per course (none to begin with); a
    table already there (its level's row lost) is kept, as `_add_columns` keeps columns."""
    from schedule.store import tables

    tables.forgotten.create(conn, checkfirst=True)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, courses, records and the audit trail", _initial),
    Migration(2, "published calendar events, feed tokens", _calendars),
    Migration(3, "overrides, hold reviews, end of care, languages; one standing record", _guards),
    Migration(4, "toxicity and grade of holds; whether a patient can become pregnant", _toxicity),
    Migration(5, "patients and courses entered in error", _in_error),
    Migration(
        6, "what an import of many patients left each course's calendar to read as", _forgotten
    ),
)


def current_version(conn: Connection) -> int:
    from sqlalchemy import inspect, select

    from schedule.store import tables

    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(tables.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection, applied_at: str) -> list[int]:
    """Apply the migrations not yet applied, inside the caller's transaction."""
    from sqlalchemy import inspect

    from schedule.store import tables

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
    """The schema's version: the last migration's."""
    return MIGRATIONS[-1].version
