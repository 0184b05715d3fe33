"""Issue 15: clinic days. Closures read from the clinic's own calendar file (a yearly RRULE for
Christmas and a one-off closure, written here), the `clinic-closed` flag, the reschedule guard,
the bulk `move` (one transaction, on SQLite and PostgreSQL) and infusion capacity (`days`)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.calendars.closures import closure_span, read_closures
from schedule.domain.closures import Closures, nearest_open_days
from schedule.domain.errors import GuardError, SettingsError
from schedule.domain.model import Flag, RecordType
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings, parse_settings
from schedule.engine.views import course_views
from schedule.output.columns import json_row
from schedule.store.database import Store
from schedule.tracking.days import clinic_days, crowded_days
from schedule.tracking.selection import Filters
from schedule.tracking.worklists import show_rows, worklist_rows
from tests.conftest import D

HOLIDAYS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Clinic//Closures//EN
BEGIN:VEVENT
UID:christmas@clinic.example
DTSTAMP:20250101T000000Z
DTSTART;VALUE=DATE:20201225
DTEND;VALUE=DATE:20201226
RRULE:FREQ=YEARLY
SUMMARY:Christmas Day
END:VEVENT
BEGIN:VEVENT
UID:move@clinic.example
DTSTAMP:20250101T000000Z
DTSTART;VALUE=DATE:20270104
DTEND;VALUE=DATE:20270106
SUMMARY:Clinic move
END:VEVENT
END:VCALENDAR
"""
YEARS = (D("2026-01-01"), D("2027-12-31"))


@pytest.fixture
def clinic(config_dir: Path) -> Path:
    """The site's closures (relative to the configuration folder) and one chair of 8 hours."""
    (config_dir / "closures.ics").write_text(HOLIDAYS.replace("\n", "\r\n"), encoding="utf-8")
    (config_dir / "config.toml").write_text(
        '[site]\nclosures = "closures.ics"\nchairs = 1\nchair_hours = 8\n'
        "chairs_by_weekday = { sunday = 0 }\n",
        encoding="utf-8",
    )
    return config_dir


@pytest.fixture
def patients(prrt, clinic: Path):  # type: ignore[no-untyped-def]
    """A and B: Lutathera from Christmas Day 2026; C: octreotide LAR from 2026-12-21."""
    with freeze_time("2026-11-23"):
        for pid, regimen, start in (
            ("A", "lutathera", "2026-12-25"),
            ("B", "lutathera", "2026-12-25"),
            ("C", "octreotide-lar", "2026-12-21"),
        ):
            added = prrt(
                "patient", "add", pid, "--regimen", regimen, "--start", start, "--pregnancy", "no"
            )
            assert added.exit_code == 0


def event(prrt, pid: str, key: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    rows = json.loads(prrt("show", pid, "-f", "json").stdout)
    return next(r for r in rows if r["event"] == key)


def stored(db_url: str) -> list[tuple[str, str | None, date, str, str | None]]:
    """Every record: patient's course, event, day, note, override."""
    store = Store.open(db_url, "2026-11-23T00:00:00Z")
    try:
        with store.read() as tx:
            courses = {c.id: c.patient_id for c in tx.courses()}
            records = tx.records()
    finally:
        store.close()
    return sorted(
        (courses[r.course_id], r.event, r.day, r.note, r.override)
        for rs in records.values()
        for r in rs
    )


# -- reading the calendar --------------------------------------------------------------------


def test_a_yearly_holiday_and_a_one_off_closure_are_read_for_the_years_asked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "holidays.ics"
    path.write_text(HOLIDAYS, encoding="utf-8")
    closures = read_closures(path, *YEARS)
    assert sorted(closures.by_day.items()) == [
        (D("2026-12-25"), "Christmas Day"),
        (D("2027-01-04"), "Clinic move"),
        (D("2027-01-05"), "Clinic move"),  # DTEND is the first day open again
        (D("2027-12-25"), "Christmas Day"),
    ]
    # Only the span asked for is expanded: a yearly rule has no last occurrence.
    assert not read_closures(path, *YEARS).closed(D("2028-12-25"))
    assert closure_span(D("2026-11-23")) == (D("2025-01-01"), D("2029-12-31"))


def test_a_folder_of_calendars_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "holidays.ics").write_text(HOLIDAYS, encoding="utf-8")
    (tmp_path / "training.ics").write_text(
        HOLIDAYS.replace("Christmas Day", "Staff training")
        .replace("RRULE:FREQ=YEARLY\r\n", "")
        .replace("20201225", "20261224")
        .replace("20201226", "20261225"),
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not a calendar", encoding="utf-8")
    closures = read_closures(tmp_path, *YEARS)
    assert closures.name(D("2026-12-24")) == "Staff training"
    assert closures.name(D("2026-12-25")) == "Christmas Day"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("hello\n", "Content line could not be parsed into parts: 'hello': Invalid content line"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261345\nEND:VEVENT\nEND:VCALENDAR\n",
            "Cannot access 'dt' on broken property 'DTSTART' (expected 'vDDDTypes'): "
            "Wrong date format 20261345",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
            "an event without DTSTART",
        ),
    ],
)
def test_a_malformed_calendar_is_refused_with_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.ics"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        read_closures(path, *YEARS)
    assert caught.value.message == f"{path}: closures: is not a calendar prrt can read: {problem}"


