"""Issue 11: patients' calendars that stay put, read plainly and keep the patient's secret.

Every calendar written here is checked byte by byte and read by vobject and ical.js
(tests/calendars.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from schedule.calendars.feeds import issue
from schedule.calendars.ical import Entry, Head, Revision, escape_text, write_calendar
from schedule.calendars.publisher import Publisher
from schedule.domain.errors import InputError, SettingsError
from schedule.domain.localtime import appointment_span, check_days
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings, parse_settings
from schedule.patientview.settled import horizon
from schedule.store.database import Store
from tests.calendars import by_title, check_calendar, check_files
from tests.conftest import SAMPLES, actor
from tests.web import feed_app, get

pytestmark = pytest.mark.usefixtures("config_dir")
PATIENTS = [f"NET-{n:03d}" for n in range(1, 13)]
NEW_YORK = "America/New_York"
# What a lock screen must not show with discreet titles: drugs, therapies, the clinic's name.
SECRETS = re.compile(
    r"PRRT|Lutathera|Pluvicto|[Rr]adiation|[Rr]adioligand|[Oo]ctreotide|[Ll]anreotide|SSA|LAR|"
    r"NET|[Tt]umou?r|SSTR|PET|GBq|mg"
)
ON_A_LOCK_SCREEN = ("SUMMARY:", "NAME:", "X-WR-CALNAME:", "LOCATION:")


def sample_clinic(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-11-23 08:00:00"):
        for kind in ("roster", "doses"):
            result = run("--db", db_url, "import", kind, str(SAMPLES / f"{kind}.csv"))
            assert result.exit_code == 0, result.stderr


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, "2026-11-23T00:00:00Z")
    yield opened
    opened.close()


def publisher(store: Store, day: date, settings: Settings | None = None) -> Publisher:
    stamp = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    return Publisher(store, load_catalog(), settings or Settings(), day, stamp)


def unfolded(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def alarm_texts(text: str) -> list[str]:
    lines = unfolded(text)
    return [
        line
        for before, line in itertools.pairwise(lines)
        if before.startswith("TRIGGER:") and line.startswith("DESCRIPTION:")
    ]


# -- stability: no daily drift ---------------------------------------------------------------


def test_thirty_days_with_nothing_new_change_each_calendar_at_most_twice(
    run, db_url: str, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    first = date(2026, 11, 23)
    texts: dict[str, str] = {}
    changes: dict[str, list[date]] = {pid: [] for pid in PATIENTS}
    for n in range(31):
        day = first + timedelta(days=n)
        today = publisher(store, day)
        for pid in PATIENTS:
            text = today.patient(pid).text
            if pid in texts and text != texts[pid]:
                changes[pid].append(day)
                # Each change is a status the patient must see: one more thing not done.
                assert text.count("Not done yet") > texts[pid].count("Not done yet"), (pid, day)
            texts[pid] = text
    assert max(len(days) for days in changes.values()) <= 2, changes
    assert {pid for pid, days in changes.items() if days} == {
        "NET-001", "NET-002", "NET-007", "NET-008", "NET-010", "NET-011",
    }  # fmt: skip
    assert changes["NET-001"] == [date(2026, 12, 1), date(2026, 12, 15)]  # labs-1, then prrt-1
    sequences = [
        int(line[9:])
        for t in texts.values()
        for line in unfolded(t)
        if line.startswith("SEQUENCE:")
    ]
    assert max(sequences) <= 2
    paths = []
    for pid, text in texts.items():
        (tmp_path / f"{pid}.ics").write_bytes(text.encode())
        paths.append(tmp_path / f"{pid}.ics")
    check_files(*paths)


def test_events_behind_a_late_dose_keep_their_dates_and_say_so(
    run, db_url: str, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)  # NET-003: prrt-2 was due on 2026-11-18 and is not given
    early = check_calendar(
        publisher(store, date(2026, 11, 23)).patient("NET-003").text.encode(), tmp_path, "a.ics"
    )
    later = check_calendar(
        publisher(store, date(2027, 1, 20)).patient("NET-003").text.encode(), tmp_path, "b.ics"
    )
    assert later == early  # two months on, nothing new: the same bytes
    dose = by_title(early["events"], "Lutathera treatment 2 of 4: infusion at the clinic")
    assert (dose["summary"], dose["status"], dose["start"]["iso"]) == (
        "Not done yet: Clinic visit (infusion)", "CONFIRMED", "2026-11-18",
    )  # fmt: skip
    assert dose["description"].startswith("Not done yet: please call the clinic.\n\n")
    behind = by_title(early["events"], "Lutathera treatment 3 of 4: infusion at the clinic")
    assert (behind["summary"], behind["status"]) == ("Clinic visit (infusion)", "TENTATIVE")
    assert behind["start"]["iso"] == "2027-01-13"  # as published before: 8 weeks after 11-18
    assert behind["description"].startswith(
        "Waiting for an earlier step: the new date will be confirmed.\n\n"
    )
    done = by_title(early["events"], "Lutathera treatment 1 of 4: infusion at the clinic")
    assert done["status"] == "CONFIRMED"
    # The dose recorded: the events behind it get their dates from it, confirmed.
    with freeze_time("2027-01-20 08:00:00"):
        result = run("--db", db_url, "record", "NET-003", "prrt-2", "--date", "2027-01-19")
        assert result.exit_code == 0, result.stderr
    after = check_calendar(
        publisher(store, date(2027, 1, 20)).patient("NET-003").text.encode(), tmp_path, "c.ics"
    )
    behind = by_title(after["events"], "Lutathera treatment 3 of 4: infusion at the clinic")
    assert (behind["status"], behind["start"]["iso"], behind["sequence"]) == (
        "CONFIRMED", "2027-03-16", 1,
    )  # fmt: skip


def test_ics_all_the_next_day_rewrites_only_the_calendars_that_changed(
    run, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    folder = tmp_path / "calendars"
    with freeze_time("2026-11-30 08:00:00"):
        result = run("--db", db_url, "ics", "--all", "--dir", str(folder))
        # NET-012's only course is discontinued: no file.
        assert result.stdout == f"wrote 11 calendars to {folder}: 11 new, 0 changed; 0 unchanged\n"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.glob("*.ics")}
    with freeze_time("2026-12-01 08:00:00"):
        result = run("--db", db_url, "ics", "--all", "--dir", str(folder))
        assert result.stdout == f"wrote 2 calendars to {folder}: 0 new, 2 changed; 9 unchanged\n"
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.glob("*.ics")}
    rewritten = sorted(name for name in after if after[name] != before[name])
    assert rewritten == ["NET-001.ics", "NET-007.ics"]  # labs-1 and ssa-13 became late
    for name in rewritten:
        assert after[name][1].count(b"Not done yet") > before[name][1].count(b"Not done yet")
    check_files(*(folder / name for name in rewritten))


def test_feed_etag_holds_no_date_a_phone_gets_304_after_midnight(
    run, db_url: str, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sample_clinic(run, db_url)
    tokens: dict[str, str] = {}
    for pid in ("NET-003", "NET-001"):
        issue(store, pid, False, actor(), lambda token, pid=pid: tokens.__setitem__(pid, token))
    clock = {"now": datetime(2026, 12, 14, 20, 0, tzinfo=UTC)}
    app = feed_app(store, load_catalog(), Settings(), lambda: clock["now"])
    path = {pid: f"/feeds/{token}.ics" for pid, token in tokens.items()}
    status, headers, body = get(app, path["NET-003"])
    assert status == "200 OK"
    etag = headers["ETag"]
    assert "2026" not in etag
    assert "1214" not in etag
    _, headers_1, _ = get(app, path["NET-001"])
    clock["now"] = datetime(2026, 12, 15, 20, 0, tzinfo=UTC)  # the next day
    status, headers, body = get(app, path["NET-003"], if_none_match=etag)
    assert (status, headers["ETag"], body) == ("304 Not Modified", etag, b"")
    # NET-001's prrt-1 (2026-12-14) is late from today: a new calendar, a new ETag.
    status, headers, body = get(app, path["NET-001"], if_none_match=headers_1["ETag"])
    assert status == "200 OK"
    assert headers["ETag"] != headers_1["ETag"]
    seen = check_calendar(body, tmp_path)
    dose = by_title(seen["events"], "Lutathera treatment 1 of 4: infusion at the clinic")
    assert dose["summary"] == "Not done yet: Clinic visit (infusion)"
    # A link issued with plain titles keeps them.
    status, headers, body = get(app, path["NET-003"], "titles=plain")
    assert status == "200 OK"
    assert headers["ETag"] != etag
    assert b"SUMMARY:Not done yet: Lutathera treatment 2 of 4: infusion at the clinic\r\n" in body


# -- daylight-saving changes -----------------------------------------------------------------


def test_a_missing_local_time_is_refused_and_a_repeated_one_is_the_first(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # New York: the clocks go forward on 2027-03-14 at 02:00 and back on 2027-11-07 at 02:00.
    refused = run("plan", "lanreotide", "--start", "2027-02-14", "--until", "2027-04-30",
                  "--ics", "-", "--time", "02:30", "--tz", NEW_YORK)  # fmt: skip
    assert (refused.exit_code, refused.stdout, refused.stderr) == (
        2, "",
        "prrt: 02:30 does not exist on 2027-03-14 in America/New_York (the clocks go forward "
        "that night); choose a time outside the change, e.g. 09:00\n",
    )  # fmt: skip
    back = run("plan", "lanreotide", "--start", "2027-11-07", "--until", "2027-11-30",
               "--ics", "-", "--time", "01:30", "--tz", NEW_YORK)  # fmt: skip
    assert back.exit_code == 0, back.stderr
    seen = check_calendar(back.stdout_bytes, tmp_path)
    first = by_title(seen["events"], "Lanreotide 120 mg injection 1")
    assert first["start"]["text"] == "DTSTART:20271107T053000Z"  # 01:30 EDT, the first 01:30
    assert first["end"]["unix"] - first["start"]["unix"] == 30 * 60  # 30 minutes, not 90


def test_an_appointment_moved_onto_the_spring_change_ends_after_it_starts(
    prrt, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2027-02-01 10:00:00"):
        prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2027-02-10",
             "--tz", NEW_YORK, "--time", "02:30")  # fmt: skip
        moved = prrt("reschedule", "P1", "ssa-2", "--date", "2027-03-14", "--reason", "x")
        assert moved.exit_code == 0, moved.stderr
        result = prrt("ics", "P1")
    seen = check_calendar(result.stdout_bytes, tmp_path)
    dose = by_title(seen["events"], "Lanreotide 120 mg injection 2")
    # 02:30 does not exist that day: read with the offset before the change, 03:30 EDT.
    assert dose["start"]["text"] == "DTSTART:20270314T073000Z"
    assert dose["end"]["text"] == "DTEND:20270314T080000Z"


def test_local_times_in_the_library() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(NEW_YORK)
    with pytest.raises(InputError, match=r"^02:30 does not exist on 2027-03-14") as refused:
        check_days(
            [date(2027, 3, 1), date(2027, 3, 14)], datetime.strptime("02:30", "%H:%M").time(), zone
        )
    assert refused.value.field == "time"
    check_days([date(2027, 3, 14)], datetime.strptime("03:30", "%H:%M").time(), zone)
    start, end = appointment_span(
        date(2027, 3, 14), datetime.strptime("01:30", "%H:%M").time(), zone, 300
    )
    assert (start.isoformat(), end.isoformat()) == (
        "2027-03-14T06:30:00+00:00", "2027-03-14T11:30:00+00:00",
    )  # fmt: skip


# -- control characters, plan UIDs, cancelled events -----------------------------------------


@given(st.text(max_size=200))
def test_no_control_character_is_ever_written(value: str) -> None:
    escaped = escape_text(value)
    assert not [c for c in escaped if (ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) < 0xA0]


def test_control_characters_in_the_site_settings_stay_out_of_the_file(
    prrt, config_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text(
        '[site]\nclinic_name = "Clinic\\u0007 \\u001b[2KOne"\nclinic_phone = "+1\\u007f 555"\n'
        'calendar_titles = "plain"\n'
    )
    with freeze_time("2026-11-21 10:00:00"):
        prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
        result = prrt("ics", "P1")
    data = result.stdout_bytes
    assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", data.replace(b"\r\n", b""))
    seen = check_calendar(data, tmp_path)
    assert seen["calendar"]["name"] == "Treatment calendar - Clinic [2KOne"
    text = "\r\n".join(["BEGIN:VCALENDAR"])
    entry = Entry("a\x07b\x1bc\x00d", "e\x0bf\r\ng", date(2027, 3, 1), date(2027, 3, 2))
    text = write_calendar(
        Head("n\x1b"), [("u@prrt", Revision(0, datetime(2027, 1, 1, tzinfo=UTC)), entry.body())]
    )
    assert "SUMMARY:abcd\r\n" in text
    assert "DESCRIPTION:ef\\ng\r\n" in text
    check_calendar(text.encode(), tmp_path, "entry.ics")


def test_cancelled_events_keep_their_time_and_free_the_day(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2027-01-10 10:00:00"):
        prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2027-02-15",
             "--tz", NEW_YORK, "--time", "09:00")  # fmt: skip
        prrt("skip", "P1", "prrt-2", "--reason", "travelling")
        seen = check_calendar(prrt("ics", "P1").stdout_bytes, tmp_path)
    dose = by_title(seen["events"], "Lutathera treatment 2 of 4: infusion at the clinic")
    assert (dose["summary"], dose["status"], dose["transp"]) == (
        "Cancelled: Clinic visit (infusion)", "CANCELLED", "TRANSPARENT",
    )  # fmt: skip
    assert dose["start"]["text"] == "DTSTART:20270412T130000Z"  # 09:00 in New York, as planned
    assert dose["alarms"] == []


# -- privacy: discreet titles ----------------------------------------------------------------


def test_discreet_by_default_nothing_on_a_lock_screen_names_the_treatment(
    run, db_url: str, config_dir: Path, store: Store
) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text(
        '[site]\nclinic_name = "NET Centre"\nclinic_address = "1 Hospital Road"\n'
    )
    sample_clinic(run, db_url)
    with freeze_time("2026-11-23 08:00:00"):
        texts = [run("--db", db_url, "ics", pid).stdout_bytes.decode() for pid in PATIENTS]
    shown = [
        line for text in texts for line in unfolded(text) if line.startswith(ON_A_LOCK_SCREEN)
    ] + [line for text in texts for line in alarm_texts(text)]
    assert len(shown) > 500
    assert [line for line in shown if SECRETS.search(line)] == []
    summaries = {
        line.split(": ")[-1].removeprefix("SUMMARY:")
        for line in shown
        if line.startswith("SUMMARY:")
    }
    assert summaries == {
        "Clinic visit (infusion)", "Clinic visit (injection)", "Blood test", "Scan",
        "Reminder", "Precautions at home", "Test",
    }  # fmt: skip
    # The details are in the description, read when the event is opened.
    assert any("Lutathera treatment 2 of 4: infusion at the clinic." in text for text in texts)
    assert all("X-WR-CALNAME:Treatment calendar\r\n" in text for text in texts)


def test_plain_titles_by_site_setting_and_per_patient(
    prrt, config_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text(
        '[site]\ncalendar_titles = "plain"\nclinic_name = "NET Centre"\n'
    )
    with freeze_time("2026-11-21 10:00:00"):
        prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07")
        plain = check_calendar(prrt("ics", "P1").stdout_bytes, tmp_path, "plain.ics")
        quiet = prrt("ics", "P1", "--titles", "discreet")
        link = prrt("feed", "url", "P1", "--base", "https://calendar.example.org",
                    "--titles", "discreet")  # fmt: skip
    assert plain["calendar"]["name"] == "Treatment calendar - NET Centre"
    dose = by_title(plain["events"], "Lutathera treatment 1 of 4: infusion at the clinic")
    assert dose["summary"] == "Lutathera treatment 1 of 4: infusion at the clinic"
    assert (
        dose["alarms"][0]["description"]
        == "Tomorrow: Lutathera treatment 1 of 4: infusion at the clinic; an injection too; "
        "no short-acting injection from now on; drink plenty of fluids"
    )
    assert not dose["description"].startswith("Lutathera treatment 1")  # said once, in the title
    seen = check_calendar(quiet.stdout_bytes, tmp_path, "quiet.ics")
    assert seen["calendar"]["name"] == "Treatment calendar"
    assert by_title(seen["events"], "Lutathera treatment 1 of 4: infusion at the clinic")[
        "summary"
    ] == ("Clinic visit (infusion)")
    assert re.fullmatch(
        r"webcal://calendar\.example\.org/feeds/([A-Za-z0-9_-]{32})\.ics\?titles=discreet\n"
        r"https://calendar\.example\.org/feeds/\1\.ics\?titles=discreet \(for the web: .*\)\n"
        r"https://calendar\.example\.org/p/\1\?titles=discreet \(the patient's page: .*\)\n",
        link.stdout,
    )


def test_a_titles_setting_other_than_discreet_or_plain_is_refused(run, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text('[site]\ncalendar_titles = "loud"\n')
    result = run("plan", "lutathera", "--start", "2027-03-01", "--ics", "-")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "site.calendar_titles: must be 'discreet' or 'plain', not 'loud'\n"
    )
    with pytest.raises(SettingsError):
        parse_settings("[site]\ncalendar_titles = 1\n", "x.toml")


def test_an_open_ended_series_grows_a_quarter_at_a_time() -> None:
    start = date(2027, 1, 1)
    ends = {horizon(start, start + timedelta(days=n), 364) for n in range(91)}
    assert ends == {start + timedelta(days=91 + 364)}
    assert horizon(start, start + timedelta(days=91), 364) == start + timedelta(days=182 + 364)


@freeze_time("2026-11-21")
def test_a_time_the_clocks_skip_on_a_dose_day_is_refused_when_stored(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """New York springs forward on 2027-03-14: 02:30 does not exist that day."""
    skipped = (
        "02:30 does not exist on 2027-03-14 in America/New_York (the clocks go forward that "
        "night); choose a time outside the change, e.g. 09:00"
    )
    args = ("--regimen", "lutathera", "--start", "2027-03-14", "--tz", "America/New_York")
    assert prrt("init").exit_code == 0
    result = prrt("patient", "add", "P1", *args, "--time", "02:30")
    assert (result.exit_code, result.stderr) == (2, f"prrt: {skipped}\n")
    assert prrt("patient", "add", "P1", *args, "--time", "09:00").exit_code == 0
    result = prrt("patient", "edit", "P1", "--time", "02:30")
    assert (result.exit_code, result.stderr) == (2, f"prrt: {skipped}\n")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start,tz,time\nP2,lutathera,2027-03-14,America/New_York,02:30\n"
    )
    result = prrt("import", "roster", str(roster))
    assert (result.exit_code, result.stderr) == (2, f"prrt: {roster}: line 2: time: {skipped}\n")
    patients = json.loads(prrt("patient", "list", "-f", "json").stdout)
    assert [p["patient_id"] for p in patients] == ["P1"]
