"""The FHIR words prrt uses: code systems and extensions of its own (URNs, so that no address
is claimed), the profiles claimed, how statuses map, and the resources' stable ids."""

from __future__ import annotations

import hashlib
from typing import Any

from schedule.domain.model import CourseState, Flag, Kind, RecordType, Status

UCUM = "http://unitsofmeasure.org"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
MEDICATION_REQUEST_PROFILE = MCODE + "mcode-cancer-related-medication-request"
MEDICATION_ADMINISTRATION_PROFILE = MCODE + "mcode-cancer-related-medication-administration"

# prrt's own identifiers, code systems and extensions.
EVENT = "urn:prrt:fhir:event"  # the event key a resource is about (prrt-2, ssa-1, labs-3)
RECORD = "urn:prrt:record"  # identifier: a record's number (the order records were made)
COURSE = "urn:prrt:fhir:course"  # the course number of the patient (1, 2 for a retreatment)
OVERRIDE = "urn:prrt:fhir:override"  # a clinician's reason to pass a guard
REVIEW = "urn:prrt:fhir:review"  # a hold's review day
END_CARE = "urn:prrt:fhir:end-care"  # a discontinuation that ends the after-course care too
GRADE = "urn:prrt:fhir:ctcae-grade"  # a hold's CTCAE grade
FLAG_SYSTEM = "urn:prrt:flag"  # DetectedIssue codes: the flags, and the missed/overdue statuses
TOXICITY_SYSTEM = "urn:prrt:toxicity"  # a hold's adverse reaction
KIND_SYSTEM = "urn:prrt:event-kind"  # dose, lab, scan, deadline, precaution, reminder

CAREPLAN_STATUS = {
    CourseState.ACTIVE: "active",
    CourseState.ON_HOLD: "on-hold",
    CourseState.COMPLETED: "completed",
    CourseState.DISCONTINUED: "revoked",
}
REQUEST_STATUS = {  # MedicationRequest.status of a course's drug
    CourseState.ACTIVE: "active",
    CourseState.ON_HOLD: "on-hold",
    CourseState.COMPLETED: "completed",
    CourseState.DISCONTINUED: "stopped",
}
# CarePlan.activity.detail.status of an event. Missed is "not-started" (nothing recorded, and
# a DetectedIssue says it is missed); not-done (labs never recorded before a dose given) is
# "unknown": whether they were taken is not known.
ACTIVITY_STATUS = {
    Status.PLANNED: "scheduled",
    Status.DUE: "scheduled",
    Status.OVERDUE: "scheduled",
    Status.MISSED: "not-started",
    Status.GIVEN: "completed",
    Status.SKIPPED: "cancelled",
    Status.HELD: "on-hold",
    Status.CANCELLED: "cancelled",
    Status.ACTIVE: "in-progress",
    Status.PAST: "completed",
    Status.NOT_DONE: "unknown",
}
SERVICE_STATUS = {  # ServiceRequest.status of a lab or scan
    Status.PLANNED: "active",
    Status.DUE: "active",
    Status.OVERDUE: "active",
    Status.MISSED: "active",
    Status.GIVEN: "completed",
    Status.SKIPPED: "revoked",
    Status.HELD: "on-hold",
    Status.CANCELLED: "revoked",
    Status.ACTIVE: "active",
    Status.PAST: "completed",
    Status.NOT_DONE: "unknown",
}
ACTIVITY_KIND = {  # CarePlan.activity.detail.kind: the resource type that would carry it
    Kind.DOSE: "MedicationRequest",
    Kind.LAB: "ServiceRequest",
    Kind.SCAN: "ServiceRequest",
    Kind.DEADLINE: "Task",
}
# MedicationAdministration.status of a record about a dose; the others are no administration.
ADMINISTRATION_STATUS = {
    RecordType.GIVEN: "completed",
    RecordType.SKIPPED: "not-done",
    RecordType.HOLD: "on-hold",
    RecordType.DISCONTINUED: "stopped",
}
RECORD_TYPE = {status: kind for kind, status in ADMINISTRATION_STATUS.items()}
# Procedure.status of a record about a lab or a scan: taken, or skipped.
PROCEDURE_STATUS = {RecordType.GIVEN: "completed", RecordType.SKIPPED: "not-done"}
PROCEDURE_TYPE = {status: kind for kind, status in PROCEDURE_STATUS.items()}
CORRECTED = "entered-in-error"

# What needs a clinician first: DetectedIssue.severity "high"; the other flags are "moderate".
HIGH = frozenset(
    {
        "missed",
        Flag.MAX_DELAY_EXCEEDED.value,
        Flag.DISCONTINUE_PER_LABEL.value,
        Flag.SSA_WASHOUT_CONFLICT.value,
        Flag.PREGNANCY_TEST_MISSING.value,
        Flag.ORDER_LATE.value,
    }
)


def resource_id(kind: str, *parts: object) -> str:
    """A stable id: the same patient, course, event or record always gets the same one, and
    the id carries no patient identifier (a digest of them)."""
    text = "\x1f".join([kind, *(str(p) for p in parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def extension(url: str, kind: str, value: object) -> dict[str, Any]:
    return {"url": url, kind: value}


def quantity(value: object, unit: str) -> dict[str, Any]:
    """A UCUM quantity (GBq, MBq, mCi, mg are UCUM codes as written)."""
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}
