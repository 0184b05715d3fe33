"""What a patient's stored details may be: the ID, the time zone, the appointment time."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedule.domain.errors import InputError

_PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def check_patient_id(value: str) -> str:
    if not _PATIENT_ID.fullmatch(value):
        raise InputError(
            f"patient ID {value!r} is not valid; use up to 64 letters, digits, '.', '_' or '-'",
            field="patient_id",
        )
    return value


def check_tz(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"time zone {value!r} is unknown; use an IANA name such as Europe/Zurich", field="tz"
        ) from None
    return value


def check_time(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _TIME.fullmatch(value):
        raise InputError(
            f"time {value!r} is not valid; use HH:MM on a 24-hour clock, e.g. 09:00",
            field="time",
        )
    return value
