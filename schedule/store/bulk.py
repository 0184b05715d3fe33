"""Many rows into one table through the driver itself (SQLite's executemany, PostgreSQL's COPY):
an import's tens of thousands of records, claims and audit rows, without SQLAlchemy building
each row's parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from schedule.domain.course import Actor, Record
from schedule.domain.errors import ConflictError
from schedule.domain.model import RecordType
from schedule.store import tables

if TYPE_CHECKING:
    from schedule.store.transaction import Tx

_CLAIMS = (RecordType.GIVEN, RecordType.SKIPPED)


def add_records(tx: Tx, items: list[tuple[str, Record]], actor: Actor) -> int:
    """Records (with their patients), their claims and their audit rows, in `tx`: the ids
    first, then each table's rows in one go. SQLite runs one writer at a time (BEGIN
    IMMEDIATE), so the next ids are known; PostgreSQL hands them out from the column's
    sequence, safe beside other writers."""
    from schedule.store.transaction import RECORD_COLUMNS, audit_text, record_detail, record_row

    conn = tx.writing()
    stamp = actor.stamp  # one moment for the whole import, formatted once
    ids: list[int] = []
    if items:
        if tx.dialect == "sqlite":
            top = int(conn.execute(select(func.max(tables.records.c.id))).scalar() or 0)
            ids = list(range(top + 1, top + 1 + len(items)))
        else:
            ids = sorted(
                conn.exec_driver_sql(
                    "SELECT nextval(pg_get_serial_sequence('records', 'id')) "
                    "FROM generate_series(1, %(n)s)",
                    {"n": len(items)},
                ).scalars()
            )
        sqlite = tx.dialect == "sqlite"  # SQLite keeps dates as ISO text and booleans as 0/1
        rows = [
            (rid, *record_row(r, stamp, actor.who, sqlite))
            for (_, r), rid in zip(items, ids, strict=True)
        ]
        insert_many(tx, tables.records, ("id", *RECORD_COLUMNS), rows)
    claims = [
        (r.course_id, r.event, rid)
        for (_, r), rid in zip(items, ids, strict=True)
        if r.type in _CLAIMS and r.event
    ]
    if claims:
        try:
            with conn.begin_nested():
                insert_many(tx, tables.standing, ("course_id", "event", "record_id"), claims)
        except (IntegrityError, conn.dialect.dbapi.IntegrityError):  # type: ignore[union-attr]
            raise ConflictError(
                "an event of these records was recorded meanwhile by another writer"
            ) from None
    frees = [r.corrects for _, r in items if r.type is RecordType.ENTERED_IN_ERROR]
    if frees:
        conn.execute(tables.standing.delete().where(tables.standing.c.record_id.in_(frees)))
    if items:
        audit = [
            (stamp, actor.who, r.type.value, pid, r.course_id, rid, audit_text(record_detail(r)))
            for (pid, r), rid in zip(items, ids, strict=True)
        ]  # fmt: skip
        columns = ("at", "who", "action", "patient_id", "course_id", "record_id", "detail")
        insert_many(tx, tables.audit, columns, audit)
    return len(items)


def insert_many(
    tx: Tx,
    table: Any,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """`rows` (values in the order of `columns`, as the driver takes them) into `table`, in
    `tx`'s transaction."""
    tx.writing()
    names = ", ".join(columns)
    cursor = tx.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if tx.dialect == "sqlite":
            markers = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({markers})", rows)
        else:  # PostgreSQL: COPY, the quickest way in (psycopg)
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cursor.close()
