"""Which course and event a MedicationAdministration is about. Its drug (by code, else by
text) names the regimen part it gives; the course is the one named, else the patient's course
that gives that drug; the event is the one named (prrt's own export names it), else that
part's first dose not yet recorded whose planned day is nearest the day given."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from schedule.domain.course import Course
from schedule.domain.model import SSA_SERIES, Event, Kind, Status
from schedule.domain.regimen import Catalog, Regimen
from schedule.engine.views import CourseView
from schedule.fhir import vocab
from schedule.fhir.medication import concept, part_of
from schedule.fhir.reading import Administration
from schedule.tracking.csvfiles import CsvError
from schedule.tracking.transfer import DoseRow

_OPEN = (Status.PLANNED, Status.DUE, Status.OVERDUE, Status.MISSED, Status.HELD)


def _names(regimen: Regimen, part: str) -> set[str]:
    """What a drug may be called in a resource's text: the regimen's name of it, its parts
    ("Lutathera", "lutetium Lu 177 dotatate"), and the displays of its codes."""
    made = concept(regimen, part)
    drug = str(made["text"])
    names = {drug, drug.split(" (", 1)[0]}
    if "(" in drug:
        names.add(drug.split("(", 1)[1].rstrip(")"))
    names |= {str(c.get("display", "")) for c in made.get("coding", [])}
    return {n.strip().casefold() for n in names if n.strip()}


def gives(regimen: Regimen, part: str, medication: dict[str, Any]) -> bool:
    """Whether `medication` (a CodeableConcept) is the regimen's drug `part`."""
    codes = {(c["system"], c["code"]) for c in concept(regimen, part).get("coding", [])}
    sent = {(c.get("system"), c.get("code")) for c in medication.get("coding") or []}
    if codes & sent:
        return True
    texts = {str(medication.get("text", ""))} | {
        str(c.get("display", "")) for c in medication.get("coding") or []
    }
    return bool({t.strip().casefold() for t in texts} & _names(regimen, part))


def _parts(regimen: Regimen) -> tuple[str, ...]:
    return ("dose", "ssa") if regimen.ssa is not None else ("dose",)


def _in_part(regimen: Regimen, series: str, part: str) -> bool:
    if part == "ssa":
        return series in SSA_SERIES
    return series == regimen.dose.series


def rows_for(
    name: str,
    place: str,
    patient_id: str,
    items: Sequence[Administration],
    courses: Sequence[Course],
    catalog: Catalog,
    calendars: Callable[[], Sequence[CourseView]],
) -> list[DoseRow]:
    """The rows of one patient's administrations, each with its course and event. The
    patient's calendars (`calendars`) are built only for a resource that names no event."""
    used: set[tuple[int, str]] = set()
    rows = []
    for item in items:

        def fail(field: str, problem: str, item: Administration = item) -> CsvError:
            return CsvError(name, item.position, field, problem, place=place)

        if item.test:
            rows.append(_test_row(item, patient_id, calendars, used, fail))
            continue
        mine = [c for c in courses if item.number in (None, c.number)]
        candidates = [
            (course, part)
            for course in mine
            for part in _parts(catalog.get(course.regimen))
            if gives(catalog.get(course.regimen), part, item.medication)
        ]
        if not candidates:
            drugs = "; ".join(
                sorted({str(concept(catalog.get(c.regimen), p)["text"])
                        for c in mine for p in _parts(catalog.get(c.regimen))})
            )  # fmt: skip
            sent = item.medication.get("text") or item.medication.get("coding")
            raise fail(
                "medicationCodeableConcept",
                f"{sent!r} is not a drug of {patient_id}'s courses ({drugs or 'none'}); "
                "send its code or its name",
            )
        proposal, number = item.proposal, item.number
        if proposal.event is not None:
            _check_event(candidates, mine, catalog, str(proposal.event), fail)
        elif proposal.type.value in ("given", "skipped"):
            view, key = _dose_of(candidates, calendars(), proposal.day, used, fail)
            proposal, number = replace(proposal, event=key), view.course.number
        rows.append(DoseRow(item.position, patient_id, number, proposal))
    return rows


def _dose_of(
    candidates: Sequence[tuple[Course, str]],
    views: Sequence[CourseView],
    day: date,
    used: set[tuple[int, str]],
    fail: Any,
) -> tuple[CourseView, str]:
    """The dose a resource naming no event is about: of the drug sent (`candidates`: the
    courses and parts that give it), the one nearest `day` not yet recorded."""
    gives_it = {(course.id, part) for course, part in candidates}
    doses = [
        (view, event)
        for view in views
        for event in view.events
        if event.kind is Kind.DOSE
        and (view.course.id, part_of(view.regimen, event.series)) in gives_it
    ]
    found = _nearest(doses, day, used)
    if found is None:
        raise fail(
            "medicationCodeableConcept",
            "every dose of this drug is already recorded; correct a record with its "
            f"record number, or name the event in the extension {vocab.EVENT}",
        )
    return found


def _nearest(
    events: Iterable[tuple[CourseView, Event]], day: date, used: set[tuple[int, str]]
) -> tuple[CourseView, str] | None:
    """Of `events`, the one not yet recorded (nor matched by an earlier resource, `used`)
    whose planned day is nearest `day` (the earlier of two as near); it is then `used`."""
    best: tuple[int, date, CourseView, str] | None = None
    for view, event in events:
        if event.status not in _OPEN or (view.course.id, event.key) in used:
            continue
        gap = abs((event.date - day).days)
        if best is None or (gap, event.date) < best[:2]:
            best = (gap, event.date, view, event.key)
    if best is None:
        return None
    used.add((best[2].course.id, best[3]))
    return best[2], best[3]


def _check_event(
    candidates: Sequence[tuple[Course, str]],
    courses: Sequence[Course],
    catalog: Catalog,
    key: str,
    fail: Any,
) -> None:
    """An event named must be a dose of the drug sent, where a course of the patient gives
    that event's series (an event no course has is refused by the guards)."""
    series = key.rsplit("-", 1)[0]
    if any(_in_part(catalog.get(c.regimen), series, p) for c, p in candidates):
        return
    for course in courses:
        regimen = catalog.get(course.regimen)
        for part in _parts(regimen):
            if _in_part(regimen, series, part):
                drug = concept(regimen, part)["text"]
                raise fail(
                    "medicationCodeableConcept",
                    f"event {key} gives {drug}; the drug sent is another",
                )


def _test_row(
    item: Administration,
    patient_id: str,
    calendars: Callable[[], Sequence[CourseView]],
    used: set[tuple[int, str]],
    fail: Any,
) -> DoseRow:
    """A lab or scan (a Procedure): the event named, else the blood tests not yet recorded
    whose planned day is nearest the day taken."""
    if item.proposal.event is not None:
        return DoseRow(item.position, patient_id, item.number, item.proposal)
    labs = [
        (view, event)
        for view in calendars()
        if item.number in (None, view.course.number)
        for event in view.events
        if event.kind is Kind.LAB
    ]
    found = _nearest(labs, item.proposal.day, used)
    if found is None:
        raise fail(
            "extension",
            "no blood tests of this patient wait to be recorded; name the event in the "
            f"extension {vocab.EVENT}",
        )
    view, key = found
    return DoseRow(item.position, patient_id, view.course.number, replace(item.proposal, event=key))
