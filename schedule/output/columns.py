"""The output contract: the columns of every event listing, in CSV and JSON alike, and how a
typed row of the library becomes a row of the contract.

Stable from version 0.1: columns may be added at the end, never renamed, removed or reordered.
Dates are ISO `YYYY-MM-DD`; absent values are empty in CSV and null in JSON; `flags` is a list in
JSON and `;`-separated in CSV; `number` is an integer.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from schedule.domain.model import Event

EVENT_COLUMNS = (
    "event", "kind", "series", "number", "title", "drug", "dose", "date", "end",
    "window_start", "window_end", "status", "given_on", "flags",
)  # fmt: skip

# The `status` of a worklist row and the `state` of a patient-list row for a course whose
# calendar cannot be computed from what is stored.
UNCOMPUTABLE = "error"


class TypedRow(Protocol):
    """A row as the library returns it: dates, enumerations and decimals, not yet text."""

    def columns(self) -> dict[str, Any]:
        """Its value under each column of the contract, typed: a new dict each time."""
        ...


Row = Mapping[str, Any]


def json_value(value: Any) -> Any:
    """A typed value as the contract writes it: a date in ISO form, an enumeration by its
    value, a tuple (the flags) as a list, whole decimal hours as an integer.

    >>> json_value(date(2026, 11, 21)), json_value(Decimal("7.5")), json_value(Decimal("8"))
    ('2026-11-21', 7.5, 8)
    """
    # By the value's exact type, most frequent first: a worklist has tens of thousands of rows.
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is date:
        return value.isoformat()
    if type(kind) is _ENUMERATION:
        return value.value
    if kind is tuple:
        return [json_value(v) for v in value]
    if kind is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):  # of a subclass (a test's frozen clock makes them)
        return value.isoformat()
    return value


_AS_IS = frozenset({str, int, float, bool, type(None)})
_ENUMERATION = type(enum.Enum)  # the class of every enumeration class


def json_row(row: Row | TypedRow) -> Row:
    """A row of the contract (JSON types) from a typed row; a mapping is one already."""
    if type(row) is dict or isinstance(row, Mapping):
        return row
    found = row.columns()
    for column, value in found.items():  # `json_value`, its commonest cases inline
        kind = type(value)
        if kind in _AS_IS:
            continue
        if kind is date:
            found[column] = value.isoformat()
        elif type(kind) is _ENUMERATION:
            found[column] = value.value
        else:
            found[column] = json_value(value)
    return found


def event_columns(event: Event) -> dict[str, Any]:
    """One event's columns of the contract, typed."""
    return {
        "event": event.key,
        "kind": event.kind,
        "series": event.series,
        "number": event.number,
        "title": event.title,
        "drug": event.drug,
        "dose": event.dose,
        "date": event.date,
        "end": event.end,
        "window_start": event.window_start,
        "window_end": event.window_end,
        "status": event.status,
        "given_on": event.given_on,
        "flags": event.flags,
    }


def event_row(event: Event, **extra: Any) -> dict[str, Any]:
    """One event as a row of the contract (JSON types), with extra leading columns."""
    row: dict[str, Any] = dict(extra)
    row.update((column, json_value(v)) for column, v in event_columns(event).items())
    return row
