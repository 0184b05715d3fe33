"""The patient's usual appointment time: the hour of a dose visit of the regimen's main series,
in the patient's time zone. Checked where it is given (a time needs its zone), and against the
days of the visits (a time the clocks skip on one of them is refused)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from schedule.domain.course import Patient
from schedule.domain.errors import InputError
from schedule.domain.localtime import check_days
from schedule.domain.model import Event
from schedule.domain.patients import check_time, check_tz
from schedule.domain.regimen import Regimen


@dataclass(frozen=True)
class Appointment:
    """The patient's usual appointment time, for dose visits of the regimen's main series."""

    at: time
    zone: ZoneInfo


def appointment(patient: Patient) -> Appointment | None:
    if not patient.time or not patient.tz:
        return None
    hours, minutes = patient.time.split(":")
    return Appointment(time(int(hours), int(minutes)), ZoneInfo(patient.tz))


def appointment_for(at: str | None, zone: str | None) -> Appointment | None:
    """The appointment slot from a time and a zone, checked; both or neither."""
    if bool(at) != bool(zone):
        raise InputError("a time needs its time zone: give both or neither")
    return appointment(Patient("plan", None, check_tz(zone), check_time(at)))


def check_slot(regimen: Regimen, events: Iterable[Event], slot: Appointment | None) -> None:
    """Refuse an appointment time that does not exist, in its zone, on a day of a dose visit
    (02:30 on the night the clocks go forward)."""
    if slot is not None:
        days = [e.effective_date for e in events if e.series == regimen.dose.series]
        check_days(days, slot.at, slot.zone)
