"""Many records at once, in the caller's transaction: an import's tens of thousands of records,
their claims and their audit rows, each table's rows in one go through the driver
(`fastpath.insert_many`), as `Tx.add_record` one by one would write them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from schedule.domain.course import Actor, Record
from schedule.domain.errors import ConflictError
from schedule.domain.model import RecordType
from schedule.store import tables
from schedule.store.fastpath import insert_many
from schedule.store.rows import CLAIMS, RECORD_COLUMNS, record_audit_text, record_row
from schedule.store.sqlitebulk import audit_added, claim_added


class Prepared:
    """The values of records to add, made ahead of the write (an import makes them while its
    workers check the next rows): each record's row but its id, and its audit text (none on
    SQLite, which makes them from the records: `sqlitebulk.audit_added`), kept by the record
    object itself (held here, so that no other takes its identity). A record not prepared
    (one checked again at the write) is made then."""

    def __init__(self, actor: Actor, sqlite: bool) -> None:
        self.stamp, self.who, self.sqlite = actor.stamp, actor.who, sqlite
        self.made: dict[int, tuple[Record, tuple[Any, ...], str | None]] = {}

    def fits(self, actor: Actor, sqlite: bool) -> bool:
        """Whether the values were made for this actor's write to this kind of database."""
        return (self.stamp, self.who, self.sqlite) == (actor.stamp, actor.who, sqlite)

    def add(self, record: Record) -> None:
        self.made[id(record)] = (record, *self.make(record))

    def make(self, record: Record) -> tuple[tuple[Any, ...], str | None]:
        text = None if self.sqlite else record_audit_text(record)
        return record_row(record, self.stamp, self.who, self.sqlite), text

    def of(self, record: Record) -> tuple[tuple[Any, ...], str | None]:
        made = self.made.get(id(record))
        if made is None or made[0] is not record:
            return self.make(record)
        return made[1], made[2]


def add_records(
    conn: Connection,
    items: list[tuple[str, Record]],
    actor: Actor,
    prepared: Prepared | None = None,
) -> int:
    """Records (with their patients), their claims and their audit rows, on the writing
    connection `conn`: the ids first, then each table's rows in one go. SQLite runs one writer
    at a time (BEGIN IMMEDIATE), so the next ids are known; PostgreSQL hands them out from the
    column's sequence, safe beside other writers. `prepared`: their values made ahead, for
    this actor and this database."""
    sqlite = conn.dialect.name == "sqlite"
    if prepared is None or not prepared.fits(actor, sqlite):
        prepared = Prepared(actor, sqlite)
    made = [prepared.of(r) for _, r in items]
    prepared.made.clear()  # taken: what is left of it is in `made`
    ids: list[int] = []
    if items:
        if sqlite:
            top = int(conn.execute(select(func.max(tables.records.c.id))).scalar() or 0)
            ids = list(range(top + 1, top + 1 + len(items)))
        else:
            serial = func.pg_get_serial_sequence(tables.records.name, tables.records.c.id.name)
            query = select(func.nextval(serial)).select_from(func.generate_series(1, len(items)))
            ids = sorted(conn.execute(query).scalars())
        # SQLite keeps dates as ISO text and booleans as 0/1
        rows = [(rid, *row) for (row, _), rid in zip(made, ids, strict=True)]
        insert_many(conn, tables.records.name, ("id", *RECORD_COLUMNS), rows)
    if items:
        try:
            with conn.begin_nested():
                _claim(conn, items, ids, sqlite)
        except (IntegrityError, conn.dialect.dbapi.IntegrityError):  # type: ignore[union-attr]
            raise ConflictError(
                "an event of these records was recorded meanwhile by another writer"
            ) from None
    frees = [r.corrects for _, r in items if r.type is RecordType.ENTERED_IN_ERROR]
    if frees:
        conn.execute(tables.standing.delete().where(tables.standing.c.record_id.in_(frees)))
    if items:
        _audit(conn, items, ids, made, actor, sqlite)
    return len(items)


def _audit(
    conn: Connection,
    items: list[tuple[str, Record]],
    ids: list[int],
    made: list[tuple[tuple[Any, ...], str | None]],
    actor: Actor,
    sqlite: bool,
) -> None:
    """The audit rows of the records just added (`ids`, in order): on SQLite made from the
    records themselves (`audit_added`), else sent with the texts `made` for them."""
    if sqlite:
        top = ids[0] - 1
        audit_added(
            conn,
            top,
            actor.stamp,
            actor.who,
            lambda rid: record_audit_text(items[rid - top - 1][1]),
        )
        return
    audit = [
        (actor.stamp, actor.who, r.type.value, pid, r.course_id, rid, text)
        for (pid, r), rid, (_, text) in zip(items, ids, made, strict=True)
    ]  # fmt: skip
    columns = ("at", "who", "action", "patient_id", "course_id", "record_id", "detail")
    insert_many(conn, tables.audit.name, columns, audit)


def _claim(conn: Connection, items: list[tuple[str, Record]], ids: list[int], sqlite: bool) -> None:
    """The claims of the records just added (`ids`, in order): on SQLite read from the records
    themselves (`claim_added`: those above the highest id before them), else sent."""
    if sqlite:
        claim_added(conn, ids[0] - 1, [t.value for t in CLAIMS])
        return
    claims = [
        (r.course_id, r.event, rid)
        for (_, r), rid in zip(items, ids, strict=True)
        if r.type in CLAIMS and r.event
    ]
    if claims:
        insert_many(conn, tables.standing.name, ("course_id", "event", "record_id"), claims)
