"""The audit trail of a patient, as rows for the shared renderer: who changed what, and when."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from schedule.domain.toxicity import hold_words
from schedule.output.render import Column

if TYPE_CHECKING:
    from schedule.store.database import Store

HISTORY_COLUMNS = (
    "record", "at", "who", "action", "course", "event", "date", "dose", "note", "corrects",
    "override", "review", "end_care", "toxicity", "grade", "ref",
)  # fmt: skip


def _note(row: Mapping[str, Any]) -> str:
    """The note, with what else the record says in plain words."""
    parts = [hold_words(row.get("toxicity"), row.get("grade"), str(row["note"] or ""))]
    if row["override"]:
        parts.append(f"override: {row['override']}")
    if row["review"]:
        parts.append(f"review {row['review']}")
    if row["end_care"]:
        parts.append("care ends")
    return "; ".join(p for p in parts if p)


HISTORY_TABLE = (
    Column("record", "ref"),  # what `correct` reaches, on every row
    Column("at", "at", below=True),
    Column("who", "who", below=True),
    Column("action", "action"),
    Column("course", "course"),
    Column("event", "event"),
    Column("date", "date"),
    Column("dose", "dose"),
    Column("note", "note", _note, squeeze=1, floor=24, below=True),
)


def history_rows(store: Store, patient_id: str) -> list[dict[str, Any]]:
    """The audit trail of one patient, oldest first (one entered in error too: its trail is
    kept). `record` is a record's number (None for the rows of no record); `ref` names what
    `correct` reaches on every row: the record's number, `C2` for what was done to course 2
    itself (added, its start changed), `P` for the patient's own rows."""
    with store.read() as tx:
        patient_id = tx.require_patient(patient_id, hidden=True).id
        numbers = {c.id: c.number for c in tx.courses(patient_id, hidden=True)}
        entries = tx.audit(patient_id)
    rows = []
    for entry in entries:
        detail = json.loads(entry["detail"])
        rows.append(
            {
                "record": entry["record_id"],
                "at": entry["at"],
                "who": entry["who"],
                "action": entry["action"],
                "course": numbers.get(entry["course_id"]) or detail.get("course"),
                "event": detail.get("event"),
                "date": detail.get("day") or detail.get("start"),
                "dose": detail.get("dose"),
                "note": detail.get("note")
                or detail.get("regimen")
                or detail.get("name")
                or _edited(detail),
                "corrects": detail.get("corrects"),
                "override": detail.get("override"),
                "review": detail.get("review"),
                "end_care": bool(detail.get("end_care")),
                "toxicity": detail.get("toxicity"),
                "grade": detail.get("grade"),
                "ref": _reference(entry, numbers, detail),
            }
        )
    return rows


def _edited(detail: dict[str, Any]) -> str | None:
    """What a patient-edit changed, in words: "tz: Europe/Zurich -> Europe/Paris"."""
    old, new = detail.get("old"), detail.get("new")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    return "; ".join(
        f"{field}: {old.get(field) or '-'} -> {new.get(field) or '-'}" for field in new
    )


def _reference(
    entry: Mapping[str, Any], numbers: Mapping[int, int], detail: Mapping[str, Any]
) -> str:
    """A record's number; `C2` for a row about course 2 itself; `P` for the patient's."""
    if entry["record_id"] is not None:
        return str(entry["record_id"])
    number = numbers.get(entry["course_id"]) or detail.get("course")
    if entry["course_id"] is not None and number:
        return f"C{number}"
    return "P"
