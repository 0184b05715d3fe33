"""Issue 28, "Correctable entries": a course's start changed while nothing of it is recorded,
a patient or a course marked entered in error (hidden, kept in the audit trail, reinstated),
a reference to what `correct` reaches on every history row, a start long past refused, and
the migration that brings an older database along."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import text

from schedule.calendars.feeds import token_hash
from schedule.store import migrations
from schedule.store.database import Store

pytestmark = pytest.mark.usefixtures("config_dir")

TODAY = "2026-12-07 10:00:00"


def add(prrt, pid: str = "NET-002", start: str = "2026-12-14") -> None:  # type: ignore[no-untyped-def]
    result = prrt("patient", "add", pid, "--regimen", "lutathera", "--start", start,
                  "--pregnancy", "no")  # fmt: skip
    assert result.exit_code == 0, result.stderr


def listed(prrt, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["patient_id"] for row in json.loads(prrt(*args, "-f", "json").stdout)]


# -- a start long past, and changed --------------------------------------------------------


@freeze_time(TODAY)
def test_a_start_years_past_is_refused_unless_meant(prrt) -> None:  # type: ignore[no-untyped-def]
    """2020-12-14 typed for 2026-12-14 is refused (it would make every dose "missed"); the
    flag says it is meant, for a patient already in treatment. A refusal, not a warning: a
    warning scrolls by, and the calendar it leaves is wrong from its first line."""
    result = prrt("patient", "add", "NET-002", "--regimen", "lutathera", "--start", "2020-12-14")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "prrt: start 2020-12-14 is 2184 days ago, more than site.past_start_days (30); check "
        "the year, or pass --past-start if it is meant\n",
    )
    assert listed(prrt, "patient", "list") == []


@freeze_time(TODAY)
def test_a_start_years_ahead_is_refused(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """2062-12-14 typed for 2026-12-14: refused by patient add, course edit and the roster
    (site.future_start_days, 365); a start within the year is taken."""
    result = prrt("patient", "add", "NET-002", "--regimen", "lutathera", "--start", "2062-12-14")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: start 2062-12-14 is 13156 days ahead, more than site.future_start_days (365); "
        "check the year\n",
    )
    assert listed(prrt, "patient", "list") == []
    meant = prrt("patient", "add", "NET-002", "--regimen", "lutathera", "--start", "2062-12-14",
                 "--past-start")  # fmt: skip
    assert meant.exit_code == 2  # --past-start is for a start long past, never one years ahead
    assert "future_start_days" in meant.stderr
    add(prrt, start="2027-12-06")  # 364 days ahead
    moved = prrt("course", "edit", "NET-002", "--start", "2062-12-14", "--past-start")
    assert moved.exit_code == 2
    assert "future_start_days" in moved.stderr
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id,regimen,start,past_start\nNET-003,lanreotide,2062-12-14,yes\n")
    imported = prrt("import", "roster", str(roster))
    assert imported.exit_code == 2
    assert "line 2: start" in imported.stderr
    assert listed(prrt, "patient", "list") == ["NET-002"]


@freeze_time(TODAY)
def test_a_course_start_changes_while_nothing_is_recorded(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add(prrt)
    before = prrt("ics", "NET-002").stdout
    assert "SEQUENCE:1" not in before
    result = prrt("course", "edit", "net-002", "--start", "2026-12-21")
    assert (result.exit_code, result.stdout) == (
        0,
        "moved the start of course 1 of NET-002: 2026-12-14 -> 2026-12-21\n",
    )
    shown = json.loads(prrt("patient", "list", "-f", "json").stdout)
    assert shown[0]["start"] == "2026-12-21"
    trail = json.loads(prrt("history", "NET-002", "-f", "json").stdout)
    assert [(r["ref"], r["action"], r["date"], r["note"]) for r in trail][-1] == (
        "C1", "course-start", "2026-12-21", "start: 2026-12-14 -> 2026-12-21",
    )  # fmt: skip
    # The calendar is planned again: every event that moved has a higher SEQUENCE.
    after = prrt("ics", "NET-002").stdout
    assert "DTSTART;VALUE=DATE:20261221" in after
    assert after.count("SEQUENCE:1") >= 5
    # The same start again changes nothing; a year long past is refused as on adding.
    assert prrt("course", "edit", "NET-002", "--start", "2026-12-21").stdout == (
        "course 1 of NET-002 unchanged\n"
    )
    result = prrt("course", "edit", "NET-002", "--start", "2020-12-21")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: start 2020-12-21 is 2177 days ago, more than site.past_start_days (30); check "
        "the year, or pass --past-start if it is meant\n",
    )
    # Once something of the course is recorded, its start stays.
    assert prrt("record", "NET-002", "labs-1", "--date", "2026-12-07").exit_code == 0
    result = prrt("course", "edit", "NET-002", "--start", "2026-12-28")
    assert (result.exit_code, result.stderr) == (
        4,
        "prrt: course 1 of NET-002 has 1 record(s) that stand (record 1); its start changes "
        "only while nothing of it is recorded; 'prrt history NET-002' lists them\n",
    )
    # A record marked entered in error no longer stands.
    assert prrt("correct", "NET-002", "1", "--reason", "other patient").exit_code == 0
    assert prrt("course", "edit", "NET-002", "--start", "2026-12-28").exit_code == 0


# -- entered in error ------------------------------------------------------------------------


@freeze_time(TODAY)
def test_every_history_row_names_what_correct_reaches(prrt) -> None:  # type: ignore[no-untyped-def]
    add(prrt)
    prrt("record", "NET-002", "labs-1", "--date", "2026-12-07")
    prrt("patient", "edit", "NET-002", "--name", "Ana")
    trail = json.loads(prrt("history", "NET-002", "-f", "json").stdout)
    assert [(r["ref"], r["record"], r["action"]) for r in trail] == [
        ("P", None, "patient-add"), ("C1", None, "course-add"), ("1", 1, "given"),
        ("P", None, "patient-edit"),
    ]  # fmt: skip
    table = prrt("history", "NET-002").stdout.splitlines()
    assert [line.split()[0] for line in table] == ["RECORD", "P", "C1", "1", "P"]
    result = prrt("correct", "NET-002", "X1", "--reason", "x")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: 'X1' is not a record: give a record's number, C and a course's number (C2), or "
        "P for the patient, as the history shows them\n",
    )


@freeze_time(TODAY)
def test_a_course_entered_in_error_is_hidden_and_reinstated(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    add(prrt)
    added = prrt("course", "add", "NET-002", "--regimen", "lanreotide", "--start", "2026-12-08")
    assert added.exit_code == 0
    result = prrt("correct", "NET-002", "c2", "--reason", "meant for NET-020")
    assert (result.exit_code, result.stdout) == (
        0,
        "marked course 2 of NET-002 entered-in-error; 'prrt reinstate NET-002 C2 --reason ...' "
        "puts it back\n",
    )
    rows = json.loads(prrt("patient", "list", "-f", "json").stdout)
    assert [(r["patient_id"], r["course"]) for r in rows] == [("NET-002", 1)]
    assert {r["course"] for r in json.loads(prrt("show", "NET-002", "-f", "json").stdout)} == {1}
    assert prrt("due", "--as-of", "2026-12-08", "-f", "json").stdout.count('"course": 2') == 0
    assert "lanreotide" not in prrt("export", "doses").stdout
    # Kept in the audit trail, with the reason.
    trail = json.loads(prrt("history", "NET-002", "-f", "json").stdout)
    assert (trail[-1]["ref"], trail[-1]["action"], trail[-1]["note"]) == (
        "C2", "course-entered-in-error", "meant for NET-020",
    )  # fmt: skip
    # Twice is refused; reinstating puts it back.
    result = prrt("correct", "NET-002", "C2", "--reason", "again")
    assert (result.exit_code, result.stderr) == (
        4,
        "prrt: course 2 of NET-002 was entered in error; 'prrt reinstate NET-002 C2 --reason "
        "...' puts it back\n",
    )
    result = prrt("reinstate", "NET-002", "C2", "--reason", "it was NET-002's after all")
    assert (result.exit_code, result.stdout) == (0, "reinstated course 2 of NET-002\n")
    assert len(json.loads(prrt("patient", "list", "-f", "json").stdout)) == 2
    result = prrt("reinstate", "NET-002", "C2", "--reason", "again")
    assert (result.exit_code, result.stderr) == (
        4,
        "prrt: course 2 of NET-002 is not entered in error\n",
    )


@freeze_time(TODAY)
def test_a_patient_entered_in_error_is_hidden_everywhere_and_reinstated(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    add(prrt)
    add(prrt, "NET-003")
    link = prrt("feed", "url", "NET-003", "--base", "https://x.example").stdout
    token = link.split("/feeds/")[1].split(".ics")[0]
    result = prrt("correct", "net-003", "P", "--reason", "duplicate of NET-002")
    assert (result.exit_code, result.stdout) == (
        0,
        "marked patient NET-003 entered-in-error; 'prrt reinstate NET-003 P --reason ...' puts "
        "it back\n",
    )
    assert listed(prrt, "patient", "list") == ["NET-002"]
    assert "NET-003" not in prrt("due", "--as-of", "2026-12-14").stdout
    assert "NET-003" not in prrt("missed", "--as-of", "2027-03-01").stdout
    folder = tmp_path / "ics"
    assert prrt("ics", "--all", "--dir", str(folder)).exit_code == 0
    assert sorted(p.name for p in folder.glob("*.ics")) == ["NET-002.ics"]
    hidden = (
        "prrt: patient NET-003 was entered in error; 'prrt reinstate NET-003 P --reason ...' "
        "puts it back\n"
    )
    for args in (("show", "NET-003"), ("record", "NET-003", "labs-1", "--date", "today"),
                 ("feed", "url", "NET-003", "--base", "https://x.example")):  # fmt: skip
        result = prrt(*args)
        assert (result.exit_code, result.stderr) == (4, hidden), args
    # Its feed link answers as an unknown one does (the server's 404).
    store = Store.open(db_url, "x")
    with store.read() as tx:
        assert tx.tokens.feed_state(token_hash(token)) is None
    store.close()
    # Added again, by hand or from a roster: refused, for it is reinstated instead.
    result = prrt("patient", "add", "NET-003", "--regimen", "lutathera", "--start", "2026-12-14")
    assert (result.exit_code, result.stderr) == (4, hidden)
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id,regimen,start\nnet-003,lutathera,2026-12-14\n")
    result = prrt("import", "roster", str(roster))
    assert result.stderr == f"prrt: {roster}: line 2: patient_id: {hidden[6:]}"
    # The audit trail is kept, and still read.
    trail = json.loads(prrt("history", "NET-003", "-f", "json").stdout)
    assert (trail[-1]["ref"], trail[-1]["action"], trail[-1]["note"]) == (
        "P", "patient-entered-in-error", "duplicate of NET-002",
    )  # fmt: skip
    result = prrt("reinstate", "NET-003", "C1", "--reason", "x")
    assert (result.exit_code, result.stderr) == (4, hidden)
    assert prrt("reinstate", "NET-003", "P", "--reason", "not a duplicate").stdout == (
        "reinstated patient NET-003\n"
    )
    assert listed(prrt, "patient", "list") == ["NET-002", "NET-003"]
    assert prrt("show", "NET-003").exit_code == 0
    store = Store.open(db_url, "x")
    with store.read() as tx:
        assert tx.tokens.feed_state(token_hash(token)) is not None
    store.close()


# -- the migration ---------------------------------------------------------------------------


def test_an_older_database_is_migrated(db_url: str) -> None:
    """A database at schema level 4 (no `in_error` columns) gains migration 5's columns when
    opened; its patients and courses stand."""
    store = Store.open(db_url, "2026-11-01T00:00:00Z")
    with store.write() as tx:  # made as prrt 4 left it
        for table in ("patients", "courses"):
            tx.conn.execute(text(f"ALTER TABLE {table} DROP COLUMN in_error"))
        tx.conn.execute(text("DROP TABLE forgotten"))  # and migration 6's table
        tx.conn.execute(text("DELETE FROM schema_version WHERE version >= 5"))
        tx.conn.execute(text("INSERT INTO patients (id, created_at) VALUES ('OLD-1', 'x')"))
        tx.conn.execute(
            text(
                "INSERT INTO courses (patient_id, number, regimen, start, calendar_month, "
                "created_at) VALUES ('OLD-1', 1, 'lutathera', '2026-11-02', false, 'x')"
            )
        )
    assert store.schema_version() == 4
    store.close()
    store = Store.open(db_url, "2026-11-02T00:00:00Z")
    assert store.schema_version() == migrations.latest() == 6
    with store.read() as tx:
        assert [p.id for p in tx.patients()] == ["OLD-1"]
        assert [(c.number, c.start.isoformat()) for c in tx.courses()] == [(1, "2026-11-02")]
        assert tx.in_error("OLD-1") is None
    store.close()


@freeze_time(TODAY)
def test_export_roster_and_doses_rebuild_a_course_entered_in_error(
    prrt, run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A course entered in error goes out marked so (the roster's in_error column), so the two
    files rebuild the patient's courses with their numbers, and it stays hidden there."""
    add(prrt)
    second = prrt("course", "add", "NET-002", "--regimen", "degarelix", "--start", "2026-12-14")
    assert second.exit_code == 0, second.stderr
    assert prrt("correct", "NET-002", "C1", "--reason", "typed twice").exit_code == 0
    roster, doses = tmp_path / "roster.csv", tmp_path / "doses.csv"
    assert prrt("export", "roster", "-o", str(roster)).exit_code == 0
    assert prrt("export", "doses", "-o", str(doses)).exit_code == 0
    assert roster.read_text().splitlines()[1].endswith(",typed twice")
    target = str(tmp_path / "other.db")
    assert run("--db", target, "import", "roster", "--create", str(roster)).exit_code == 0
    assert run("--db", target, "import", "doses", str(doses)).exit_code == 0
    again = tmp_path / "again.csv"
    assert run("--db", target, "export", "roster", "-o", str(again)).exit_code == 0
    assert again.read_text() == roster.read_text()
    rows = json.loads(run("--db", target, "patient", "list", "-f", "json").stdout)
    assert [r["course"] for r in rows] == [2]
    history = run("--db", target, "history", "NET-002").stdout
    assert "course-entered-in-error" in history
