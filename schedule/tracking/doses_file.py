"""The doses given, in CSV and out: every record that stands goes out as a row that `import
doses` reads back, and a file's rows are read in and each checked on its own (the rows
against the calendars: `schedule.tracking.transfer`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from schedule.domain.course import effective
from schedule.domain.dates import parse_iso_date
from schedule.domain.model import RecordType
from schedule.domain.patients import check_patient_id
from schedule.domain.toxicity import parse_toxicity
from schedule.store.database import Store
from schedule.tracking.csvfiles import (
    CsvError,
    course_number,
    field_value,
    read_cells,
    whole_number,
)
from schedule.tracking.rules import Proposal

DOSES_COLUMNS = (
    "patient_id", "event", "date", "dose", "note", "course", "type", "override", "review",
    "end_care", "toxicity", "grade",
)  # fmt: skip


_IMPORTABLE = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}
_YES = {"": False, "no": False, "false": False, "0": False, "yes": True, "true": True, "1": True}


class DoseRow(NamedTuple):
    """A row of a doses file, parsed: its line, the patient, the course it names (None: the
    one the date chooses) and what it records. A named tuple: a file has tens of thousands."""

    line: int
    patient_id: str
    number: int | None
    proposal: Proposal


def parse_doses(path: Path) -> list[DoseRow]:
    """Every row of the file, checked on its own."""
    name = str(path)
    header, rows = read_cells(path, DOSES_COLUMNS, 3)
    at = header.index("patient_id")
    parsed = []
    # A file names a patient, and the same event on the same day, many times over: a patient
    # is checked once, and rows alike but for the patient share what they say (their course
    # number and one proposal: it is frozen, and `shared_proposals` holds), read once.
    checked: set[str] = set()
    alike: dict[tuple[str, ...], tuple[int | None, Proposal]] = {}
    days: dict[str, date] = {}
    proposals: dict[tuple[Any, ...], Proposal] = {}
    for line, cells in rows:
        pid = cells[at]
        if pid not in checked:
            checked.add(field_value(name, line, "patient_id", check_patient_id, pid))
        said = tuple(cells[:at] + cells[at + 1 :])
        known = alike.get(said)
        if known is None:
            row = dict(zip(header, cells, strict=True))
            known = alike[said] = _said(name, line, row, days, proposals)
        parsed.append(DoseRow(line, pid, *known))
    return parsed


def shared_proposals(rows: list[DoseRow]) -> list[DoseRow]:
    """The rows with one proposal object for rows that propose the same, as `parse_doses`
    gives them (an import checks a proposal once for courses alike, by its identity: rows
    read otherwise, from FHIR resources, go through here first)."""
    alike: dict[Proposal, Proposal] = {}
    return [row._replace(proposal=alike.setdefault(row.proposal, row.proposal)) for row in rows]


def _said(
    name: str,
    line: int,
    row: dict[str, str],
    days: dict[str, date],
    proposals: dict[tuple[Any, ...], Proposal],
) -> tuple[int | None, Proposal]:
    """What a row says but for its patient: the course it names (None: the one the date
    chooses) and its proposal; `days` and `proposals` keep those read already."""
    day = days.get(row["date"])
    if day is None:
        day = days[row["date"]] = field_value(name, line, "date", parse_iso_date, row["date"])
    type_text = row.get("type") or "given"
    if type_text not in _IMPORTABLE:
        problem = f"{type_text!r} is not one of {', '.join(_IMPORTABLE)}"
        raise CsvError(name, line, "type", problem)
    number = course_number(name, line, row.get("course"))
    review = None
    if row.get("review"):
        review = field_value(name, line, "review", parse_iso_date, row["review"])
    end_care = row.get("end_care", "").lower()
    if end_care not in _YES:
        raise CsvError(name, line, "end_care", f"{end_care!r} is not yes or no")
    toxicity = None
    if row.get("toxicity"):
        toxicity = field_value(name, line, "toxicity", parse_toxicity, row["toxicity"])
    grade = None
    if row.get("grade"):
        grade = whole_number(row["grade"], 0, 99)
        if grade is None:
            raise CsvError(name, line, "grade", f"{row['grade']!r} is not a CTCAE grade")
    values = (
        _IMPORTABLE[type_text],
        row["event"] or None,
        day,
        row.get("dose") or None,
        row.get("note", ""),
        row.get("override") or None,
        review,
        _YES[end_care],
        toxicity,
        grade,
    )
    proposal = proposals.get(values)
    if proposal is None:
        proposal = proposals[values] = Proposal(*values)
    return number, proposal


def export_doses(store: Store) -> list[dict[str, Any]]:
    """Every record that stands (doses, labs and scans given; skips, reschedules, holds,
    resumptions, discontinuations), in the columns `import doses` reads back."""
    with store.read() as tx:
        courses = {c.id: c for c in tx.courses()}
        records = tx.records()
    rows = []
    shown = [cid for cid in records if cid in courses]  # not those entered in error
    order = sorted(shown, key=lambda cid: (courses[cid].patient_id, courses[cid].number))
    for course_id in order:
        course = courses[course_id]
        for record in effective(records[course_id]):
            rows.append(
                {
                    "patient_id": course.patient_id,
                    "event": record.event,
                    "date": record.day.isoformat(),
                    "dose": record.dose,
                    "note": record.note,
                    "course": course.number,
                    "type": record.type.value,
                    "override": record.override,
                    "review": record.review.isoformat() if record.review else None,
                    "end_care": "yes" if record.end_care else None,
                    "toxicity": record.toxicity,
                    "grade": record.grade,
                }
            )
    return rows
