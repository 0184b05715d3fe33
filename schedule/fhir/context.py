"""What every resource of one course reads: the course as of the export's day, where it
stands, the patient it is about, and the site's choices (the condition treated, the clinic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from schedule.domain.settings import Settings
from schedule.engine.views import CourseView
from schedule.fhir.vocab import resource_id


def reason_code(settings: Settings) -> list[dict[str, Any]]:
    """Why the drugs are given (mCODE requires a reason): the site's condition code, if any,
    and its text."""
    concept: dict[str, Any] = {"text": settings.fhir_reason_text}
    if settings.fhir_reason_code:
        system, code = settings.fhir_reason_code.rsplit("|", 1)
        concept["coding"] = [{"system": system, "code": code}]
    return [concept]


@dataclass(frozen=True)
class CourseContext:
    patient_id: str
    subject: dict[str, Any]  # the reference to the Patient, with its identifier
    view: CourseView
    views: tuple[CourseView, ...]  # all the patient's courses (a washout spans courses)
    reason: list[dict[str, Any]]
    settings: Settings
    today: date

    @property
    def careplan_id(self) -> str:
        return resource_id("CarePlan", self.patient_id, self.view.course.number)
