"""One renderer for every listing: `table` for people, `csv` and `json` for programs.

It returns text; the caller writes it. Rows are mappings of JSON-typed values.
"""

from __future__ import annotations

import csv
import io
import json
import re
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


# Cells a spreadsheet would run as a formula (OWASP "CSV injection"): a `'` goes in front, which
# spreadsheets show as text and the imports take away again (`tracking.csvfiles.unquote`).
# Plain numbers such as a `days_late` of -3 are left as they are: they are no formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(value: Any) -> str:
    """A CSV cell, neutralised if a spreadsheet would run it as a formula.

    >>> csv_cell("=HYPERLINK(0)"), csv_cell("-3"), csv_cell("@x"), csv_cell(["a", "b"])
    ("'=HYPERLINK(0)", '-3', "'@x", 'a;b')
    """
    text = _cell(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def render(rows: Sequence[Row], columns: Sequence[str], fmt: str, table: Sequence[Column]) -> str:
    """Render rows with the contract `columns` (csv, json) or the `table` view."""
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(c)) for c in columns])
        return buffer.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    return render_table(rows, table)


def render_table(rows: Sequence[Row], table: Sequence[Column]) -> str:
    """Aligned columns under upper-case headers; empty columns are kept, trailing spaces are not.
    Cells go to a terminal, so what a terminal would obey rather than show is made visible."""
    cells = [[c.header.upper() for c in table]]
    for row in rows:
        cells.append([visible(c.show(row) if c.show else _cell(row.get(c.field))) for c in table])
    widths = [max(len(line[i]) for line in cells) for i in range(len(table))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
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
