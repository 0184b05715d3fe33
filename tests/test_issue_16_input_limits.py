"""Issue 16: what is typed or imported is checked at input, the same on SQLite and PostgreSQL,
with one line that never repeats patient data; nothing is stored when it is refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from schedule.store import tables
from schedule.store.database import Store
from tests.conftest import add_broken_course

pytestmark = pytest.mark.usefixtures("config_dir")

RANGE = "is outside the accepted range (1900-01-01 to 2200-12-31)"


def stored(db_url: str) -> tuple[list[str], list[tuple[str, str | None, str | None, str]]]:
    """Patient IDs, and every record as (type, event, dose, note)."""
    store = Store.open(db_url, "x")
    with store.read() as tx:
        patients = [p.id for p in tx.patients()]
        records = [
            (r.type.value, r.event, r.dose, r.note) for rs in tx.records().values() for r in rs
        ]
    store.close()
    return patients, records


def add_p1(prrt) -> None:  # type: ignore[no-untyped-def]
    result = prrt(
        "patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-11-02", "--past-start"
    )
    assert result.exit_code == 0, result.stderr


# -- dates -----------------------------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("patient", "add", "S2", "--regimen", "lutathera", "--start", "9999-12-31"),
         f"prrt: Invalid value for '--start': 9999-12-31 {RANGE} (see 'prrt patient add --help')\n"),
        (("patient", "add", "S2", "--regimen", "lutathera", "--start", "1899-12-31"),
         f"prrt: Invalid value for '--start': 1899-12-31 {RANGE} (see 'prrt patient add --help')\n"),
        (("reschedule", "P1", "prrt-2", "--date", "9999-12-31", "--reason", "later"),
         f"prrt: Invalid value for '--date': 9999-12-31 {RANGE} (see 'prrt reschedule --help')\n"),
        (("course", "add", "P1", "--regimen", "lutathera", "--start", "2201-01-01"),
         f"prrt: Invalid value for '--start': 2201-01-01 {RANGE} (see 'prrt course add --help')\n"),
        (("due", "--as-of", "9999-12-31"),
         f"prrt: Invalid value for '--as-of': 9999-12-31 {RANGE} (see 'prrt due --help')\n"),
    ],
)  # fmt: skip
def test_dates_out_of_range_are_refused_and_nothing_stored(
    prrt, db_url: str, args, message
) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    result = prrt(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)
    assert stored(db_url) == (["P1"], [])
    assert prrt("due", "--as-of", "2026-11-21").exit_code == 0


def test_plan_far_dates(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "lutathera", "--start", "0001-01-01")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"prrt: Invalid value for '--start': 0001-01-01 {RANGE} (see 'prrt plan --help')\n",
    )
    # The edges themselves are accepted, and their calendars computed.
    for start in ("1900-01-01", "2200-12-31"):
        assert run("plan", "lutathera", "--start", start, "-f", "csv").exit_code == 0
    far = run("plan", "lanreotide", "--start", "2200-12-01", "--until", "2200-12-31")
    assert far.exit_code == 0, far.stderr


@freeze_time("2026-11-21 10:00:00")
def test_csv_rows_with_far_dates_import_nothing(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start\nP2,lutathera,2026-11-02\nP3,lutathera,9999-12-31\n"
    )
    result = prrt("import", "roster", str(roster))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"prrt: {roster}: line 3: start: ")
    assert result.stderr.endswith(f"9999-12-31 {RANGE}\n")
    add_p1(prrt)
    doses = tmp_path / "doses.csv"
    doses.write_text("patient_id,event,date\nP1,labs-1,2026-10-20\nP1,prrt-1,0001-01-01\n")
    result = prrt("import", "doses", str(doses))
    assert result.exit_code == 2
    assert result.stderr.endswith(f"0001-01-01 {RANGE}\n")
    assert stored(db_url) == (["P1"], [])


# -- column limits ---------------------------------------------------------------------------

SECRET = "Maria Secret"


@freeze_time("2026-11-21 10:00:00")
@pytest.mark.parametrize(
    ("name", "message"),
    [
        (SECRET + "x" * 189, "prrt: name is 201 characters long; at most 200 are allowed\n"),
        (SECRET + "\x00", "prrt: name holds a control character (U+0000); remove it\n"),
        (SECRET + "\x1b[2J", "prrt: name holds a control character (U+001B); remove it\n"),
    ],
)
def test_names_over_the_limit_are_refused_without_repeating_them(
    prrt, db_url: str, name: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    result = prrt(
        "patient",
        "add",
        "P2",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
        "--name",
        name,
    )
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)
    assert SECRET not in result.stderr
    assert stored(db_url) == ([], [])
    longest = SECRET + "x" * 188  # 200 characters: kept whole on both databases
    result = prrt(
        "patient",
        "add",
        "P2",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
        "--name",
        longest,
    )
    assert result.exit_code == 0, result.stderr
    store = Store.open(db_url, "x")
    with store.read() as tx:
        patient = tx.patient("P2")
        assert patient is not None
        assert patient.name == longest
    store.close()


@freeze_time("2026-11-21 10:00:00")
@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("u" * 65, "prrt: user name is 65 characters long; at most 64 are allowed; give another with --user NAME"),
        ("nurse\x07", "prrt: user name holds a control character (U+0007); remove it; give another with --user NAME"),
    ],
)  # fmt: skip
def test_user_names_over_the_limit_are_refused(run, db_url: str, user: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "--db", db_url, "--user", user,
        "patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-11-02", "--past-start",
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(message)
    assert stored(db_url) == ([], [])
    longest = run(
        "--db", db_url, "--user", "u" * 64,
        "patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-11-02", "--past-start",
    )  # fmt: skip
    assert longest.exit_code == 0, longest.stderr
    store = Store.open(db_url, "x")
    with store.read() as tx:
        assert {row["who"] for row in tx.audit()} == {"u" * 64}
    store.close()


@freeze_time("2026-11-21 10:00:00")
def test_doses_are_never_rounded_to_fit(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    result = prrt("record", "P1", "prrt-1", "--date", "2026-11-03", "--dose", "7.40000000001 GBq")
    assert (result.exit_code, result.stderr) == (0, "")
    result = prrt("record", "P1", "ssa-1", "--date", "2026-11-03", "--dose", "30.0000000000001 mg")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "prrt: dose '30.0000000000001 mg' has 15 digits; at most 12 are allowed (a dose is never "
        "rounded)\n",
    )
    result = prrt("record", "P1", "ssa-1", "--date", "2026-11-03", "--dose", "9" * 60 + " mg")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: dose is 63 characters long; write a number and a unit, e.g. '7.4 GBq'\n",
    )
    assert stored(db_url) == (["P1"], [("given", "prrt-1", "7.40000000001 GBq", "")])


@freeze_time("2026-11-21 10:00:00")
def test_notes_keep_lines_and_tabs_but_no_other_control_character(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    for note, char in (("late\x00", "0000"), ("ok\x1b[1A\x1b[2K", "001B"), ("a\rb", "000D")):
        result = prrt("record", "P1", "labs-1", "--date", "2026-10-20", "--note", note)
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            f"prrt: note holds a control character (U+{char}); remove it\n",
        )
        result = prrt("hold", "P1", "--reason", note)
        assert (result.exit_code, result.stdout) == (2, "")
    doses = tmp_path / "doses.csv"
    doses.write_bytes(b"patient_id,event,date,note\nP1,labs-1,2026-10-20,a\x00b\n")
    result = prrt("import", "doses", str(doses))
    assert result.exit_code == 2
    assert result.stderr.endswith("note holds a control character (U+0000); remove it\n")
    assert stored(db_url) == (["P1"], [])
    result = prrt("record", "P1", "labs-1", "--date", "2026-10-20", "--note", "two\tparts\nlines")
    assert result.exit_code == 0, result.stderr
    assert stored(db_url) == (["P1"], [("given", "labs-1", None, "two\tparts\nlines")])


def test_arguments_that_are_not_utf8_are_refused(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    # How Python hands over the bytes b'\xff' of a command line.
    result = run("--db", db_url, "record", "\udcff", "prrt-2", "--date", "2026-11-20")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "prrt: argument 4 is not valid UTF-8 text\n",
    )


# -- IDs that differ only in case ------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_ids_differing_only_in_case_are_one_patient(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    assert prrt(
        "patient",
        "add",
        "NET-003",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
    )
    result = prrt(
        "patient",
        "add",
        "net-003",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        4,
        "",
        "prrt: patient 'net-003' differs only in case from 'NET-003', already stored; IDs are "
        "compared without case\n",
    )
    assert stored(db_url) == (["NET-003"], [])


@freeze_time("2026-11-21 10:00:00")
def test_roster_ids_in_other_case_are_one_patient(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt(
        "patient",
        "add",
        "NET-003",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start\nNET-004,lanreotide,2026-11-02\nnet-003,lanreotide,2026-11-02\n"
    )
    result = prrt("import", "roster", str(roster))
    assert (result.exit_code, result.stderr) == (  # net-003 is the stored NET-003 (issue 28)
        4,  # as from 'prrt patient add'
        f"prrt: {roster}: line 3: patient_id: NET-003 already exists with another course "
        "(lutathera from 2026-11-02); add a new course with 'prrt course add NET-003'\n",
    )
    roster.write_text(
        "patient_id,regimen,start\nNET-004,lanreotide,2026-11-02\nnet-004,lanreotide,2026-11-02\n"
    )
    result = prrt("import", "roster", str(roster))
    assert result.stderr == f"prrt: {roster}: line 3: patient_id: net-004 is already on line 2\n"
    assert stored(db_url) == (["NET-003"], [])


# -- shown in a terminal ---------------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_history_shows_control_characters_never_obeys_them(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    assert prrt("record", "P1", "labs-1", "--date", "2026-10-20", "--note", "ok").exit_code == 0
    store = Store.open(db_url, "x")  # written past the input checks, as an older prrt could
    note = "ok\x1b[1A\x1b[2K\r\n\x9b2J\u202e"
    with store.write() as tx:
        tx.conn.execute(tables.records.update().values(note=note))
        audit = tables.audit
        for row_id, detail in tx.conn.execute(select(audit.c.id, audit.c.detail)).all():
            changed = {**json.loads(detail), "note": note, "name": "Ana\x1b]0;title\x07"}
            tx.conn.execute(
                audit.update().where(audit.c.id == row_id).values(detail=json.dumps(changed))
            )
    store.close()
    result = prrt("history", "P1")
    assert result.exit_code == 0, result.stderr
    assert not any(ch in result.stdout for ch in "\x1b\x07\r\x9b\u202e")
    assert result.stdout.count("\n") == 4  # the header and three rows, one line each
    assert "ok\u241b[1A\u241b[2K\u240d\u240a\\x9b2J\\u202e\n" in result.stdout
    as_csv = prrt("history", "P1", "-f", "json").stdout  # programs get the text as stored
    assert "ok\\u001b[1A" in as_csv


@freeze_time("2026-11-23 10:00:00")
def test_a_stored_date_out_of_range_never_stops_the_other_patients(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A course written by other means with a start of 9999-12-31 is listed as an error; the
    others are listed, written and shown as before."""
    prrt("patient", "add", "GOOD", "--regimen", "lanreotide", "--start", "2026-11-16")
    add_broken_course(db_url)
    missed = prrt("missed", "--fail-if-any", "-f", "csv")
    assert missed.exit_code == 1  # the daily alert fires for it
    rows = list(csv.DictReader(io.StringIO(missed.stdout)))
    assert [(r["patient_id"], r["status"]) for r in rows] == [("BAD", "error")]
    due = list(csv.DictReader(io.StringIO(prrt("due", "-f", "csv").stdout)))
    assert [(r["patient_id"], r["event"], r["status"]) for r in due] == [
        ("BAD", "", "error"),
        ("GOOD", "ssa-1", "overdue"),
    ]
    listed = json.loads(prrt("patient", "list", "-f", "json").stdout)
    assert [(r["patient_id"], r["state"]) for r in listed] == [("BAD", "error"), ("GOOD", "active")]
    written = prrt("ics", "--all", "--dir", str(tmp_path / "out"))
    assert written.exit_code == 0
    assert written.stderr == (
        "prrt: warning: the calendars of BAD cannot be computed from what is stored (a date out "
        "of range); their files were left as they were\n"
    )
    assert sorted(p.name for p in (tmp_path / "out").glob("*.ics")) == ["GOOD.ics"]
    # A course whose regimen is gone is one more that cannot be computed: the clinic's load
    # (`days`, and `due` narrowed to one patient, which counts everyone's) leaves it out.
    store = Store.open(db_url, "x")
    with store.write() as tx:
        tx.conn.execute(tables.patients.insert().values(id="GONE", created_at="x"))
        tx.conn.execute(
            tables.courses.insert().values(
                patient_id="GONE", number=1, regimen="retired", start=date(2026, 10, 1),
                calendar_month=False, created_at="x",
            )
        )  # fmt: skip
    store.close()
    narrowed = prrt("due", "--patient", "GOOD", "-f", "csv")
    assert narrowed.exit_code == 0, narrowed.stderr
    assert [r["event"] for r in csv.DictReader(io.StringIO(narrowed.stdout))] == ["ssa-1"]
    assert prrt("days", "-f", "csv").exit_code == 0
    shown = prrt("show", "BAD")
    assert (shown.exit_code, shown.stderr) == (
        5,
        "prrt: the calendar of BAD cannot be computed from what is stored (a date out of "
        "range); check its courses' dates\n",
    )
