"""The contract's two forms for programs, `csv` and `json`, written at the cost of the standard
library's own writers (a worklist has tens of thousands of rows), and the one home of CSV
formula escaping (`csv_cell`).

Each is one pass over the rows. CSV: each column's values are looked at only as far as their
kind needs: a date, a number or nothing is written as `csv.writer` writes it, an enumeration by
its value, and only text can be a formula, so only a text cell is checked, by its first
character. JSON: each value is written by its class with the `json` module's own C encoder of
strings, in exactly the layout of `json.dumps(rows, indent=2)`.
"""

from __future__ import annotations

import csv
import enum
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from json.encoder import encode_basestring_ascii
from typing import Any

from schedule.output.columns import Row, TypedRow, json_value

# Cells a spreadsheet would run as a formula (OWASP "CSV injection"): a `'` goes in front, which
# spreadsheets show as text and the imports take away again (`tracking.csvfiles.unquote`).
# Plain numbers such as a `days_late` of -3 are left as they are: they are no formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FIRST = frozenset("".join(FORMULA_STARTS))


def cell(value: Any) -> str:
    """A value as the text of a cell: nothing for None, a list joined with ';'."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_cell(value: Any) -> str:
    """A CSV cell, neutralised if a spreadsheet would run it as a formula.

    >>> csv_cell("=HYPERLINK(0)"), csv_cell("-3"), csv_cell("@x"), csv_cell(["a", "b"])
    ("'=HYPERLINK(0)", '-3', "'@x", 'a;b')

    Typed values (`columns.json_value`) are written as the contract writes them.
    """
    kind = type(value)
    if kind is str:
        if not value or value[0] not in _FIRST:  # most cells: plain text, as it is
            return str(value)
    elif kind is int:
        return str(value)  # a number is no formula, whatever its sign
    elif kind is date:
        return str(value.isoformat())  # a typed row's date (ISO: no formula)
    text = cell(json_value(value))
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


# -- CSV ----------------------------------------------------------------------------------------

# The contract's columns whose values are dates or whole numbers (or nothing), whichever listing
# they are in, and those holding an enumeration or a list of them. A value of another class
# found in one of them goes through `csv_cell`, as every cell of every other column that is not
# plain text does: the lists only make the common case quick, never change what is written.
_DATES_OR_NUMBERS = frozenset(
    {
        "course", "number", "days_late", "date", "end", "window_start", "window_end",
        "given_on", "due_by", "since", "start", "next_date", "next_due_by", "review",
    }
)  # fmt: skip
_ENUMERATIONS = frozenset({"kind", "status", "state", "type"})
_LISTS = frozenset({"flags"})
_ENUMERATION = type(enum.Enum)


def csv_text(rows: Sequence[Row | TypedRow], columns: Sequence[str]) -> str:
    """The rows as CSV under the header `columns` (`csv_cell` applied where it can matter)."""
    return csv_header(columns) + "".join(csv_lines(rows, columns))


def csv_header(columns: Sequence[str]) -> str:
    """The header line of a CSV with these columns."""
    lines: list[str] = []
    csv.writer(_Lines(lines), lineterminator="\n").writerow(columns)
    return lines[0]


class _Lines:
    """A file for `csv.writer` that keeps each row's text apart (the writer writes a row at
    once)."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


def csv_lines(rows: Sequence[Row | TypedRow], columns: Sequence[str]) -> list[str]:
    """Each row's CSV line (newline included): joined after `csv_header`, they are the CSV."""
    lines: list[str] = []
    writer = csv.writer(_Lines(lines), lineterminator="\n")
    typed = [i for i, c in enumerate(columns) if c in _DATES_OR_NUMBERS]
    enums = [i for i, c in enumerate(columns) if c in _ENUMERATIONS]
    lists = [i for i, c in enumerate(columns) if c in _LISTS]
    text = [i for i, c in enumerate(columns) if c not in _DATES_OR_NUMBERS | _ENUMERATIONS | _LISTS]
    out: list[list[Any]] = []
    for row in rows:
        values = row if isinstance(row, Mapping) else row.columns()
        cells = [values.get(c) for c in columns]
        for i in text:  # None and plain text as they are; the rest through `csv_cell`
            v = cells[i]
            if v is not None and (v.__class__ is not str or v[:1] in _FIRST):
                cells[i] = csv_cell(v)
        for i in typed:  # `csv.writer` writes a date, a number and None as the contract does
            v = cells[i]
            if v is not None and v.__class__ is not date and v.__class__ is not int:
                cells[i] = csv_cell(v)
        for i in enums:
            v = cells[i]
            if v is not None:
                cells[i] = v._value_ if type(v.__class__) is _ENUMERATION else csv_cell(v)
        for i in lists:
            v = cells[i]
            cells[i] = "" if v is None or v == () else csv_cell(v)
        out.append(cells)
        if len(out) == _BATCH:
            writer.writerows(out)
            out.clear()
    writer.writerows(out)
    return lines


