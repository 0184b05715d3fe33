"""One renderer for every listing: `table` for people, `csv` and `json` for programs.

It returns text; the caller writes it. Rows are typed rows of the library (`columns.TypedRow`:
dates, enumerations) or mappings of JSON-typed values; a typed row becomes text here only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schedule.output.columns import Row, TypedRow, json_row
from schedule.output.formats import FORMULA_STARTS, cell, csv_cell, csv_text, json_text
from schedule.output.layout import Layout, lay_out, lines_of, tint

__all__ = ["FORMULA_STARTS", "csv_cell"]  # their home is `formats`; imported from here too

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Column:
    """A column of the table view: its header, the row field and how to show it."""

    header: str
    field: str
    show: Callable[[Row], str] | None = None
    squeeze: int = 0  # 0: never cut (numbers, dates, keys); else cut to fit, highest first
    optional: bool = False  # left out when no row has anything in it (names, hold reasons)
    floor: int = 0  # the narrowest a squeezed column is cut to [default: 8, or its header]
    drop: int = 0  # 0: never left out; else left out when nothing else fits, highest first
    below: bool = False  # may be written whole under its row when the line is too narrow


def render(
    rows: Sequence[Row | TypedRow],
    columns: Sequence[str],
    fmt: str,
    table: Sequence[Column],
    width: int | None = None,
) -> str:
    """Render rows with the contract `columns` (csv, json) or the `table` view (fitted to
    `width` when given)."""
    if fmt == "csv":  # each cell straight from its typed value: a worklist has many rows
        return csv_text(rows, columns)
    if fmt == "json":
        return json_text(rows, columns)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    return render_table(rows, table, width)


def render_table(
    rows: Sequence[Row | TypedRow],
    table: Sequence[Column],
    width: int | None = None,
    colour: bool = False,
) -> str:
    """Aligned columns under upper-case headers; empty columns are kept (but for optional ones),
    trailing spaces are not. Cells go to a terminal, so what a terminal would obey rather than
    show is made visible. `width`: the terminal's, to fit the lines to (`layout.lay_out`; None:
    every column in full, as for a pipe or a file). `colour`: the rows of overdue, missed and
    held events in colour (a terminal that shows colour)."""
    found = [json_row(row) for row in rows]
    table = [c for c in table if not c.optional or any(row.get(c.field) for row in found)]
    header = [c.header.upper() for c in table]
    cells = [
        [visible(c.show(row) if c.show else cell(row.get(c.field))) for c in table] for row in found
    ]
    full = [max([len(header[i])] + [len(line[i]) for line in cells]) for i in range(len(table))]
    if width is None:
        fitted = Layout(tuple(range(len(table))), tuple(full))
    else:
        fitted = lay_out(table, full, width)
    lines = lines_of(header, Layout(fitted.shown, fitted.widths), width)
    for row, line in zip(found, cells, strict=True):
        laid = lines_of(line, fitted, width)
        lines += tint(laid, row.get("status")) if colour else laid
    return "\n".join(lines) + "\n"


# C0 controls and DEL as their Unicode pictures (ESC shows as U+241B, a newline as U+240A), C1
# controls (0x9B starts an escape sequence on some terminals) as \xNN; one cell stays one line.
_PICTURES: dict[int, str] = {
    **{c: chr(0x2400 + c) for c in range(0x20)},
    0x7F: "\u2421",
    **{c: f"\\x{c:02x}" for c in range(0x80, 0xA0)},
}
# Marks that reorder the text around them, and lone surrogates (bytes that were not UTF-8).
_HIDDEN = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def visible(text: str) -> str:
    """`text` with nothing a terminal would act on: control characters shown as symbols.

    >>> visible("ok\x1b[1A\x1b[2K")
    'ok\u241b[1A\u241b[2K'
    >>> visible("Ana Sousa")
    'Ana Sousa'
    """
    if text.isprintable():
        return text
    text = text.translate(_PICTURES)
    return _HIDDEN.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def span_end(row: Row) -> str:
    """The `end` column shown only for multi-day spans."""
    return "" if row.get("end") == row.get("date") else cell(row.get("end"))


EVENT_TABLE = (
    Column("date", "date"),
    Column("until", "end", span_end, drop=2),
    Column("event", "event"),
    Column("title", "title", squeeze=2, floor=24, below=True),
    Column("dose", "dose", below=True),
    Column("given", "given_on", optional=True, drop=1),
    Column("status", "status"),
    Column("flags", "flags", below=True),
)
