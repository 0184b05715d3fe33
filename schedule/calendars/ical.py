"""iCalendar (RFC 5545) bytes, written by hand so that every byte is ours to check.

What phone calendars need (see the README's "Calendars" section): CRLF line endings, lines folded
at 75 octets without splitting a UTF-8 character, TEXT values escaped, DTSTAMP and timed values in
UTC, all-day events ending the next day, at most one DISPLAY alarm, `REFRESH-INTERVAL` with
`VALUE=DURATION`. There is no METHOD: the file is a published calendar, not an invitation, so no
ORGANIZER is needed either, and DTSTAMP is the time the event was last revised.

>>> fold("SUMMARY:" + "é" * 40).split("\\r\\n ")[0].encode()[-2:] == "é".encode()
True
>>> escape_text("a;b,c\\\\d\\ne")
'a\\\\;b\\\\,c\\\\\\\\d\\\\ne'
>>> escape_text("bell\\x07 esc\\x1b[2K del\\x7f\\ttab")
'bell esc[2K del\\ttab'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

CRLF = "\r\n"
LIMIT = 75  # octets per line, CRLF not counted (RFC 5545 section 3.1)
REFRESH = "PT12H"  # how often subscribers should fetch the feed again
PRODID = "-//prrt//prrt calendar//EN"


# Control characters RFC 5545 forbids in a value (C0 but tab and line ends, DEL), and C1:
# dropped, never written (a parser may refuse the whole file for one BEL or ESC).
_UNSAFE = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


# Both cached: a folder of calendars escapes and folds the same titles, descriptions and
# alarms tens of thousands of times.
@lru_cache(maxsize=32768)
def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 section 3.3.11): backslash, semicolon, comma and newlines escaped,
    control characters other than tab and line ends dropped."""
    if not value.isprintable():
        value = value.translate(_UNSAFE)
    if not any(c in value for c in "\\;,\n\r"):
        return value
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


# What a calendar's name is written with instead of the characters its readers disagree on.
# Measured (tests/test_issue_29_patient_side.py): escaped as TEXT ("Doe\\, Jane"), icalendar,
# ical.js and Home Assistant's `ical` (X-WR-CALNAME) show the backslashes; unescaped, vobject
# (Radicale) cuts the name at the first comma. A semicolon unescaped reads right in all of them,
# a backslash only when no letter of an escape follows it. So the comma is written as U+201A
# (SINGLE LOW-9 QUOTATION MARK, which looks like a comma) and the backslash as U+FF3C
# (FULLWIDTH REVERSE SOLIDUS); nothing is escaped.
_NAME_SAFE = {ord(","): "\u201a", ord("\\"): "\uff3c", ord("\r"): " ", ord("\n"): " "}


def name_text(value: str) -> str:
    """The value of NAME and X-WR-CALNAME: the same name in every parser tried.

    >>> name_text("Doe, Jane; A\\\\B") == "Doe\u201a Jane; A\uff3cB"
    True
    """
    if not value.isprintable():
        value = value.replace("\r\n", " ").translate(_UNSAFE)
    return value.translate(_NAME_SAFE)