_BATCH = 4096  # rows handed to `csv.writer` at once


# -- JSON ---------------------------------------------------------------------------------------


def _json_float(value: float) -> str:
    return json.dumps(value)


def _json_list(value: list[Any]) -> str:
    if not value:
        return "[]"
    parts = [_JSON.get(v.__class__, _json_any)(v) for v in value]
    if any("\n" in p for p in parts):  # something nested: the module's own layout
        return _json_any(value)
    return "[\n      " + ",\n      ".join(parts) + "\n    ]"


def _json_any(value: Any) -> str:
    """Any value as `json.dumps(..., indent=2)` writes it two levels down (in a row of the
    list): a string holds no raw newline, so every line break is the layout's."""
    return json.dumps(json_value(value), indent=2).replace("\n", "\n    ")


def _json_date(value: date) -> str:
    return f'"{value.isoformat()}"'


_JSON: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): {None: "null"}.__getitem__,
    float: _json_float,
    date: _json_date,
    list: _json_list,
    tuple: lambda value: _json_list(json_value(value)),
}


def _json_encoder(kind: type) -> Callable[[Any], str]:
    """How a value of class `kind` is written (an enumeration: by its value)."""
    found = _JSON.get(kind)
    if found is None:
        if type(kind) is _ENUMERATION:
            found = _JSON[kind] = lambda value: _json_any(value._value_)
        else:
            found = _json_any
    return found


def row_texts(rows: Sequence[Row | TypedRow], columns: Sequence[str], fmt: str) -> list[str]:
    """Each row's text in a program's format, "csv" (`csv_lines`) or "json" (`json_objects`):
    `joined_texts` makes them the whole text."""
    if fmt == "csv":
        return csv_lines(rows, columns)
    if fmt == "json":
        return json_objects(rows, columns) if columns else ["  {}"] * len(rows)
    raise ValueError(f"no row texts in {fmt!r}")


def joined_texts(texts: Sequence[str], columns: Sequence[str], fmt: str) -> str:
    """The text of `csv_text` or `json_text` from each row's (`row_texts`), in order."""
    if fmt == "csv":
        return csv_header(columns) + "".join(texts)
    return json_joined(texts)


def json_text(rows: Sequence[Row | TypedRow], columns: Sequence[str]) -> str:
    """The rows as a JSON list of objects with the keys `columns`, byte for byte as
    `json.dumps(rows, indent=2)` writes them, and a newline."""
    if not rows or not columns:
        return json.dumps([{} for _ in rows], indent=2) + "\n"
    return json_joined(json_objects(rows, columns))


def json_joined(objects: Sequence[str]) -> str:
    """The JSON list of `json_objects` (of at least one column each)."""
    if not objects:
        return "[]\n"
    return "[\n" + ",\n".join(objects) + "\n]\n"


def json_objects(rows: Sequence[Row | TypedRow], columns: Sequence[str]) -> list[str]:
    """Each row's object in the JSON list of `json_text` (`columns` not empty)."""
    keys = [f"    {encode_basestring_ascii(c)}: " for c in columns]
    encoders = _JSON
    parts = []
    for row in rows:
        values = row if isinstance(row, Mapping) else row.columns()
        cells = [
            key + (encoders.get(v.__class__) or _json_encoder(v.__class__))(v)
            for key, v in zip(keys, [values.get(c) for c in columns], strict=True)
        ]
        parts.append("  {\n" + ",\n".join(cells) + "\n  }")
    return parts
