"""One renderer for every listing: `table` for people, `csv` and `json` for programs.

It returns text; the caller writes it. Rows are mappings of JSON-typed values.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from schedule.output.columns import Row

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Column:
    """A column of the table view: its header, the row field and how to show it."""

    header: str
    field: str
    show: Callable[[Row], str] | None = None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def render(rows: Sequence[Row], columns: Sequence[str], fmt: str, table: Sequence[Column]) -> str:
    """Render rows with the contract `columns` (csv, json) or the `table` view."""
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buffer.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    return render_table(rows, table)


def render_table(rows: Sequence[Row], table: Sequence[Column]) -> str:
    """Aligned columns under upper-case headers; empty columns are kept, trailing spaces are not."""
    cells = [[c.header.upper() for c in table]]
    for row in rows:
        cells.append([c.show(row) if c.show else _cell(row.get(c.field)) for c in table])
    widths = [max(len(line[i]) for line in cells) for i in range(len(table))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    return "\n".join(lines) + "\n"


def span_end(row: Row) -> str:
    """The `end` column shown only for multi-day spans."""
    return "" if row.get("end") == row.get("date") else _cell(row.get("end"))


EVENT_TABLE = (
    Column("date", "date"),
    Column("until", "end", span_end),
    Column("event", "event"),
    Column("title", "title"),
    Column("dose", "dose"),
    Column("status", "status"),
    Column("flags", "flags"),
)
