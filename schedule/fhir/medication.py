"""The drugs of a course as FHIR: one MedicationRequest per drug (the dose series, and the
companion SSA injections of a radioligand course) with its timing and dose, and one
MedicationAdministration per record about a dose, both claiming mCODE's cancer-related
profiles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from schedule.domain.course import Record
from schedule.domain.model import SSA_SERIES, Event, RecordType
from schedule.domain.regimen import Regimen
from schedule.domain.units import Quantity
from schedule.fhir import vocab
from schedule.fhir.context import CourseContext
from schedule.fhir.vocab import extension, quantity, resource_id


def number(value: Decimal) -> int | float:
    """A JSON number for a dose: whole amounts as integers, the others as written (7.4)."""
    return int(value) if value == value.to_integral_value() else float(value)


def dose_quantity(text: str) -> dict[str, Any]:
    parsed = Quantity.parse(text)
    return quantity(number(parsed.value), parsed.unit)


def part_of(regimen: Regimen, series: str) -> str:
    """Which drug of the regimen an event's series gives: "dose" or "ssa"."""
    return "ssa" if series in SSA_SERIES and regimen.ssa is not None else "dose"


def concept(regimen: Regimen, part: str) -> dict[str, Any]:
    """The drug as a CodeableConcept: the regimen file's codes (each with its source there),
    and always the drug's name as text."""
    drug = regimen.ssa.drug if part == "ssa" and regimen.ssa else regimen.dose.drug
    codings = dict(regimen.codes).get(part, ())
    made: dict[str, Any] = {"text": drug}
    if codings:
        made["coding"] = [{"system": c.uri, "code": c.code, "display": c.display} for c in codings]
    return made


