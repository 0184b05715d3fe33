"""An import's claims and audit rows on SQLite, made by SQLite itself from the records just
added (`bulk.add_records`) rather than sent row by row: a raw driver path, as those of
`fastpath.py`, kept because a benchmark measured it (`python bench/unrecorded.py --only
import-sqlite`: 0.1 s of the write of 42,509 records)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection


def claim_added(conn: Connection, top: int, types: Sequence[str]) -> None:
    """On SQLite, the claims of the records above id `top` (an import's, just added in
    `conn`'s transaction) whose type is one of `types` and that name an event, read from those
    records by SQLite itself rather than sent row by row."""
    marks = ", ".join("?" * len(types))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "INSERT INTO standing (course_id, event, record_id)"
            " SELECT course_id, event, id FROM records"
            f" WHERE id > ? AND type IN ({marks}) AND event <> '' ORDER BY id",
            (top, *types),
        )
    finally:
        cursor.close()


# The texts of a record whose audit detail SQLite makes (`audit_added`): as
# `rows.record_audit_text` writes a text (`json.encoder.encode_basestring_ascii`), in quotes
# as it is when it is printable ASCII with no quote and no backslash; any other is made in
# Python.
_TEXTS = ("dose", "event", "note", "override", "toxicity", "type")
_ESCAPED_SQL = " OR ".join(
    f"{c} GLOB '*[^ -~]*' OR instr({c}, '\"') OR instr({c}, '\\')" for c in _TEXTS
)


def _quoted(column: str) -> str:
    return f"iif({column} IS NULL, 'null', printf('\"%s\"', {column}))"


# `rows.record_audit_text` of a record none of whose texts is escaped, by SQLite: dates are
# ISO text there, whole numbers print as Python prints them, the end of care is 1 or NULL.
_DETAIL_SQL = (
    'printf(\'{"corrects": %s, "course_id": %s, "day": "%s", "dose": %s,'
    ' "end_care": %s, "event": %s, "grade": %s, "note": %s, "override": %s,'
    ' "review": %s, "toxicity": %s, "type": %s}\', coalesce(r.corrects, \'null\'),'
    f" r.course_id, r.day, {_quoted('r.dose')}, iif(r.end_care, 'true', 'null'),"
    f" {_quoted('r.event')}, coalesce(r.grade, 'null'), {_quoted('r.note')},"
    f" {_quoted('r.override')}, {_quoted('r.review')}, {_quoted('r.toxicity')},"
    f" {_quoted('r.type')})"
)


def audit_added(
    conn: Connection, top: int, stamp: str, who: str, text_of: Callable[[int], str]
) -> None:
    """On SQLite, the audit rows of the records above id `top` (an import's, just added in
    `conn`'s transaction), in their order, stamped `stamp` by `who`: made by SQLite from the
    records themselves, but for the details of records with a text to escape, which
    `text_of(record id)` gives (`rows.record_audit_text`: the same texts either way)."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        escaped = cursor.execute(
            f"SELECT id FROM records WHERE id > ? AND ({_ESCAPED_SQL})", (top,)
        ).fetchall()
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS audit_detail"
            " (id INTEGER PRIMARY KEY, detail TEXT NOT NULL)"
        )
        cursor.executemany(
            "INSERT INTO temp.audit_detail (id, detail) VALUES (?, ?)",
            [(rid, text_of(rid)) for (rid,) in escaped],
        )
        cursor.execute(
            "INSERT INTO audit (at, who, action, patient_id, course_id, record_id, detail)"
            f" SELECT ?, ?, r.type, c.patient_id, r.course_id, r.id,"
            f" coalesce(d.detail, {_DETAIL_SQL})"
            " FROM records r JOIN courses c ON c.id = r.course_id"
            " LEFT JOIN temp.audit_detail d ON d.id = r.id"
            " WHERE r.id > ? ORDER BY r.id",
            (stamp, who, top),
        )
        cursor.execute("DROP TABLE temp.audit_detail")
    finally:
        cursor.close()
