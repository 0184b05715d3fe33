"""The output contract: the columns of every event listing, in CSV and JSON alike.

Stable from version 0.1: columns may be added at the end, never renamed, removed or reordered.
Dates are ISO `YYYY-MM-DD`; absent values are empty in CSV and null in JSON; `flags` is a list in
JSON and `;`-separated in CSV; `number` is an integer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schedule.domain.model import Event

EVENT_COLUMNS = (
    "event", "kind", "series", "number", "title", "drug", "dose", "date", "end",
    "window_start", "window_end", "status", "given_on", "flags",
)  # fmt: skip

Row = Mapping[str, Any]


def event_row(event: Event, **extra: Any) -> dict[str, Any]:
    """One event as a row of the contract (JSON types), with extra leading columns."""
    row: dict[str, Any] = dict(extra)
    row.update(
        event=event.key,
        kind=event.kind.value,
        series=event.series,
        number=event.number,
        title=event.title,
        drug=event.drug,
        dose=event.dose,
        date=event.date.isoformat(),
        end=event.end.isoformat(),
        window_start=event.window_start.isoformat(),
        window_end=event.window_end.isoformat(),
        status=event.status.value,
        given_on=event.given_on.isoformat() if event.given_on else None,
        flags=[flag.value for flag in event.flags],
    )
    return row
