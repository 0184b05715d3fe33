"""The store's rows and the engine's values, both ways, in plain Python (no SQLAlchemy, so
the light SQLite reader shares them): a patient or a course from the values read, and a record,
its audit detail and an audit row's text as they are written."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from schedule.domain.course import Course, Patient, Record
from schedule.domain.errors import ConflictError, Hint, UnknownError
from schedule.domain.model import RecordType
from schedule.domain.suggest import did_you_mean

# The records that claim their event, once per course (the `standing` table).
CLAIMS = (RecordType.GIVEN, RecordType.SKIPPED)


def patient_of(row: Sequence[Any]) -> Patient:
    """A patient from its values: id, name, tz, appt_time, lang, pregnancy."""
    return Patient(*row)


def course_of(row: Sequence[Any]) -> Course:
    """A course from its values in the dataclass's order (SQLite's dates come as text)."""
    cid, pid, number, regimen, start, interval, month, precautions = row
    start = date.fromisoformat(start) if isinstance(start, str) else start
    return Course(cid, pid, number, regimen, start, interval, bool(month), precautions)


_TYPES = {t.value: t for t in RecordType}


def record_of(row: Sequence[Any]) -> Record:
    """A record from its values in the table's column order (SQLite's dates come as text);
    made as `unpacked_record` makes one (a command may read every record of a clinic)."""
    rid, course_id, kind, key, day, dose, note, corrects, at, by, override, review = row[:12]
    end, toxicity, grade = row[12:]
    if isinstance(day, str):
        day = date.fromisoformat(day)
    if isinstance(review, str):
        review = date.fromisoformat(review)
    values = (
        rid, course_id, _TYPES[kind], day, key, dose, note, corrects, at, by, override, review,
        bool(end), toxicity, grade,
    )  # fmt: skip
    record = object.__new__(Record)
    record.__dict__.update(zip(_RECORD_FIELDS, values, strict=True))
    return record


@dataclass(frozen=True)
class FeedToken:
    """A live feed link's row (its hash is never read back)."""

    id: int
    patient_id: str
    with_name: bool
    created_at: str
    created_by: str


def unknown_patient(patient_id: str, stored: Iterable[str]) -> UnknownError:
    """The refusal of a patient ID not stored, with the stored IDs closest to it."""
    return UnknownError(
        f"unknown patient {patient_id!r}{did_you_mean(patient_id, stored)}",
        field="patient_id",
        hint=Hint.LIST_PATIENTS,
    )


def entered_in_error(patient_id: str, what: str | None = None, ref: str = "P") -> ConflictError:
    """The refusal of a patient (or, by `what` and `ref`, one of its courses) entered in error,
    with the way to restore it (the reason is not repeated: a note is never echoed)."""
    return ConflictError(
        f"{what or f'patient {patient_id}'} was entered in error",
        field="patient_id",
        hint=Hint.REINSTATE,
        patient=patient_id,
        ref=ref,
    )


def by_patient(courses: Sequence[Course]) -> dict[str, list[Course]]:
    """Courses by patient ID, in the order given (a patient without courses is not a key)."""
    out: dict[str, list[Course]] = {}
    for course in courses:
        out.setdefault(course.patient_id, []).append(course)
    return out


def patient_detail(patient: Patient) -> dict[str, Any]:
    detail = {"name": patient.name, "tz": patient.tz, "time": patient.time}
    if patient.pregnancy is not None:  # left out when not known, as before the field existed
        detail["pregnancy"] = patient.pregnancy
    return detail


_AUDIT_JSON = json.JSONEncoder(sort_keys=True, default=str)  # json.dumps makes one per call


def audit_text(detail: dict[str, Any]) -> str:
    """An audit row's detail as stored: JSON, keys sorted, dates as ISO text."""
    return _AUDIT_JSON.encode(detail)


