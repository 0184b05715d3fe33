"""The iCalendar writer on its own: escaping, folding, the shape of events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from schedule.calendars.ical import (
    Alarm,
    Entry,
    Head,
    Revision,
    escape_text,
    fold,
    uid_for,
    write_calendar,
)
from tests.calendars import check_bytes, check_calendar

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_fold_keeps_every_character_whole_and_lines_short(value: str) -> None:
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold(line)
    assert unfold(folded) == line
    data = (folded + "\r\n").encode("utf-8")
    for part in data[:-2].split(b"\r\n"):
        assert len(part) <= 75
        part.decode("utf-8")


def test_fold_cuts_before_a_multibyte_character_that_would_cross_the_limit() -> None:
    # 74 ASCII octets, then a 2-octet character: the fold must come before it, not inside.
    line = "X" * 74 + "é" + "Y"
    first, second = fold(line).split("\r\n ")
    assert first == "X" * 74
    assert second == "éY"
    emoji = "SUMMARY:" + "🩺" * 30  # 4-octet characters
    for part in fold(emoji).encode().split(b"\r\n"):
        assert len(part) <= 75
        part.decode("utf-8")


def test_escape_text_escapes_what_rfc_5545_lists() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert escape_text("plain: text") == "plain: text"


def test_all_day_event_ends_the_next_day_and_carries_one_display_alarm(tmp_path: Path) -> None:
    entry = Entry(
        summary="PRRT dose 1 of 4: Lutathera infusion",
        description="Drink plenty of fluids; bring your medicines, please.",
        start=date(2027, 3, 1),
        end=date(2027, 3, 2),
        location="Clinic, Main Street 1",
        alarm=Alarm("-PT15H", "Tomorrow: PRRT dose 1"),
    )
    text = write_calendar(Head("Treatment calendar"), [("u1@prrt", Revision(2, NOW), entry.body())])
    check_bytes(text.encode())
    seen = check_calendar(text.encode(), tmp_path)
    (event,) = seen["events"]
    assert event["start"]["isDate"]
    assert event["start"]["iso"] == "2027-03-01"
    assert event["end"]["iso"] == "2027-03-02"
    assert event["sequence"] == 2
    assert event["stamp"] == "2026-11-21T09:30:00Z"
    assert event["alarms"] == [
        {"action": "DISPLAY", "trigger": "-PT15H", "description": "Tomorrow: PRRT dose 1"}
    ]
    assert event["description"] == "Drink plenty of fluids; bring your medicines, please."
    assert seen["calendar"]["refresh"] == {"type": "duration", "value": "PT12H"}
    assert seen["calendar"]["method"] is None
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in text


def test_uids_are_opaque_stable_and_distinct() -> None:
    one = uid_for("ns", 1, "prrt-1")
    assert one == uid_for("ns", 1, "prrt-1")
    assert one != uid_for("ns", 1, "prrt-2")
    assert one != uid_for("ns", 2, "prrt-1")
    assert one != uid_for("other", 1, "prrt-1")
    assert "prrt-1" not in one
    assert one.endswith("@prrt")
