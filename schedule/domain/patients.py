"""What a patient's stored details may be: the ID, the name, the time zone, the appointment
time, and the notes recorded about them."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedule.domain.errors import InputError
from schedule.domain.text import check_text

NAME_MAX = 200  # the patients table's `name` column

_PATIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def check_patient_id(value: str) -> str:
    if not _PATIENT_ID.fullmatch(value):
        raise InputError(
            f"patient ID {value!r} is not valid; use up to 64 letters, digits, '.', '_' or '-'",
            field="patient_id",
        )
    return value


def check_name(value: str | None) -> str | None:
    """A patient's name: at most 200 characters, no control characters. Errors never repeat it.

    >>> check_name("Ana Sousa")
    'Ana Sousa'
    """
    if value is None or value == "":
        return None
    return check_text(value, "name", "name", NAME_MAX)


def check_note(value: str) -> str:
    r"""A note or a reason: any length, lines and tabs, but no other control character (no NUL).

    >>> check_note("given late:\tpatient unwell")
    'given late:\tpatient unwell'
    """
    return check_text(value, "note", "note", None, allowed="\t\n")


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


PREGNANCY = ("yes", "no")  # whether a patient can become pregnant; None: not known


def check_pregnancy(value: str | None) -> str | None:
    """Whether the patient can become pregnant: yes or no ('' or None: not known, ask).

    >>> check_pregnancy("No")
    'no'
    """
    if value is None or value == "":
        return None
    if value.lower() not in PREGNANCY:
        raise InputError(
            f"pregnancy {value!r} is not valid; use yes, no or '' (not known)",
            field="pregnancy",
        )
    return value.lower()
