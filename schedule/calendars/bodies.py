"""Event bodies (`Entry.body`) for many patients' calendars, each text built once.

A folder of calendars says the same things again and again: every patient of a regimen has the
same second infusion, the same blood test before it, the same precautions after it; only the
dates differ, and even they are shared by the patients who started on the same day (10,000
patients' 400,000 events hold 55,000 different bodies). So a body is cut in two: its dates
(DTSTART, DTEND) and the rest (the summary, the description, the place, the status, the alarm).
The rest is built by the plain path (`entry`, then `Entry.body`) the first time an event with
its words is seen, and reused for every later event that would give the same words: its key
holds everything the rest is made of (the event's identity in its regimen, its own texts, its
status, the day it was given, a range of days, the appointment slot, whether it waits behind a
late dose). The two halves are kept by the event's key and dates.

The output is the plain path's, byte for byte (`tests/test_issue_12_ics_speed.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from schedule.calendars.entries import entry, visit_minutes
from schedule.calendars.ical import CRLF, date_value, utc_stamp
from schedule.domain.localtime import appointment_span
from schedule.domain.model import Event
from schedule.domain.regimen import Regimen
from schedule.domain.settings import Settings
from schedule.i18n import Catalogue
from schedule.patientview.appointment import Appointment
from schedule.patientview.titles import Titles

_ONE_DAY = timedelta(days=1)
WHOLES = 100_000  # bodies kept by their events' keys (about 35 MB), then forgotten at once
RESTS = 50_000  # rests kept per regimen (about 35 MB), likewise

Key = tuple[Any, ...]
BodyOf = Callable[[Event, bool], str]  # (event, provisional) -> body


class Bodies:
    """Bodies of events for one site, one kind of titles and one language."""

    def __init__(self, settings: Settings, titles: Titles, lang: Catalogue) -> None:
        self.settings = settings
        self.titles = titles
        self.lang = lang
        # Per regimen (the very object, kept: its id is part of every key), the rests by key.
        self._regimens: dict[int, tuple[Regimen, dict[Key, str]]] = {}
        self._spans: dict[Key, str] = {}
        self._wholes: dict[Key, tuple[str, str]] = {}  # (dates, rest)

    def course(self, regimen: Regimen, slot: Appointment | None) -> BodyOf:
        """The body of each event of a course of `regimen` for a patient with the appointment
        `slot`: what `entry(event, ...).body()` gives, with the same settings, titles and
        language."""
        ident = id(regimen)
        if ident not in self._regimens:
            self._regimens[ident] = (regimen, {})
        rests = self._regimens[ident][1]
        wholes, spans = self._wholes, self._spans
        main = regimen.dose.series
        minutes = visit_minutes(regimen, self.settings)

        def build(event: Event, provisional: bool, timed: bool) -> tuple[str, str]:
            given = event.given_on
            day = given or event.date
            if timed:
                span_key: Key = (day, slot, minutes)
                days = None
            else:
                last = day if given is not None else max(event.end, day)
                span_key = (day, last)
                days = span_key if last > day else None
            span = spans.get(span_key)
            if span is None:
                span = spans[span_key] = _span(span_key, slot if timed else None)
            key = (
                event.key, event.kind, event.series, event.number, event.title,
                event.description, event.dose, event.status, given, days,
                slot if timed else None, provisional,
            )  # fmt: skip
            rest = rests.get(key)
            if rest is None:
                if len(rests) >= RESTS:
                    rests.clear()
                whole = entry(
                    event, regimen, self.settings, slot, self.titles, provisional, self.lang
                ).body()
                if not whole.startswith(span):  # the halves are cut where the plain path puts them
                    raise AssertionError(f"the dates of {event.key} differ: {whole[:80]!r}")
                rest = rests[key] = whole[len(span) :]
            return span, rest

        def body_of(event: Event, provisional: bool) -> str:
            timed = slot is not None and event.series == main
            # Enumerations by their values: an enumeration's own hash is a Python call.
            key = (
                ident, event.key, event.kind._value_, event.series, event.number, event.title,
                event.description, event.dose, event.status._value_, event.given_on,
                event.date, event.end, slot if timed else None, provisional,
            )  # fmt: skip
            found = wholes.get(key)
            if found is None:
                if len(wholes) >= WHOLES:
                    wholes.clear()
                found = wholes[key] = build(event, provisional, timed)
            span, rest = found
            return span + rest

        return body_of


def _span(key: Key, slot: Appointment | None) -> str:
    """The DTSTART and DTEND lines, each ending in CRLF, as `Entry.lines` writes them."""
    if slot is not None:
        day, _, minutes = key
        start, end = appointment_span(day, slot.at, slot.zone, minutes)
        return f"DTSTART:{utc_stamp(start)}{CRLF}DTEND:{utc_stamp(end)}{CRLF}"
    day, last = key
    return (
        f"DTSTART;VALUE=DATE:{date_value(day)}{CRLF}"
        f"DTEND;VALUE=DATE:{date_value(last + _ONE_DAY)}{CRLF}"
    )


class Uids:
    """`uid_for(namespace, *parts, key)` for many keys of the same parts: the hash of the
    common beginning is taken once."""

    def __init__(self, namespace: str, *parts: object) -> None:
        seed = "\x1f".join([namespace, *(str(p) for p in parts), ""])
        self._start = hashlib.sha256(seed.encode("utf-8"))

    def __call__(self, key: str) -> str:
        h = self._start.copy()
        h.update(key.encode("utf-8"))
        return h.hexdigest()[:32] + "@prrt"
