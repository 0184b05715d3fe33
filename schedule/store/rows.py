"""The store's rows as the engine's values, read through a plain DB-API cursor: what the full
store (`transaction.Tx`) and the light SQLite reader (`reader.py`) both read, with no
SQLAlchemy import. The table names are the schema's (`tables.py`; a test checks them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from schedule.domain.course import Course, Patient
from schedule.domain.model import Fact, RecordType
from schedule.domain.units import Quantity

PATIENTS_SQL = "SELECT id, name, tz, appt_time, lang, pregnancy FROM patients ORDER BY id"
COURSES_SQL = (
    "SELECT id, patient_id, number, regimen, start, interval_days, calendar_month, precautions"
    " FROM courses ORDER BY patient_id, number"
)
_TYPES = {t.value: t for t in RecordType if t is not RecordType.ENTERED_IN_ERROR}


def patient_of(row: Sequence[Any]) -> Patient:
    """A patient from the values of `PATIENTS_SQL`."""
    return Patient(*row)


def course_of(row: Sequence[Any]) -> Course:
    """A course from the values of `COURSES_SQL` (SQLite's dates come as text)."""
    cid, pid, number, regimen, start, interval, month, precautions = row
    start = date.fromisoformat(start) if isinstance(start, str) else start
    return Course(cid, pid, number, regimen, start, interval, bool(month), precautions)


def by_patient(courses: Sequence[Course]) -> dict[str, list[Course]]:
    """Courses by patient ID, in the order given (a patient without courses is not a key)."""
    out: dict[str, list[Course]] = {}
    for course in courses:
        out.setdefault(course.patient_id, []).append(course)
    return out


def read_facts(cursor: Any, course_ids: Sequence[int] | None) -> dict[int, list[Fact]]:
    """The engine's facts by course (all courses for None), from the records that stand, in
    the order recorded: plain tuples from the driver's cursor, no result objects (the course
    ids are integers, written into the statement so that no parameter limit applies)."""
    where = ""
    if course_ids is not None:
        if not course_ids:
            return {}
        where = f" WHERE course_id IN ({','.join(str(int(i)) for i in course_ids)})"
    cursor.execute(
        "SELECT id, course_id, type, event, day, dose, note, override, review, end_care,"
        " toxicity, grade"
        f" FROM records{where} ORDER BY id"
    )
    rows = cursor.fetchall()
    cursor.execute(
        f"SELECT corrects FROM records WHERE type = '{RecordType.ENTERED_IN_ERROR.value}'"
    )
    wrong = {corrects for (corrects,) in cursor.fetchall()}
    types, iso = _TYPES, date.fromisoformat
    days: dict[Any, date] = {}  # SQLite keeps dates as ISO text: parse each text once
    amounts: dict[str, Quantity] = {}  # and a clinic records the same few amounts
    out: dict[int, list[Fact]] = defaultdict(list)
    for rid, course_id, kind, key, day, dose, note, override, review, end, tox, grade in rows:
        if kind not in types or (wrong and rid in wrong):
            continue
        if isinstance(day, str):
            day = days.get(day) or days.setdefault(day, iso(day))
        amount = None
        if dose:
            amount = amounts.get(dose)
            if amount is None:
                amount = amounts[dose] = Quantity.parse(dose)
        out[course_id].append(
            Fact(
                types[kind], day, key, amount, note, override,
                iso(review) if isinstance(review, str) else review, bool(end), tox, grade,
            )
        )  # fmt: skip
    return dict(out)
