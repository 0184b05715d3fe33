"""Many rows into one table through the driver itself (SQLite's executemany, PostgreSQL's COPY):
an import's tens of thousands of records, claims and audit rows, without SQLAlchemy building
each row's parameters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schedule.store.transaction import Tx


def insert_many(tx: Tx, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """`rows` (values in the order of `columns`) into `table`, in `tx`'s transaction. SQLite
    keeps dates as ISO text and booleans as 0 or 1, as the rest of the store writes them."""
    tx.writing()
    names = ", ".join(columns)
    cursor = tx.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if tx.dialect == "sqlite":
            markers = ", ".join("?" * len(columns))
            cursor.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES ({markers})",
                [tuple(_sqlite_value(v) for v in row) for row in rows],
            )
        else:  # PostgreSQL: COPY, the quickest way in (psycopg)
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cursor.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
