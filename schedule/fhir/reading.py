"""MedicationAdministration resources read back as rows of doses: from a Bundle (any type;
its Patient resources resolve the subjects' references) or newline-delimited JSON (the Bulk
Data format). JSON is read by the standard library; each element read is checked for its
FHIR type on the way. A resource that cannot be
read or matched is refused with its position and why; nothing is kept then."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from schedule.domain.dates import parse_iso_date
from schedule.domain.errors import PrrtError
from schedule.domain.model import RecordType
from schedule.domain.patients import check_patient_id
from schedule.domain.toxicity import parse_toxicity
from schedule.fhir import vocab
from schedule.tracking.csvfiles import CsvError
from schedule.tracking.rules import Proposal

MAX_BYTES = 64 * 1024 * 1024  # larger files are refused before they are read
ADMINISTRATION = "MedicationAdministration"
PROCEDURE = "Procedure"  # a lab or scan taken (prrt's export sends these beside the doses)
READ = (ADMINISTRATION, PROCEDURE)


@dataclass(frozen=True)
class Administration:
    """One MedicationAdministration, read: where it was, whose, which course (None: the one
    its date and drug choose), the drug as sent, and what it records (its event may be None:
    chosen from the calendar, `matching.py`)."""

    position: int
    patient_id: str
    number: int | None
    medication: dict[str, Any]  # empty for a Procedure
    proposal: Proposal
    test: bool = False  # a Procedure: a lab or a scan, not a drug
    order: int | None = None  # the record number prrt's export gave it (the order recorded)


@dataclass(frozen=True)
class Read:
    administrations: list[Administration]
    place: str  # what a position counts: "line" (NDJSON) or "entry" (a Bundle's entries)
    corrected: int  # entered-in-error resources, left out
    other: int  # resources of other types in a Bundle, left out


def read_file(path: Path, patient_system: str) -> Read:
    """Every MedicationAdministration of the file at `path`."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CsvError(
                name, None, None,
                f"is {size // (1024 * 1024)} MB, more than {MAX_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files (NDJSON splits between any two lines)",
            )  # fmt: skip
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CsvError(name, None, None, "no such file") from None
    except UnicodeDecodeError:
        raise CsvError(name, None, None, "is not UTF-8 text; FHIR JSON is UTF-8") from None
    except OSError as exc:
        raise CsvError(name, None, None, f"cannot be read: {exc.strerror or exc}") from None
    resources, place = _resources(name, text)
    patients: dict[str, dict[str, Any]] = {}
    if isinstance(resources, list):  # a Bundle's: its Patients resolve the subjects
        patients = {
            f"Patient/{r['id']}": r
            for _, r in resources
            if r.get("resourceType") == "Patient" and "id" in r
        }
    found, corrected, other = [], 0, 0
    bundled = place == "entry"
    for position, resource in resources:
        kind = resource.get("resourceType")
        if kind not in READ:
            if not bundled:
                problem = f"{kind!r} is not a {ADMINISTRATION} (or a {PROCEDURE} of a lab)"
                raise CsvError(name, position, "resourceType", problem, place=place)
            other += 1
            continue
        if resource.get("status") == vocab.CORRECTED:
            corrected += 1
            continue
        found.append(_administration(name, place, position, resource, patients, patient_system))
    if not found and not corrected and not bundled:
        raise CsvError(name, None, None, f"holds no {ADMINISTRATION} resource")
    return Read(found, place, corrected, other)


Numbered = Iterable[tuple[int, dict[str, Any]]]


