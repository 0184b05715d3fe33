"""Patients' calendars end to end: `prrt ics`, `prrt plan --ics`, `prrt ics --all`. Every file is
checked byte by byte and read by vobject and ical.js (tests/calendars.py)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from schedule.store import tables
from schedule.store.database import Store
from tests.calendars import by_summary, by_title, check_calendar, check_files

pytestmark = pytest.mark.usefixtures("config_dir")

DOSE_1 = "Lutathera treatment 1 of 4: infusion at the clinic"
DOSE_2 = "Lutathera treatment 2 of 4: infusion at the clinic"


def export(prrt, tmp_path: Path, *args: str, name: str = "out.ics") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = prrt("ics", *args)
    assert (result.exit_code, result.stderr) == (0, "")
    return check_calendar(result.stdout_bytes, tmp_path, name)


def uids(seen: dict[str, Any]) -> dict[str, str]:
    return {e["summary"]: e["uid"] for e in seen["events"]}


def published_rows(db_url: str) -> int:
    store = Store.open(db_url, "x")
    with store.read() as tx:
        count = tx.conn.execute(select(func.count()).select_from(tables.published)).scalar_one()
    store.close()
    return int(count)


@freeze_time("2026-11-21 10:00:00")
def test_ics_is_for_the_patient_and_private(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "NET-7781", "--regimen", "lutathera", "--start", "2026-12-07",
         "--name", "Ada Example")  # fmt: skip
    result = prrt("ics", "NET-7781")
    text = result.stdout_bytes.decode()
    seen = check_calendar(result.stdout_bytes, tmp_path)
    # No record number, no name without --with-name, no diagnosis; no staff-only deadlines.
    for secret in ("NET-7781", "Ada", "neuroendocrine", "tumour", "tumor", "Order Lutathera"):
        assert secret not in text
    assert seen["calendar"]["name"] == seen["calendar"]["xWrCalname"] == "Treatment calendar"
    dose = by_title(seen["events"], DOSE_1)
    assert dose["summary"] == "Clinic visit (infusion)"  # discreet by default
    assert dose["description"].startswith(f"{DOSE_1}.\n\nLutathera is a radioactive medicine")
    assert dose["start"] == {
        "text": "DTSTART;VALUE=DATE:20261207", "iso": "2026-12-07", "isDate": True,
        "utc": False, "tzid": None, "unix": None,
    }  # fmt: skip
    assert dose["end"]["iso"] == "2026-12-08"
    assert "about 5 hours" in dose["description"]
    assert "24 hours before" in dose["description"]
    assert "Dose: 7.4 GBq." in dose["description"]
    assert dose["alarms"] == [
        {
            "action": "DISPLAY",
            "trigger": "-PT15H",
            "description": "Tomorrow: clinic visit, about 5 hours; an injection too; "
            "no short-acting injection from now on; drink plenty of fluids",
        }
    ]
    assert dose["transp"] == "OPAQUE"
    assert (dose["sequence"], dose["stamp"]) == (0, "2026-11-21T10:00:00Z")
    precautions = by_title(seen["events"], "Radiation safety at home after Lutathera treatment 1")
    assert precautions["summary"] == "Precautions at home"
    assert (precautions["start"]["iso"], precautions["end"]["iso"]) == ("2026-12-07", "2026-12-15")
    assert precautions["transp"] == "TRANSPARENT"
    assert "keep more than 1 metre" in precautions["description"]
    # One alarm each, but for what rings with its visit's (the day before's reminders, the
    # injection after the infusion: issue 29).
    alone = [e for e in seen["events"] if len(e["alarms"]) == 1]
    shared = [e for e in seen["events"] if not e["alarms"]]
    assert alone
    assert len(alone) + len(shared) == len(seen["events"])
    assert {e["summary"] for e in shared} == {"Reminder", "Clinic visit (injection)"}
    named = export(prrt, tmp_path, "NET-7781", "--with-name", name="named.ics")
    assert named["calendar"]["name"] == "Treatment calendar for Ada Example"


@freeze_time("2026-11-21 10:00:00")
def test_clinic_details_come_from_the_site_settings(prrt, config_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text(
        '[site]\nclinic_name = "Zürich NET Centre"\nclinic_address = "Rämistrasse 100, Zürich"\n'
        'clinic_phone = "+41 44 000 00 00"\n',
        encoding="utf-8",
    )
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    seen = export(prrt, tmp_path, "P1", "--titles", "plain")
    assert seen["calendar"]["name"] == "Treatment calendar - Zürich NET Centre"
    dose = by_title(seen["events"], DOSE_1)
    assert dose["location"] == "Zürich NET Centre, Rämistrasse 100, Zürich"
    assert dose["description"].endswith("Questions: Zürich NET Centre, +41 44 000 00 00")
    reminder = by_summary(seen["events"], "Drink plenty of fluids around Lutathera treatment 1")
    assert reminder["location"] is None
    # Discreet (the default): the clinic's name leaves the calendar's name and the place, and
    # stays in the description, which a lock screen does not show.
    quiet = export(prrt, tmp_path, "P1", name="quiet.ics")
    assert quiet["calendar"]["name"] == "Treatment calendar"
    dose = by_title(quiet["events"], DOSE_1)
    assert dose["location"] == "Rämistrasse 100, Zürich"
    assert dose["description"].endswith("Questions: Zürich NET Centre, +41 44 000 00 00")


def test_uids_stay_and_sequence_rises_after_a_reschedule(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-11-21 10:00:00"):
        prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
        first = export(prrt, tmp_path, "P1", name="1.ics")
    with freeze_time("2026-11-23 08:00:00"):
        again = export(prrt, tmp_path, "P1", name="2.ics")
        assert again == first  # nothing changed: same UIDs, SEQUENCE and stamps
        moved = prrt("reschedule", "P1", "prrt-2", "--date", "2027-02-03", "--reason", "bed")
        assert moved.exit_code == 0
        second = export(prrt, tmp_path, "P1", name="3.ics")
    assert uids(second) == uids(first)
    dose = by_title(second["events"], DOSE_2)
    assert dose["start"]["iso"] == "2027-02-03"
    assert (dose["sequence"], dose["stamp"]) == (1, "2026-11-23T08:00:00Z")
    assert dose["lastModified"] == "2026-11-23T08:00:00Z"
    labs = by_title(second["events"], "Blood tests before Lutathera treatment 2")
    assert (labs["start"]["iso"], labs["sequence"]) == ("2027-01-06", 1)  # follows the dose
    # What belongs to dose 1 did not change: same SEQUENCE, same stamp.
    dose_1 = by_title(second["events"], DOSE_1)
    assert (dose_1["sequence"], dose_1["stamp"]) == (0, "2026-11-21T10:00:00Z")
    assert by_title(first["events"], DOSE_1) == dose_1
    with freeze_time("2026-11-24 08:00:00"):
        undone = prrt("correct", "P1", "1", "--reason", "entered for the wrong patient")
        assert undone.exit_code == 0
        third = export(prrt, tmp_path, "P1", name="4.ics")
    back = by_title(third["events"], DOSE_2)
    assert back["start"]["iso"] == "2027-02-01"
    assert back["sequence"] == 2  # back to the first date, yet SEQUENCE never falls
    assert published_rows(db_url) == len(first["events"])


@freeze_time("2026-12-20 10:00:00")
def test_skipped_and_discontinued_events_are_cancelled_not_dropped(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    first = export(prrt, tmp_path, "P1", name="1.ics")
    prrt("record", "P1", "prrt-1", "--date", "2026-12-07")
    prrt("skip", "P1", "ssa-1", "--reason", "declined")
    prrt("discontinue", "P1", "--reason", "progression")
    seen = export(prrt, tmp_path, "P1", name="2.ics")
    # The same UIDs; maintenance injections past the end of the course leave the calendar.
    assert {e["uid"] for e in seen["events"]} < {e["uid"] for e in first["events"]}
    kept = {e["uid"] for e in seen["events"]}
    gone = [e["description"].split("\n\n") for e in first["events"] if e["uid"] not in kept]
    assert gone
    assert all("Monthly hormone injection (octreotide)." in text for text in gone)
    skipped = by_title(seen["events"], "Hormone injection (octreotide) after Lutathera treatment 1")
    assert skipped["summary"] == "Cancelled: Clinic visit (injection)"
    # Two changes, each remembered by the write that made it: the dose given (it no longer
    # waits behind a late dose), then skipped.
    assert (skipped["status"], skipped["sequence"], skipped["alarms"]) == ("CANCELLED", 2, [])
    assert skipped["transp"] == "TRANSPARENT"  # a cancelled visit does not block the day
    assert skipped["start"]["iso"] == "2026-12-07"  # and keeps its time
    dose_2 = by_title(seen["events"], DOSE_2)
    assert dose_2["summary"] == "Cancelled: Clinic visit (infusion)"
    assert dose_2["status"] == "CANCELLED"
    assert dose_2["description"].startswith("Cancelled: this will not take place.")
    given = by_title(seen["events"], DOSE_1)
    assert given["status"] == "CONFIRMED"
    assert "Done on 7 December 2026." in given["description"]


def _new_york(event: dict[str, Any], side: str) -> datetime:
    return datetime.fromtimestamp(event[side]["unix"], UTC).astimezone(ZoneInfo("America/New_York"))


@freeze_time("2027-01-10 10:00:00")
def test_timed_appointments_stay_at_9_in_new_york_across_dst(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # DST starts on 2027-03-14 and ends on 2027-11-07 in New York.
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2027-02-15",
         "--tz", "America/New_York", "--time", "09:00")  # fmt: skip
    seen = export(prrt, tmp_path, "P1")
    assert seen["calendar"]["name"] == "Treatment calendar"
    before = by_title(seen["events"], DOSE_1)  # 2027-02-15, standard time (UTC-5)
    after = by_title(seen["events"], DOSE_2)  # 2027-04-12, daylight time (UTC-4)
    assert before["start"]["text"] == "DTSTART:20270215T140000Z"
    assert after["start"]["text"] == "DTSTART:20270412T130000Z"
    for event in (before, after):
        assert event["start"]["utc"]
        assert event["end"]["utc"]
        assert _new_york(event, "start").strftime("%H:%M") == "09:00"
        assert _new_york(event, "end").strftime("%H:%M") == "14:00"  # about 5 h (L26)
        assert event["alarms"][0]["trigger"] == "-P1D"
        assert "Appointment at 09:00, United States (New York) Time." in event["description"]
    lar = by_title(seen["events"], "Hormone injection (octreotide) after Lutathera treatment 1")
    assert lar["start"]["isDate"]  # given after the infusion, same visit: all-day


@freeze_time("2026-11-21 10:00:00")
def test_plan_ics_writes_a_file_for_a_plan_not_stored(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "plan.ics"
    result = run("plan", "lutathera", "--start", "2027-03-01", "--ics", str(target),
                 "--time", "08:30", "--tz", "Europe/Zurich")  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, f"wrote the calendar of lutathera from 2027-03-01 to {target}\n", "",
    )  # fmt: skip
    seen = check_files(target)[str(target)]
    dose = by_title(seen["events"], DOSE_1)
    assert dose["start"]["text"] == "DTSTART:20270301T073000Z"  # 08:30 CET
    assert {e["sequence"] for e in seen["events"]} == {0}
    again = run("plan", "lutathera", "--start", "2027-03-01", "--ics", "-")
    assert again.exit_code == 0
    replay = check_calendar(again.stdout_bytes, tmp_path, "again.ics")
    # Each export draws its own UIDs: two patients on the same plan never share one, and a UID
    # says nothing of the regimen or the start.
    assert len(replay["events"]) == len(seen["events"])
    assert not {e["uid"] for e in replay["events"]} & {e["uid"] for e in seen["events"]}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("ics",), 2, "prrt: give a PATIENT_ID, or --all --dir FOLDER (see 'prrt ics --help')\n"),
        (("ics", "--all"), 2, "prrt: --all needs --dir FOLDER (see 'prrt ics --help')\n"),
        (("ics", "P1", "--all", "--dir", "x"), 2,
         "prrt: --all writes every patient into --dir; drop PATIENT_ID / -o (see 'prrt ics --help')\n"),
        (("ics", "P1", "--dir", "x"), 2,
         "prrt: --dir goes with --all; for one patient use -o FILE (see 'prrt ics --help')\n"),
        (("ics", "NOPE"), 3, "prrt: unknown patient 'NOPE'; 'prrt patient list' shows the patients\n"),
        (("plan", "lutathera", "--start", "2027-03-01", "--time", "09:00"), 2,
         "prrt: --time and --tz apply to --ics only (see 'prrt plan --help')\n"),
        (("plan", "lutathera", "--start", "2027-03-01", "--ics", "-", "--time", "09:00"), 2,
         "prrt: give --time and --tz together (a time needs its time zone)\n"),
        (("plan", "lutathera", "--start", "2027-03-01", "--ics", "-", "--time", "9am",
          "--tz", "Europe/Zurich"), 2,
         "prrt: time '9am' is not valid; use HH:MM on a 24-hour clock, e.g. 09:00\n"),
    ],
)  # fmt: skip
def test_bad_ics_input_one_line_nothing_published(prrt, db_url: str, args, code, message) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
    remembered = published_rows(db_url)  # what the patient's calendar showed when added
    assert remembered > 0
    result = prrt(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message)
    assert published_rows(db_url) == remembered


def test_ics_all_rewrites_only_what_changed(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "calendars"
    with freeze_time("2026-11-21 10:00:00"):
        prrt("patient", "add", "A", "--regimen", "lutathera", "--start", "2026-12-07")
        prrt(
            "patient",
            "add",
            "B",
            "--regimen",
            "lanreotide",
            "--start",
            "2026-11-02",
            "--past-start",
        )
        prrt(
            "patient",
            "add",
            "C",
            "--regimen",
            "octreotide-lar",
            "--start",
            "2026-10-05",
            "--past-start",
        )
        prrt("discontinue", "C", "--reason", "moved away")
        result = prrt("ics", "--all", "--dir", str(folder))
        assert (result.exit_code, result.stdout) == (
            0, f"wrote 2 calendars to {folder}: 2 new, 0 changed; 0 unchanged\n",
        )  # fmt: skip
        assert sorted(p.name for p in folder.iterdir()) == [
            ".prrt-calendars.json",
            "A.ics",
            "B.ics",
        ]
        check_files(folder / "A.ics", folder / "B.ics")
        stamps = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.ics")}
        result = prrt("ics", "--all", "--dir", str(folder))
        assert result.stdout == f"wrote 0 calendars to {folder}: 0 new, 0 changed; 2 unchanged\n"
        assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.ics")} == stamps
        prrt("record", "B", "ssa-1", "--date", "2026-11-03")
        result = prrt("ics", "--all", "--dir", str(folder))
        assert result.stdout == f"wrote 1 calendar to {folder}: 0 new, 1 changed; 1 unchanged\n"
        assert (folder / "A.ics").stat().st_mtime_ns == stamps["A.ics"]
        seen = check_files(folder / "B.ics")[str(folder / "B.ics")]
        assert by_title(seen["events"], "Lanreotide 120 mg injection 1")["sequence"] == 1
        single = prrt("ics", "B")  # the same memory: the single export agrees byte for byte
        assert single.stdout_bytes == (folder / "B.ics").read_bytes()
        (folder / "A.ics").write_text("damaged", encoding="utf-8")
        (folder / ".prrt-calendars.json").write_text("{not json", encoding="utf-8")
        result = prrt("ics", "--all", "--dir", str(folder))
        assert result.stdout == f"wrote 1 calendar to {folder}: 0 new, 1 changed; 1 unchanged\n"
        check_files(folder / "A.ics")
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_crash_while_writing_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schedule.domain.errors import OutputError
    from schedule.output.files import write_atomic

    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "A.ics"
    write_atomic(target, "BEGIN:VCALENDAR\r\nold\r\n")

    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OutputError, match=f"cannot write {re.escape(str(target))}: No space"):
        write_atomic(target, "BEGIN:VCALENDAR\r\nnew, and much longer\r\n")
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\nold\r\n"
    assert [p.name for p in folder.iterdir()] == ["A.ics"]
