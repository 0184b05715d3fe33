"""The plan of a course as FHIR: the CarePlan with one activity per planned event, the
ServiceRequests of its labs and scans, and a DetectedIssue for every flag and every missed or
overdue step (a resource any receiving system reads, where an extension of an activity would
be read only by systems that know prrt)."""

from __future__ import annotations

from typing import Any

from schedule.domain.model import Event, Kind, RecordType, Status
from schedule.fhir import vocab
from schedule.fhir.context import CourseContext
from schedule.fhir.medication import concept, dose_quantity, part_of, request_id
from schedule.fhir.vocab import extension, resource_id
from schedule.tracking.flag_reasons import flag_reason
from schedule.tracking.reasons import Basis

_STATUS_ISSUES = {Status.MISSED: "missed", Status.OVERDUE: "overdue"}


def _period(event: Event) -> dict[str, str]:
    return {"start": event.date.isoformat(), "end": event.end.isoformat()}


def _activity(ctx: CourseContext, event: Event) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "extension": [extension(vocab.EVENT, "valueString", event.key)],
        "code": {
            "coding": [{"system": vocab.KIND_SYSTEM, "code": event.kind.value}],
            "text": event.title,
        },
        "status": vocab.ACTIVITY_STATUS[event.status],
        "scheduledPeriod": _period(event),
    }
    kind = vocab.ACTIVITY_KIND.get(event.kind)
    if kind:
        detail["kind"] = kind
    if event.kind is Kind.DOSE:
        detail["productCodeableConcept"] = concept(
            ctx.view.regimen, part_of(ctx.view.regimen, event.series)
        )
        if event.dose:
            detail["quantity"] = dose_quantity(event.dose)
    if event.description:
        detail["description"] = event.description
    return {"detail": detail}


def careplan(ctx: CourseContext) -> dict[str, Any]:
    view = ctx.view
    events = view.events
    made: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": ctx.careplan_id,
        "extension": [extension(vocab.COURSE, "valueInteger", view.course.number)],
        "status": vocab.CAREPLAN_STATUS[ctx.view.state],
        "intent": "plan",
        "title": view.regimen.name,
        "subject": ctx.subject,
        "period": {"start": view.course.start.isoformat()},
    }
    if view.regimen.summary:
        made["description"] = view.regimen.summary
    if events:
        made["period"]["end"] = max(e.end for e in events).isoformat()
        made["activity"] = [_activity(ctx, e) for e in events]
    return made


def service_requests(ctx: CourseContext) -> list[dict[str, Any]]:
    """One ServiceRequest per lab or scan of the course, in its window."""
    made = []
    for event in ctx.view.events:
        if event.kind not in (Kind.LAB, Kind.SCAN):
            continue
        made.append(
            {
                "resourceType": "ServiceRequest",
                "id": resource_id(
                    "ServiceRequest", ctx.patient_id, ctx.view.course.number, event.key
                ),
                "extension": [extension(vocab.EVENT, "valueString", event.key)],
                "basedOn": [{"reference": f"CarePlan/{ctx.careplan_id}"}],
                "status": vocab.SERVICE_STATUS[event.status],
                "intent": "plan",
                "code": {"text": event.title},
                "subject": ctx.subject,
                "occurrencePeriod": {
                    "start": event.window_start.isoformat(),
                    "end": event.window_end.isoformat(),
                },
            }
        )
    return made


def detected_issues(ctx: CourseContext) -> list[dict[str, Any]]:
    """A DetectedIssue for each missed or overdue event and for every flag of every event,
    with why in `detail` (for a flag: the rule and its source, as `flag_reason` gives it)."""
    made = []
    for event in ctx.view.events:
        about = f"{event.key} ({event.title})"
        found: list[tuple[str, str]] = []  # (code, detail)
        if event.status in _STATUS_ISSUES:
            code = _STATUS_ISSUES[event.status]
            found.append(
                (code, f"{about}, planned {event.date}: {code}, on time until {event.window_end}")
            )
        if event.flags:
            why = Basis(ctx.view, list(ctx.views), event, ctx.settings, ctx.today)
            found += [(f.value, f"{about}: {flag_reason(why, f).line}") for f in event.flags]
        implicated = [{"reference": f"CarePlan/{ctx.careplan_id}"}]
        if event.kind is Kind.DOSE:
            part = part_of(ctx.view.regimen, event.series)
            implicated.append({"reference": f"MedicationRequest/{request_id(ctx, part)}"})
        for code, detail in found:
            made.append(
                {
                    "resourceType": "DetectedIssue",
                    "id": resource_id(
                        "DetectedIssue", ctx.patient_id, ctx.view.course.number, event.key, code
                    ),
                    "extension": [extension(vocab.EVENT, "valueString", event.key)],
                    "status": "final",
                    "code": {"coding": [{"system": vocab.FLAG_SYSTEM, "code": code}], "text": code},
                    "severity": "high" if code in vocab.HIGH else "moderate",
                    "patient": ctx.subject,
                    "implicated": implicated,
                    "detail": detail,
                }
            )
    return made


def procedures(ctx: CourseContext) -> list[dict[str, Any]]:
    """One Procedure per lab or scan recorded (taken, or skipped: not-done); one later marked
    entered-in-error goes out as such."""
    view = ctx.view
    tests = {e.key: e for e in view.events if e.kind in (Kind.LAB, Kind.SCAN)}
    wrong = {r.corrects for r in view.records if r.type is RecordType.ENTERED_IN_ERROR}
    made = []
    for record in view.records:
        status = vocab.PROCEDURE_STATUS.get(record.type)
        if status is None or record.event not in tests:
            continue
        event = tests[record.event]
        made_one: dict[str, Any] = {
            "resourceType": "Procedure",
            "id": resource_id("Procedure", ctx.patient_id, record.id),
            "extension": [
                extension(vocab.EVENT, "valueString", event.key),
                extension(vocab.COURSE, "valueInteger", view.course.number),
            ],
            "identifier": [{"system": vocab.RECORD, "value": str(record.id)}],
            "basedOn": [
                {"reference": f"ServiceRequest/{service_id(ctx, event.key)}"},
            ],
            "status": vocab.CORRECTED if record.id in wrong else status,
            "code": {
                "coding": [{"system": vocab.KIND_SYSTEM, "code": event.kind.value}],
                "text": event.title,
            },
            "subject": ctx.subject,
            "performedDateTime": record.day.isoformat(),
        }
        if record.override:
            made_one["extension"].append(extension(vocab.OVERRIDE, "valueString", record.override))
        if record.note:
            made_one["note"] = [{"text": record.note}]
        made.append(made_one)
    return made


def service_id(ctx: CourseContext, key: str) -> str:
    return resource_id("ServiceRequest", ctx.patient_id, ctx.view.course.number, key)