def _period(days: int, months: int) -> tuple[int, str]:
    """An interval as FHIR's `period` and `periodUnit`: months, whole weeks, else days."""
    if months:
        return months, "mo"
    return (days // 7, "wk") if days % 7 == 0 else (days, "d")


def _dose_instructions(regimen: Regimen, interval_days: int, start: date) -> list[dict[str, Any]]:
    spec = regimen.dose
    every, unit = _period(interval_days, spec.interval_months)
    repeat: dict[str, Any] = {"period": every, "periodUnit": unit}
    if spec.count is not None:
        repeat["count"] = spec.count - (1 if spec.loading is not None else 0)
    else:
        repeat["boundsPeriod"] = {"start": start.isoformat()}
    main = {
        "timing": {"repeat": repeat},
        "doseAndRate": [{"doseQuantity": dose_quantity(spec.amount.text)}],
    }
    if spec.loading is None:
        return [{"sequence": 1, "text": regimen.summary, **main}]
    first = {
        "sequence": 1,
        "text": f"first dose {spec.loading.text}",
        "timing": {"repeat": {"count": 1, "period": every, "periodUnit": unit}},
        "doseAndRate": [{"doseQuantity": dose_quantity(spec.loading.text)}],
    }
    return [first, {"sequence": 2, "text": regimen.summary, **main}]


def _ssa_instructions(regimen: Regimen, events: Sequence[Event]) -> list[dict[str, Any]]:
    ssa = regimen.ssa
    assert ssa is not None
    count = regimen.dose.count or 0
    after = {
        "sequence": 1,
        "text": f"after each {regimen.dose.drug} dose, {ssa.after_from} to {ssa.after_to} days",
        "timing": {"repeat": {"count": count}},
        "doseAndRate": [{"doseQuantity": dose_quantity(ssa.amount.text)}],
    }
    every, unit = _period(ssa.maintenance_every, 0)
    repeat: dict[str, Any] = {"period": every, "periodUnit": unit}
    later = [e for e in events if e.series in SSA_SERIES and e.number > count]
    if later:
        repeat["boundsPeriod"] = {
            "start": later[0].date.isoformat(),
            "end": later[-1].date.isoformat(),
        }
    maintenance = {
        "sequence": 2,
        "text": f"then every {ssa.maintenance_every} days until "
        f"{ssa.maintenance_until_months} months after the first dose",
        "timing": {"repeat": repeat},
        "doseAndRate": [{"doseQuantity": dose_quantity(ssa.amount.text)}],
    }
    return [after, maintenance]


def medication_requests(ctx: CourseContext) -> list[dict[str, Any]]:
    """One MedicationRequest per drug of the course."""
    view = ctx.view
    regimen = view.regimen
    parts = ["dose"] + (["ssa"] if regimen.ssa is not None else [])
    made = []
    for part in parts:
        if part == "dose":
            interval = view.course.interval_days or regimen.dose.interval_days
            instructions = _dose_instructions(regimen, interval, view.course.start)
        else:
            instructions = _ssa_instructions(regimen, view.events)
        request = {
            "resourceType": "MedicationRequest",
            "id": request_id(ctx, part),
            "meta": {"profile": [vocab.MEDICATION_REQUEST_PROFILE]},
            "extension": [extension(vocab.COURSE, "valueInteger", view.course.number)],
            "status": vocab.REQUEST_STATUS[ctx.view.state],
            "intent": "plan",
            "medicationCodeableConcept": concept(regimen, part),
            "subject": ctx.subject,
            "authoredOn": view.course.start.isoformat(),
            "reasonCode": ctx.reason,
            "basedOn": [{"reference": f"CarePlan/{ctx.careplan_id}"}],
            "dosageInstruction": instructions,
        }
        if ctx.settings.clinic_name:  # the clinic, by name only
            request["requester"] = {"display": ctx.settings.clinic_name}
        made.append(request)
    return made


def request_id(ctx: CourseContext, part: str) -> str:
    return resource_id("MedicationRequest", ctx.patient_id, ctx.view.course.number, part)


def administrations(ctx: CourseContext) -> list[dict[str, Any]]:
    """One MedicationAdministration per record about a dose: given, skipped, a hold, a
    discontinuation; a record later marked entered-in-error goes out as such."""
    view = ctx.view
    doses = {e.key: e for e in view.events if e.kind.value == "dose"}
    wrong = {r.corrects for r in view.records if r.type is RecordType.ENTERED_IN_ERROR}
    made = []
    for record in view.records:
        status = vocab.ADMINISTRATION_STATUS.get(record.type)
        if status is None or (record.event is not None and record.event not in doses):
            continue
        series = doses[record.event].series if record.event else view.regimen.dose.series
        made.append(_administration(ctx, record, series, record.id in wrong))
    return made


def _administration(
    ctx: CourseContext, record: Record, series: str, corrected: bool
) -> dict[str, Any]:
    part = part_of(ctx.view.regimen, series)
    status = vocab.CORRECTED if corrected else vocab.ADMINISTRATION_STATUS[record.type]
    extensions = [extension(vocab.COURSE, "valueInteger", ctx.view.course.number)]
    if record.event:
        extensions.insert(0, extension(vocab.EVENT, "valueString", record.event))
    if record.override:
        extensions.append(extension(vocab.OVERRIDE, "valueString", record.override))
    if record.review:
        extensions.append(extension(vocab.REVIEW, "valueDate", record.review.isoformat()))
    if record.end_care:
        extensions.append(extension(vocab.END_CARE, "valueBoolean", True))
    if record.grade is not None:
        extensions.append(extension(vocab.GRADE, "valueInteger", record.grade))
    made: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": resource_id("MedicationAdministration", ctx.patient_id, record.id),
        "meta": {"profile": [vocab.MEDICATION_ADMINISTRATION_PROFILE]},
        "extension": extensions,
        "identifier": [{"system": vocab.RECORD, "value": str(record.id)}],
        "status": status,
        "medicationCodeableConcept": concept(ctx.view.regimen, part),
        "subject": ctx.subject,
        "effectiveDateTime": record.day.isoformat(),
        "reasonCode": ctx.reason,
        "request": {"reference": f"MedicationRequest/{request_id(ctx, part)}"},
    }
    if record.toxicity:
        coding = {"system": vocab.TOXICITY_SYSTEM, "code": record.toxicity}
        made["statusReason"] = [{"coding": [coding], "text": record.toxicity}]
    if record.note:
        made["note"] = [{"text": record.note}]
    if record.dose:
        made["dosage"] = {"dose": dose_quantity(record.dose)}
    return made