def test_the_command_line_refuses_a_malformed_or_missing_calendar(run, clinic: Path) -> None:  # type: ignore[no-untyped-def]
    (clinic / "closures.ics").write_text("hello\n", encoding="utf-8")
    result = run("--db", str(clinic / "x.db"), "days")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"prrt: {clinic / 'closures.ics'}: closures: is not a calendar prrt can read: "
        "Content line could not be parsed into parts: 'hello': Invalid content line\n"
    )
    (clinic / "closures.ics").unlink()
    result = run("--db", str(clinic / "x.db"), "days")
    assert (result.exit_code, result.stderr) == (
        2,
        f"prrt: {clinic / 'closures.ics'}: closures: no such file or folder\n",
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("chairs = -1", "site.chairs: must be a whole number from 0 to 500"),
        ("chair_hours = 25", "site.chair_hours: must be a whole number from 1 to 24"),
        (
            "chairs_by_weekday = 3",
            "site.chairs_by_weekday: must be a table such as { saturday = 0 }",
        ),
        (
            "chairs_by_weekday = { caturday = 1 }",
            "site.chairs_by_weekday: 'caturday' is not a weekday (monday ... sunday)",
        ),
        (
            "chairs_by_weekday = { monday = true }",
            "site.chairs_by_weekday.monday: must be a whole number from 0 to 500",
        ),
        ("closures = 3", "site.closures: must be a string"),
    ],
)
def test_clinic_settings_are_checked(line: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(f"[site]\n{line}\n", "config.toml")
    assert caught.value.message == f"config.toml: {problem}"


def test_chairs_by_weekday() -> None:
    settings = parse_settings(
        "[site]\nchairs = 3\nchairs_by_weekday = { Saturday = 1, sunday = 0 }\n", "c"
    )
    assert settings.chairs_by_weekday == ((5, 1), (6, 0))
    assert [settings.chairs_on(D(f"2026-12-{d}")) for d in (25, 26, 27)] == [3, 1, 0]


# -- the flag and the guard ------------------------------------------------------------------


def test_what_is_planned_on_a_closed_day_is_flagged(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "holidays.ics"
    path.write_text(HOLIDAYS, encoding="utf-8")
    closures = read_closures(path, *YEARS)
    from schedule.domain.course import Course, Patient

    course = Course(1, "A", 1, "lutathera", D("2026-12-25"))
    (view,) = course_views(
        catalog, Settings(), Patient("A"), [course], {}, D("2026-11-23"), closures=closures
    )
    flagged = [e.key for e in view.events if Flag.CLINIC_CLOSED in e.flags]
    # The dose and its LAR; not the reminders or precautions that begin that day, and not the
    # labs, whose span has open days.
    assert flagged == ["prrt-1", "ssa-1"]
    prrt1 = view.event("prrt-1")
    assert prrt1 is not None
    assert nearest_open_days(closures, prrt1) == (D("2026-12-24"), D("2026-12-26"))
    # Without closures nothing is flagged.
    (plain,) = course_views(catalog, Settings(), Patient("A"), [course], {}, D("2026-11-23"))
    assert not [e for e in plain.events if Flag.CLINIC_CLOSED in e.flags]


@freeze_time("2026-11-23")
def test_show_and_the_worklists_flag_a_closed_day_when_given_the_closures(
    prrt, patients: None, catalog: Catalog, db_url: str, clinic: Path
) -> None:  # type: ignore[no-untyped-def]
    closures = read_closures(clinic / "closures.ics", *YEARS)
    store = Store.open(db_url, "2026-11-23T00:00:00Z")
    try:
        rows = show_rows(store, catalog, Settings(), "A", D("2026-12-20"), closures=closures)
        due = worklist_rows(
            store, catalog, Settings(), D("2026-12-20"), False, 7, closures=closures
        )
    finally:
        store.close()
    rows, due = [json_row(r) for r in rows], [json_row(r) for r in due]
    assert {r["event"]: r["flags"] for r in rows if "clinic-closed" in r["flags"]} == {
        "prrt-1": ["labs-missing", "clinic-closed"],
        "ssa-1": ["clinic-closed"],
    }
    assert sorted((r["patient_id"], r["event"]) for r in due if "clinic-closed" in r["flags"]) == [
        ("A", "prrt-1"),
        ("A", "ssa-1"),
        ("B", "prrt-1"),
        ("B", "ssa-1"),
    ]


@freeze_time("2026-11-23")
def test_reschedule_onto_a_closed_day_needs_an_override(prrt, patients: None, db_url: str) -> None:  # type: ignore[no-untyped-def]
    result = prrt("reschedule", "A", "prrt-1", "--date", "2027-01-04", "--reason", "chair free")
    assert (result.exit_code, result.stdout, result.stderr) == (
        4,
        "",
        "prrt: the clinic is closed on 2027-01-04 (Clinic move); the nearest open days in its "
        'window: 2027-01-03 and 2027-01-06; if a clinician has a reason, add --override "REASON"\n',
    )
    assert stored(db_url) == []
    result = prrt(
        "reschedule", "A", "prrt-1", "--date", "2027-01-04", "--reason", "chair free",
        "--override", "the move team keeps one chair",
    )  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "rescheduled prrt-1 for A to 2027-01-04 (record 1)\n",
        "",
    )
    assert stored(db_url) == [
        ("A", "prrt-1", D("2027-01-04"), "chair free", "the move team keeps one chair")
    ]
    # `show` knows the closures: the event carries both the override and the closed day,
    # and so do the worklists; `explain` names the closure and the open days around it.
    assert event(prrt, "A", "prrt-1")["flags"] == ["override", "clinic-closed"]
    due = json.loads(prrt("due", "--as-of", "2027-01-01", "-f", "json").stdout)
    assert [r["flags"] for r in due if (r["patient_id"], r["event"]) == ("A", "prrt-1")] == [
        ["override", "labs-missing", "clinic-closed"]  # and no labs recorded for it
    ]
    explained = prrt("explain", "A", "prrt-1", "--as-of", "2027-01-01").stdout.splitlines()
    assert explained[-1] == (
        "flag clinic-closed: the clinic is closed on 2027-01-04 (Clinic move); nearest open "
        "days in its window: 2027-01-03 and 2027-01-06; the site's closures calendar, site "
        "setting closures"
    )
    # An open day needs no override, and an override there is refused as meaningless.
    result = prrt(
        "reschedule", "B", "prrt-1", "--date", "2026-12-28", "--reason", "x", "--override", "y"
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: nothing to override: the record passes every check; drop --override\n",
    )
    result = prrt("reschedule", "B", "prrt-1", "--date", "2026-12-28", "--reason", "Christmas")
    assert (result.exit_code, result.stdout) == (
        0,
        "rescheduled prrt-1 for B to 2026-12-28 (record 2)\n",
    )


def test_an_import_refuses_a_closed_day_in_the_same_words(
    prrt, patients: None, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    doses = tmp_path / "doses.csv"
    doses.write_text(
        "patient_id,event,date,note,type\nA,prrt-1,2027-01-04,chair free,rescheduled\n"
    )
    result = prrt("import", "doses", str(doses))
    assert (result.exit_code, result.stderr) == (
        4,  # a guard, as from a command (issue 28)
        f"prrt: {doses}: line 2: date: the clinic is closed on 2027-01-04 (Clinic move); the "
        "nearest open days in its window: 2027-01-03 and 2027-01-06; if a clinician has a "
        "reason, put it in the override column\n",
    )
    assert stored(db_url) == []


def test_the_guard_names_the_closure_in_the_library(catalog: Catalog) -> None:
    from schedule.domain.course import Course, Patient
    from schedule.tracking.rules import Proposal, check_record

    closures = Closures.of({D("2026-12-28"): "Staff day"}, *YEARS)
    course = Course(1, "A", 1, "lutathera", D("2026-12-25"))
    (view,) = course_views(catalog, Settings(), Patient("A"), [course], {}, D("2026-11-23"))
    proposal = Proposal(RecordType.RESCHEDULED, "prrt-1", D("2026-12-28"), note="x")
    with pytest.raises(GuardError) as caught:
        check_record(view, proposal, D("2026-11-23"), None, closures)
    assert caught.value.overridable
    assert caught.value.message == (
        "the clinic is closed on 2026-12-28 (Staff day); the nearest open days in its window: "
        "2026-12-27 and 2026-12-29"
    )
    # Without closures (or with none known) the same record passes.
    assert check_record(view, proposal, D("2026-11-23")).day == D("2026-12-28")


# -- the bulk move -------------------------------------------------------------------------

MOVE_HEAD = "PATIENT  COURSE  EVENT   TITLE                                   FROM        TO          RECORD  NOTE\n"


MOVED = (
    "A        1       prrt-1  PRRT dose 1 of 4: Lutathera infusion    2026-12-25  2026-12-28  {a}\n"
    "A        1       ssa-1   Octreotide LAR 30 mg after PRRT dose 1  2026-12-25  2026-12-28          moves with prrt-1\n"
    "B        1       prrt-1  PRRT dose 1 of 4: Lutathera infusion    2026-12-25  2026-12-28  {b}\n"
    "B        1       ssa-1   Octreotide LAR 30 mg after PRRT dose 1  2026-12-25  2026-12-28          moves with prrt-1\n"
)


@freeze_time("2026-11-23")
def test_a_dry_run_shows_the_move_and_stores_nothing(prrt, patients: None, db_url: str) -> None:  # type: ignore[no-untyped-def]
    result = prrt(
        "move", "--from", "2026-12-25", "--onto", "2026-12-28", "--reason", "Christmas", "--dry-run"
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        MOVE_HEAD + MOVED.format(a="", b="").replace("2026-12-28  \n", "2026-12-28\n"),
        "dry run: nothing was stored\n",
    )
    assert stored(db_url) == []


@freeze_time("2026-11-23")
def test_every_event_on_a_closed_day_moves_in_one_go(prrt, patients: None, db_url: str) -> None:  # type: ignore[no-untyped-def]
    result = prrt(
        "move", "--from", "2026-12-01", "--to", "2027-01-31", "--closed-only",
        "--onto", "2026-12-28", "--reason", "Christmas",
    )  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        MOVE_HEAD + MOVED.format(a="1", b="2"),
        "",
    )
    # One rescheduled record per dose moved; the LAR follows its dose (L18) by itself.
    assert stored(db_url) == [
        ("A", "prrt-1", D("2026-12-28"), "Christmas", None),
        ("B", "prrt-1", D("2026-12-28"), "Christmas", None),
    ]
    assert event(prrt, "A", "ssa-1")["date"] == "2026-12-28"
    assert (
        "1       2026-11-23T00:00:00Z  coordinator  rescheduled  1       prrt-1  2026-12-28        Christmas"
        in prrt("history", "A").stdout
    )
    # Moved once, nothing is left on the closed day.
    again = prrt(
        "move", "--from", "2026-12-25", "--closed-only", "--onto", "2026-12-28", "--reason", "x"
    )
    assert (again.exit_code, again.stdout, again.stderr) == (
        0,
        "",
        "nothing to move from 2026-12-25 to 2026-12-25\n",
    )


@freeze_time("2026-11-23")
def test_one_refused_move_stores_nothing_and_names_the_event(
    prrt, patients: None, clinic: Path, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    # A and B could move; C's injection cannot come before its course starts (at a site that
    # takes no injection early: by default its window would open 7 days before the start).
    with (clinic / "config.toml").open("a", encoding="utf-8") as settings:
        settings.write("ssa_early_tolerance_days = 0\n")
    result = prrt(
        "move",
        "--from",
        "2026-12-21",
        "--to",
        "2026-12-25",
        "--onto",
        "2026-12-19",
        "--reason",
        "x",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "prrt: C ssa-1 (course 1, 2026-12-21): date 2026-12-19 is before ssa-1 can happen "
        "(2026-12-21, the course start or its window); nothing was moved\n",
    )
    # The closures guard every move too, and a bulk move takes no override.
    result = prrt(
        "move",
        "--from",
        "2026-12-21",
        "--to",
        "2026-12-25",
        "--onto",
        "2027-01-04",
        "--reason",
        "x",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        4,
        "",
        "prrt: A prrt-1 (course 1, 2026-12-25): the clinic is closed on 2027-01-04 (Clinic move); "
        "the nearest open days in its window: 2027-01-03 and 2027-01-06; nothing was moved\n",
    )
    assert stored(db_url) == []
    result = prrt(
        "move",
        "--from",
        "2026-12-28",
        "--to",
        "2026-12-25",
        "--onto",
        "2027-01-06",
        "--reason",
        "x",
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: the last day 2026-12-25 is before the first 2026-12-28\n",
    )


# -- capacity --------------------------------------------------------------------------------

DAYS_HEAD = "DATE        DAY  INFUSIONS  INJECTIONS  HOURS  CAPACITY  FLAGS          CLOSED FOR\n"


@freeze_time("2026-11-23")
def test_days_lists_each_day_against_capacity(prrt, patients: None) -> None:  # type: ignore[no-untyped-def]
    result = prrt("days", "--from", "2026-12-20", "--to", "2026-12-28")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == DAYS_HEAD + (
        "2026-12-20  sun  0          0           0      0\n"
        "2026-12-21  mon  0          1           0.5    8\n"
        "2026-12-22  tue  0          0           0      8\n"
        "2026-12-23  wed  0          0           0      8\n"
        "2026-12-24  thu  0          0           0      8\n"
        "2026-12-25  fri  2          2           11     0         clinic-closed  Christmas Day\n"
        "2026-12-26  sat  0          0           0      8\n"
        "2026-12-27  sun  0          0           0      0\n"
        "2026-12-28  mon  0          0           0      8\n"
    )
    prrt("move", "--from", "2026-12-25", "--onto", "2026-12-28", "--reason", "Christmas")
    rows = json.loads(
        prrt("days", "--from", "2026-12-25", "--to", "2026-12-28", "-f", "json").stdout
    )
    assert rows == [
        {"date": "2026-12-26", "weekday": "saturday", "infusions": 0, "injections": 0,
         "chair_hours": 0, "capacity": 8, "flags": [], "closure": None},
        {"date": "2026-12-27", "weekday": "sunday", "infusions": 0, "injections": 0,
         "chair_hours": 0, "capacity": 0, "flags": [], "closure": None},
        # Two Lutathera visits of 5 h (L26) and two LAR injections of 30 min: 11 > 1 chair x 8 h.
        {"date": "2026-12-28", "weekday": "monday", "infusions": 2, "injections": 2,
         "chair_hours": 11, "capacity": 8, "flags": ["over-capacity"], "closure": None},
    ]  # fmt: skip
    every = prrt("days", "--from", "2026-12-25", "--to", "2026-12-25", "--all", "-f", "csv")
    assert every.stdout == (
        "date,weekday,infusions,injections,chair_hours,capacity,flags,closure\n"
        "2026-12-25,friday,0,0,0,0,,Christmas Day\n"
    )


@freeze_time("2026-11-23")
def test_the_doses_of_a_crowded_day_are_flagged(
    prrt, patients: None, catalog: Catalog, db_url: str, clinic: Path
) -> None:  # type: ignore[no-untyped-def]
    prrt("move", "--from", "2026-12-25", "--onto", "2026-12-28", "--reason", "Christmas")
    settings = parse_settings((clinic / "config.toml").read_text(), "config.toml")
    store = Store.open(db_url, "2026-11-23T00:00:00Z")
    try:
        days = clinic_days(
            store, catalog, settings, None, D("2026-12-21"), D("2027-01-31"), D("2026-11-23")
        )
        crowded = crowded_days(days)
        rows = show_rows(store, catalog, settings, "B", D("2026-11-23"), crowded=crowded)
        due = worklist_rows(store, catalog, settings, D("2026-12-27"), False, 7, capacity=True)
        # A list narrowed to one patient still counts every patient's doses.
        only_b = worklist_rows(
            store, catalog, settings, D("2026-12-27"), False, 7,
            filters=Filters(patient="B"), capacity=True,
        )  # fmt: skip
        uncounted = worklist_rows(store, catalog, settings, D("2026-12-27"), False, 7)
    finally:
        store.close()
    rows, due = [json_row(r) for r in rows], [json_row(r) for r in due]
    only_b, uncounted = [json_row(r) for r in only_b], [json_row(r) for r in uncounted]
    assert crowded == {D("2026-12-28")}
    assert [(r["event"], r["flags"]) for r in rows if r["date"] == "2026-12-28"] == [
        ("prrt-1", ["over-capacity"]),
        ("ssa-1", ["over-capacity"]),
        ("precautions-1", []),
        ("precautions-children-1", []),
    ]
    assert sorted((r["patient_id"], r["event"]) for r in due if "over-capacity" in r["flags"]) == [
        ("A", "prrt-1"),
        ("A", "ssa-1"),
        ("B", "prrt-1"),
        ("B", "ssa-1"),
    ]
    assert sorted(r["event"] for r in only_b if "over-capacity" in r["flags"]) == [
        "prrt-1",
        "ssa-1",
    ]
    assert not [r for r in uncounted if "over-capacity" in r["flags"]]
    # The commands compute the crowded days themselves.
    with freeze_time("2026-11-23"):
        shown = json.loads(prrt("show", "B", "-f", "json").stdout)
        listed = json.loads(prrt("due", "--as-of", "2026-12-27", "-f", "json").stdout)
    assert [r["flags"] for r in shown if r["event"] == "prrt-1"] == [["over-capacity"]]
    assert sorted(
        (r["patient_id"], r["event"]) for r in listed if "over-capacity" in r["flags"]
    ) == [("A", "prrt-1"), ("A", "ssa-1"), ("B", "prrt-1"), ("B", "ssa-1")]


def test_the_open_days_suggested_are_never_in_the_past() -> None:
    """Closed 2026-11-29 to 2026-12-04; moving a dose there on 2026-11-29 suggests 2026-12-05
    only, not 2026-11-28, which has gone by."""
    from schedule.domain.model import Event, Kind, Status
    from schedule.tracking.guards import closed_guard

    closed = {D("2026-11-29") + timedelta(days=n): "Works" for n in range(6)}
    closures = Closures.of(closed, *YEARS)
    dose = Event(
        "prrt-2", Kind.DOSE, "prrt", 2, "", None, None, D("2026-11-25"), D("2026-11-25"),
        D("2026-11-18"), D("2026-12-02"), Status.PLANNED, None,
    )  # fmt: skip
    [refusal] = closed_guard(dose, D("2026-11-30"), closures, D("2026-11-29"))
    assert refusal.message == (
        "the clinic is closed on 2026-11-30 (Works); the nearest open days in its window: "
        "2026-12-05"
    )
