"""Many rows into one table through the driver itself (SQLite's executemany, PostgreSQL's COPY):
an import's tens of thousands of records, claims and audit rows, without SQLAlchemy building
each row's parameters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schedule.store.transaction import Tx


def insert_many(
    tx: Tx,
    table: Any,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    typed: Sequence[str] = (),
) -> None:
    """`rows` (values in the order of `columns`) into `table`, in `tx`'s transaction. `typed`:
    the columns that hold dates or booleans, which SQLite keeps as ISO text and 0 or 1, as the
    rest of the store writes them."""
    tx.writing()
    names = ", ".join(columns)
    cursor = tx.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if tx.dialect == "sqlite":
            markers = ", ".join("?" * len(columns))
            odd = [columns.index(c) for c in typed]
            if odd:
                rows = [_converted(row, odd) for row in rows]
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({markers})", rows)
        else:  # PostgreSQL: COPY, the quickest way in (psycopg)
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cursor.close()


def _converted(row: tuple[Any, ...], columns: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in columns:
        values[i] = _sqlite_value(values[i])
    return tuple(values)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