@lru_cache(maxsize=32768)
def fold(line: str) -> str:
    """Fold one content line at 75 octets; a continuation starts with one space. A fold never
    falls inside a UTF-8 character."""
    if len(line) <= LIMIT // 4 or len(raw := line.encode("utf-8")) <= LIMIT:
        return line
    parts = []
    start, limit = 0, LIMIT
    while len(raw) - start > limit:
        cut = start + limit
        while raw[cut] & 0xC0 == 0x80:  # a continuation byte: back off to the character's start
            cut -= 1
        parts.append(raw[start:cut])
        start, limit = cut, LIMIT - 1  # the leading space counts toward the 75
    parts.append(raw[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def utc_stamp(moment: datetime) -> str:
    """A UTC DATE-TIME value, e.g. 20270301T140000Z."""
    m = moment.astimezone(UTC)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}Z"


def date_value(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@dataclass(frozen=True)
class Alarm:
    """One DISPLAY alarm; `trigger` is an RFC 5545 duration relative to the start, e.g. -PT15H."""

    trigger: str
    description: str


@dataclass(frozen=True)
class Entry:
    """What one VEVENT says, apart from its identity and revision (UID, SEQUENCE, stamps).

    `start` and `end` are dates for all-day events (end exclusive: the day after the last day)
    or aware datetimes for timed ones, written in UTC.
    """

    summary: str
    description: str
    start: date | datetime
    end: date | datetime
    cancelled: bool = False
    tentative: bool = False
    transparent: bool = False
    location: str = ""
    categories: str = ""
    alarm: Alarm | None = None

    def lines(self) -> list[str]:
        """The content lines, unfolded, in a fixed order."""
        if isinstance(self.start, datetime):
            assert isinstance(self.end, datetime)
            lines = [f"DTSTART:{utc_stamp(self.start)}", f"DTEND:{utc_stamp(self.end)}"]
        else:
            assert not isinstance(self.end, datetime)
            lines = [
                f"DTSTART;VALUE=DATE:{date_value(self.start)}",
                f"DTEND;VALUE=DATE:{date_value(self.end)}",
            ]
        lines.append(f"SUMMARY:{escape_text(self.summary)}")
        if self.description:
            lines.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.location:
            lines.append(f"LOCATION:{escape_text(self.location)}")
        if self.categories:
            lines.append(f"CATEGORIES:{escape_text(self.categories)}")
        if self.cancelled:
            lines.append("STATUS:CANCELLED")
        elif self.tentative:
            lines.append("STATUS:TENTATIVE")
        else:
            lines.append("STATUS:CONFIRMED")
        lines.append("TRANSP:TRANSPARENT" if self.transparent else "TRANSP:OPAQUE")
        if self.alarm is not None:
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"TRIGGER:{self.alarm.trigger}",
                f"DESCRIPTION:{escape_text(self.alarm.description)}",
                "END:VALARM",
            ]
        return lines

    def body(self) -> str:
        """The content lines, folded, each ending in CRLF."""
        return "".join(fold(line) + CRLF for line in self.lines())


@dataclass(frozen=True)
class Revision:
    """What was last published for one event: its SEQUENCE and when it last changed."""

    sequence: int
    modified: datetime


@dataclass(frozen=True)
class Head:
    """The calendar's own properties."""

    name: str
    description: str = ""
    timezone: str | None = None  # a display hint (X-WR-TIMEZONE); times themselves are UTC

    def text(self) -> str:
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{PRODID}",
            "CALSCALE:GREGORIAN",
            f"NAME:{name_text(self.name)}",
            f"X-WR-CALNAME:{name_text(self.name)}",
        ]
        if self.description:
            lines.append(f"X-WR-CALDESC:{escape_text(self.description)}")
        if self.timezone:
            lines.append(f"X-WR-TIMEZONE:{self.timezone}")
        lines += [f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}", f"X-PUBLISHED-TTL:{REFRESH}"]
        return "".join(fold(line) + CRLF for line in lines)


def write_calendar(head: Head, events: Iterable[tuple[str, Revision, str]]) -> str:
    """The whole VCALENDAR: `events` are (UID, revision, body from `Entry.body`)."""
    out = [head.text()]
    stamps: dict[datetime, str] = {}
    for uid, revision, body in events:
        stamp = stamps.get(revision.modified)
        if stamp is None:
            stamp = stamps[revision.modified] = utc_stamp(revision.modified)
        line = "UID:" + uid
        if len(line) > LIMIT or not line.isascii():  # ours never are: 41 octets
            line = fold(line)
        out.append(
            f"BEGIN:VEVENT\r\n{line}\r\nSEQUENCE:{revision.sequence}\r\n"
            f"DTSTAMP:{stamp}\r\nLAST-MODIFIED:{stamp}\r\n{body}END:VEVENT\r\n"
        )
    out.append("END:VCALENDAR\r\n")
    return "".join(out)


def uid_for(namespace: str, *parts: object) -> str:
    """A UID that depends only on what identifies the event, opaque to anyone reading it (no
    patient ID, no record number): a hash of the database's namespace and the parts."""
    seed = "\x1f".join([namespace, *(str(p) for p in parts)])
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32] + "@prrt"
