"""A patient's resources, in the order a reader meets them: the Patient, then per course its
CarePlan, MedicationRequests, ServiceRequests, MedicationAdministrations and DetectedIssues.
The same stored data and day give the same resources, ids and bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from schedule.domain.course import Patient
from schedule.domain.settings import Settings
from schedule.engine.views import CourseView
from schedule.fhir.context import CourseContext, reason_code
from schedule.fhir.medication import administrations, medication_requests
from schedule.fhir.plan import careplan, detected_issues, procedures, service_requests
from schedule.fhir.vocab import resource_id

# The resource types of an export, in the order of a patient's resources (and of the files of
# a bulk export).
TYPES = (
    "Patient", "CarePlan", "MedicationRequest", "ServiceRequest", "MedicationAdministration",
    "Procedure", "DetectedIssue",
)  # fmt: skip


def patient_resource(patient: Patient, settings: Settings, with_name: bool) -> dict[str, Any]:
    made: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id("Patient", patient.id),
        "identifier": [{"system": settings.fhir_patient_system, "value": patient.id}],
    }
    if with_name and patient.name:
        made["name"] = [{"text": patient.name}]
    return made


def patient_resources(
    patient: Patient,
    views: Sequence[CourseView],
    settings: Settings,
    today: date,
    with_name: bool = False,
) -> list[dict[str, Any]]:
    """Every resource of one patient, as of `today`."""
    person = patient_resource(patient, settings, with_name)
    subject = {
        "reference": f"Patient/{person['id']}",
        "identifier": person["identifier"][0],
    }
    made = [person]
    reason = reason_code(settings)
    for view in views:
        ctx = CourseContext(
            patient.id, subject, view, tuple(views), reason, settings, today,
        )  # fmt: skip
        made.append(careplan(ctx))
        made += medication_requests(ctx)
        made += service_requests(ctx)
        made += _in_record_order(administrations(ctx) + procedures(ctx))
        made += detected_issues(ctx)
    return made


def _in_record_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Doses given and tests taken in the order they were recorded (their record numbers)."""
    return sorted(resources, key=lambda r: int(r["identifier"][0]["value"]))


def bundle(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A Bundle of type collection holding `resources`."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


# One line per resource (NDJSON); no check for cycles, which resources built here never have.
_LINE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def dumps(resource: dict[str, Any], indent: int | None = None) -> str:
    """A resource's JSON: keys in the order built, UTF-8 as is, one line unless indented."""
    if indent is None:
        return _LINE.encode(resource)
    return json.dumps(resource, ensure_ascii=False, indent=indent)