def _resources(name: str, text: str) -> tuple[Numbered, str]:
    """The resources of a Bundle (numbered by entry), or of NDJSON (numbered by line, read one
    at a time: only what is kept of each stays in memory)."""
    try:
        whole = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise CsvError(name, exc.lineno, None, f"is not JSON: {exc.msg}") from None
        return _lines(name, text), "line"
    if not isinstance(whole, dict):
        raise CsvError(name, None, None, "is not a FHIR resource (a JSON object)")
    if whole.get("resourceType") != "Bundle":
        return [(1, whole)], "line"
    entries = whole.get("entry") or []
    if not isinstance(entries, list):
        raise CsvError(name, None, "entry", "must be a list")
    made = []
    for number, entry in enumerate(entries, 1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise CsvError(name, number, "resource", "is missing", place="entry")
        made.append((number, resource))
    return made, "entry"


def _lines(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            resource = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise CsvError(name, number, None, f"is not JSON: {exc.msg}") from None
        if not isinstance(resource, dict):
            raise CsvError(name, number, None, "is not a FHIR resource (a JSON object)")
        yield number, resource


def _dict(value: Any, field: str, fail: Any) -> dict[str, Any]:
    """An element that must be a JSON object (absent: empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(field, "must be a JSON object")
    return value


def _list(value: Any, field: str, fail: Any) -> list[dict[str, Any]]:
    """An element that must be a list of JSON objects (absent: empty)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fail(field, "must be a list of JSON objects")
    return value


def _text(value: Any, field: str, fail: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(field, "must be a string")
    return value


_TYPES = {  # prrt's extensions, and the JSON type each value must have
    vocab.EVENT: str, vocab.COURSE: int, vocab.OVERRIDE: str, vocab.REVIEW: str,
    vocab.END_CARE: bool, vocab.GRADE: int,
}  # fmt: skip


def _extensions(resource: dict[str, Any], fail: Any) -> dict[str, Any]:
    """prrt's extensions of a resource, by URL (the others are left as they are)."""
    found: dict[str, Any] = {}
    for item in _list(resource.get("extension"), "extension", fail):
        url = item.get("url")
        kind = _TYPES.get(url) if isinstance(url, str) else None
        if kind is None or not isinstance(url, str):
            continue
        values = [v for k, v in item.items() if k.startswith("value")]
        ok = len(values) == 1 and isinstance(values[0], kind)
        if not ok or (kind is int and isinstance(values[0], bool)):
            raise fail("extension", f"{url} needs one value of type {kind.__name__}")
        found[url] = values[0]
    return found


def _administration(
    name: str,
    place: str,
    position: int,
    resource: dict[str, Any],
    patients: dict[str, dict[str, Any]],
    patient_system: str,
) -> Administration:
    def fail(field: str, problem: str) -> CsvError:
        return CsvError(name, position, field, problem, place=place)

    test = resource["resourceType"] == PROCEDURE
    types = vocab.PROCEDURE_TYPE if test else vocab.RECORD_TYPE
    status = resource.get("status")
    kind = types.get(str(status))
    if kind is None:
        known = ", ".join(sorted(types))
        return_msg = f"{status!r} cannot be recorded; send one of {known} (or entered-in-error)"
        raise fail("status", return_msg)
    pid = _patient(resource, patients, patient_system, fail)
    day = _day(resource, fail)
    ext = _extensions(resource, fail)
    dose = _dose(resource, fail)
    if dose is None and kind is RecordType.GIVEN and not test:
        raise fail("dosage.dose", "is missing; a given dose needs its amount (value and unit)")
    toxicity, notes = _reasons(resource, fail)
    review = ext.get(vocab.REVIEW)
    proposal = Proposal(
        kind,
        ext.get(vocab.EVENT) or None,
        day,
        dose,
        "; ".join(n for n in notes if n),
        ext.get(vocab.OVERRIDE) or None,
        _field(fail, "extension", parse_iso_date, review) if review else None,
        bool(ext.get(vocab.END_CARE, False)),
        toxicity,
        ext.get(vocab.GRADE),
    )
    number = ext.get(vocab.COURSE)
    medication = _dict(resource.get("medicationCodeableConcept"), "medicationCodeableConcept", fail)
    if not test and not (medication.get("text") or medication.get("coding")):
        raise fail("medicationCodeableConcept", "is missing; name the drug by code or text")
    _text(medication.get("text"), "medicationCodeableConcept.text", fail)
    _list(medication.get("coding"), "medicationCodeableConcept.coding", fail)
    order = None
    for identifier in _list(resource.get("identifier"), "identifier", fail):
        if identifier.get("system") == vocab.RECORD and str(identifier.get("value")).isdigit():
            order = int(identifier["value"])
    return Administration(position, pid, number, medication, proposal, test, order)


def _dose(resource: dict[str, Any], fail: Any) -> str | None:
    """The amount given, as prrt writes it (7.4 GBq), or None."""
    given = _dict(_dict(resource.get("dosage"), "dosage", fail).get("dose"), "dosage.dose", fail)
    if not given:
        return None
    code = _text(given.get("code"), "dosage.dose.code", fail)
    unit = code or _text(given.get("unit"), "dosage.dose.unit", fail)
    if code:
        _text(given.get("unit"), "dosage.dose.unit", fail)
    value = given.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not unit:
        raise fail("dosage.dose", "needs a number (value) and a unit, e.g. 7.4 GBq")
    return f"{value} {unit}"


def _reasons(resource: dict[str, Any], fail: Any) -> tuple[Any, list[str]]:
    """A hold's toxicity (from statusReason, in prrt's system) and the notes' texts."""
    toxicity = None
    for reason in _list(resource.get("statusReason"), "statusReason", fail):
        for coding in _list(reason.get("coding"), "statusReason.coding", fail):
            code = _text(coding.get("code"), "statusReason.coding.code", fail)
            if coding.get("system") == vocab.TOXICITY_SYSTEM and code:
                toxicity = _field(fail, "statusReason", parse_toxicity, code)
    notes = [
        _text(n.get("text"), "note.text", fail) or ""
        for n in _list(resource.get("note"), "note", fail)
    ]
    return toxicity, notes


def _field(fail: Any, field: str, parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except PrrtError as exc:
        raise fail(field, exc.message) from None


def _patient(
    resource: dict[str, Any], patients: dict[str, dict[str, Any]], system: str, fail: Any
) -> str:
    """The patient ID: the subject's identifier in the site's system, else that of the Patient
    resource the subject refers to (in the same Bundle)."""
    subject = _dict(resource.get("subject"), "subject", fail)
    own = _dict(subject.get("identifier"), "subject.identifier", fail)
    identifiers = [own] if own else []
    referred = patients.get(str(subject.get("reference")))
    if referred is not None:
        identifiers += _list(referred.get("identifier"), "subject", fail)
    for identifier in identifiers:
        if identifier.get("system") in (system, None) and isinstance(identifier.get("value"), str):
            return str(_field(fail, "subject", check_patient_id, str(identifier["value"])))
    raise fail(
        "subject",
        f"names no patient identifier in the system {system} (site.fhir_patient_system); "
        "give subject.identifier, or the Patient resource in the same Bundle",
    )


def _day(resource: dict[str, Any], fail: Any) -> Any:
    field = "performed" if resource["resourceType"] == PROCEDURE else "effective"
    period = _dict(resource.get(f"{field}Period"), f"{field}Period", fail)
    text = _text(resource.get(f"{field}DateTime"), f"{field}DateTime", fail) or _text(
        period.get("start"), f"{field}Period.start", fail
    )
    if not text:
        raise fail(f"{field}DateTime", "is missing; give the day it was done")
    return _field(fail, f"{field}DateTime", parse_iso_date, text[:10])
