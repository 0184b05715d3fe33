"""What a handout is built from, read in one transaction: the patient, their courses and
records, and whether they have a live feed link (and whether a link given is that one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from schedule.calendars.feeds import token_hash
from schedule.domain.course import Course, Patient, Record
from schedule.domain.errors import InputError
from schedule.store.database import Store


@dataclass(frozen=True)
class Facts:
    patient: Patient
    courses: Sequence[Course]
    records: Mapping[int, Sequence[Record]]
    has_feed: bool  # the patient has a live feed link


def read(store: Store, patient_id: str, token: str | None = None) -> Facts:
    """The patient's facts; `UnknownError` for a patient not stored. `token`: a feed link's
    token, refused unless it is the patient's live one (revoked, another patient's or
    mistyped): a handout never prints a dead link."""
    with store.read() as tx:
        patient = tx.require_patient(patient_id)
        courses = tx.courses(patient_id)
        records = tx.records([c.id for c in courses])
        has_feed = tx.tokens.active_token(patient_id) is not None
        owner = tx.tokens.token_owner(token_hash(token)) if token else None
    if token and not has_feed:
        raise InputError(
            f"{patient.id} has no live feed link, so the link given is dead; issue one first, "
            "or leave the link out"
        )
    if token and (owner is None or owner.patient_id != patient.id):
        raise InputError(
            f"the link given is not {patient.id}'s live feed link; give the one issued last, "
            "or revoke it and issue a new one"
        )
    return Facts(patient, courses, records, has_feed)