def record_detail(record: Record) -> dict[str, Any]:
    """What the audit trail says of a record: its values but for the stamps."""
    return {
        "course_id": record.course_id,
        "type": record.type.value,
        "event": record.event,
        "day": record.day.isoformat(),
        "dose": record.dose,
        "note": record.note,
        "corrects": record.corrects,
        "override": record.override,
        "review": record.review,
        "end_care": record.end_care or None,
        "toxicity": record.toxicity,
        "grade": record.grade,
    }


def record_audit_text(record: Record) -> str:
    """`audit_text(record_detail(record))`, written straight (an import writes one for every
    record: the encoder's dictionary and key sorting cost more than the text)."""
    r = record
    return (
        f'{{"corrects": {_json(r.corrects)}, "course_id": {_json(r.course_id)}, '
        f'"day": "{r.day.isoformat()}", "dose": {_json(r.dose)}, '
        f'"end_care": {"true" if r.end_care else "null"}, "event": {_json(r.event)}, '
        f'"grade": {_json(r.grade)}, "note": {_json(r.note)}, '
        f'"override": {_json(r.override)}, "review": {_json(r.review)}, '
        f'"toxicity": {_json(r.toxicity)}, "type": {_json(r.type.value)}}}'
    )


def _json(value: object) -> str:
    """A value as `audit_text` writes it: None, text, a whole number, else its text."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _JSON_TEXT(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    return _JSON_TEXT(str(value))  # a date, as `default=str` writes it


_JSON_TEXT = json.encoder.encode_basestring_ascii  # what the encoder writes text with


RECORD_COLUMNS = (
    "course_id", "type", "event", "day", "dose", "note", "corrects", "recorded_at",
    "recorded_by", "override", "review", "end_care", "toxicity", "grade",
)  # fmt: skip


def record_row(record: Record, stamp: str, who: str, text: bool = False) -> tuple[Any, ...]:
    """A record's values in the order of `RECORD_COLUMNS`; `text`: dates as ISO text and the
    end of care as 1, as SQLite keeps them (for the driver's own executemany)."""
    review = record.review
    return (
        record.course_id, record.type._value_, record.event,
        record.day.isoformat() if text else record.day, record.dose, record.note,
        record.corrects, stamp, who, record.override,
        review.isoformat() if text and review else review,
        (1 if text else True) if record.end_care else None, record.toxicity, record.grade,
    )  # fmt: skip


def record_values(record: Record, stamp: str, who: str) -> dict[str, Any]:
    return dict(zip(RECORD_COLUMNS, record_row(record, stamp, who), strict=True))


# A record as plain values, as a worker process sends it back (a dataclass is pickled field by
# field, by name: an import's 42,509 records cost a second, mostly in the parent, which waits).
_TYPES = {t.value: t for t in RecordType}


def packed_record(record: Record) -> tuple[Any, ...]:
    """A record as `unpacked_record` reads it back (its id and stamps are not set yet)."""
    review = record.review
    return (
        record.course_id, record.type.value, record.day.toordinal(), record.event, record.dose,
        record.note, record.corrects, record.override,
        review.toordinal() if review is not None else None, record.end_care, record.toxicity,
        record.grade,
    )  # fmt: skip


def unpacked_record(packed: tuple[Any, ...]) -> Record:
    """The record `packed_record` packed; made as `Record(...)` makes it, field by field (the
    class has no checks of its own), without its frozen `__init__` (tens of thousands a file)."""
    course, kind, day, event, dose, note, corrects, override, review, end, tox, grade = packed
    values = (
        0, course, _TYPES[kind], date.fromordinal(day), event, dose, note, corrects, "", "",
        override, date.fromordinal(review) if review is not None else None, end, tox, grade,
    )  # fmt: skip
    record = object.__new__(Record)
    record.__dict__.update(zip(_RECORD_FIELDS, values, strict=True))
    return record


_RECORD_FIELDS = tuple(f.name for f in fields(Record))
