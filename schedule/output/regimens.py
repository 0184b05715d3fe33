"""Rows for `prrt regimens`: what each regimen gives, for people and programs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schedule.domain.regimen import Catalog
from schedule.output.render import Column

REGIMEN_COLUMNS = (
    "id", "name", "drug", "dose", "doses", "interval_days", "interval_choices", "calendar_month",
    "precautions", "summary", "file", "interval_months",
)  # fmt: skip


def _every(row: Mapping[str, Any]) -> str:
    """The interval as a person reads it: "28/42/56 d", or "3 mo / 84 d" for calendar months."""
    days = "/".join(map(str, row["interval_choices"])) + " d"
    months = row["interval_months"]
    return f"{months} mo / {days}" if months else days


REGIMEN_TABLE = (
    Column("id", "id"),
    Column("doses", "doses", lambda r: "open" if r["doses"] is None else str(r["doses"])),
    Column("dose", "dose"),
    Column("every", "interval_choices", _every),
    Column("name", "name", squeeze=1, floor=40, below=True),
)


def regimen_rows(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "name": r.name,
            "drug": r.dose.drug,
            "dose": str(r.dose.amount),
            "doses": r.dose.count,
            "interval_days": r.dose.interval_days,
            "interval_choices": list(r.dose.interval_choices),
            "calendar_month": r.dose.calendar_month,
            "precautions": list(r.precaution_variants),
            "summary": r.summary,
            "file": r.path,
            "interval_months": r.dose.interval_months or None,
        }
        for r in catalog.regimens
    ]
