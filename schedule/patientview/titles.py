"""What a patient's phone shows of an event where others can see it: the title, the alarm text,
the calendar's name and the place. A phone shows them on its lock screen and in notifications,
and syncs them to a cloud account, so by default they are discreet: a clinic visit, a blood
test, a scan, a reminder; no drug, no therapy, no clinic name (a clinic's name can say what it
treats). The event's description, read only when the event is opened, keeps the full title
and the details.

`plain` shows the regimen's own titles: a site's choice (`calendar_titles`) or a patient's.
"""

from __future__ import annotations

import enum

from schedule.domain.model import Event, Kind
from schedule.domain.pregnancy import SERIES as PREGNANCY_TEST
from schedule.domain.regimen import DoseKind, Regimen
from schedule.i18n import Catalogue, catalogue


class Titles(enum.Enum):
    DISCREET = "discreet"
    PLAIN = "plain"


# The catalogue keys (`calendar.discreet.*`) of the discreet titles.
INFUSION = "calendar.discreet.infusion"
INJECTION = "calendar.discreet.injection"
TEST = "calendar.discreet.test"  # a pregnancy test: blood or urine, so no "blood test"
DISCREET = {
    Kind.LAB: "calendar.discreet.blood_test",
    Kind.SCAN: "calendar.discreet.scan",
    Kind.REMINDER: "calendar.discreet.reminder",
    Kind.DEADLINE: "calendar.discreet.reminder",
    Kind.PRECAUTION: "calendar.discreet.precautions",
}


def discreet_title(event: Event, regimen: Regimen, words: Catalogue | None = None) -> str:
    """The event's title with nothing that names a drug, a therapy or an illness.

    >>> from schedule.domain.regimen_file import load_catalog
    >>> from schedule.engine.calendar import build_calendar
    >>> from datetime import date
    >>> lutathera = load_catalog().get("lutathera")
    >>> first = build_calendar(lutathera, date(2027, 3, 1))
    >>> sorted({discreet_title(e, lutathera) for e in first})  # doctest: +NORMALIZE_WHITESPACE
    ['Blood test', 'Clinic visit (infusion)', 'Clinic visit (injection)',
     'Precautions at home', 'Reminder', 'Scan']
    >>> sorted({discreet_title(e, lutathera, catalogue("es")) for e in first})[:2]
    ['Análisis de sangre', 'Cita en la clínica (infusión)']
    """
    words = words or catalogue(None)
    if event.kind is Kind.DOSE:
        main = event.series == regimen.dose.series
        if main and regimen.dose.kind is DoseKind.RADIOLIGAND:
            return words.text(INFUSION)
        return words.text(INJECTION)
    if event.series == PREGNANCY_TEST:
        return words.text(TEST)
    return words.text(DISCREET[event.kind])
