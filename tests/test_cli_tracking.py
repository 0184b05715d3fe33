"""The tracking commands end to end: exact output and exit codes, then the stored state."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.output.columns import EVENT_COLUMNS
from schedule.store.database import Store
from schedule.tracking.worklists import WORKLIST_COLUMNS
from tests.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("config_dir")


def stored_records(db_url: str) -> list[tuple[str, str | None, str]]:
    store = Store.open(db_url, "x")
    with store.read() as tx:
        rows = [
            (r.type.value, r.event, r.day.isoformat()) for rs in tx.records().values() for r in rs
        ]
    store.close()
    return rows


@freeze_time("2026-11-21 10:00:00")
def test_patient_add_record_show(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    result = prrt(
        "patient",
        "add",
        "P1",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--name",
        "Test Person",
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "added P1: course 1, lutathera from 2026-11-02\n",
        "prrt: warning: the order deadline of prrt-1 (order-1) was 2026-10-13: ordered today, "
        "the dose can be given from 2026-12-08 (L41); it is on 'prrt due' as order-late\n",
    )
    result = prrt("record", "P1", "prrt-1", "--date", "2026-11-03", "--dose", "200 mCi")
    assert (result.exit_code, result.stdout) == (
        0,
        "recorded prrt-1 for P1 on 2026-11-03 (record 1)\n",
    )
    assert stored_records(db_url) == [("given", "prrt-1", "2026-11-03")]
    shown = json.loads(prrt("show", "P1", "-f", "json").stdout)
    assert list(shown[0]) == ["patient_id", "course", *EVENT_COLUMNS, "name", "reason", "since"]
    dose = next(r for r in shown if r["event"] == "prrt-1")
    assert (dose["status"], dose["given_on"], dose["dose"]) == ("given", "2026-11-03", "200 mCi")
    assert next(r for r in shown if r["event"] == "prrt-2")["date"] == "2026-12-29"


@freeze_time("2026-11-21")
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("record", "P9", "prrt-1", "--date", "2026-11-03"),
            3,
            "prrt: unknown patient 'P9'; 'prrt patient list' shows the patients\n",
        ),
        (
            ("record", "P1", "prrt-7", "--date", "2026-11-03"),
            3,
            "prrt: P1 has no event 'prrt-7' in course 1 (lutathera); 'prrt show P1' lists the events\n",
        ),
        (
            ("record", "P1", "prrt-1", "--date", "2026-11-22"),
            2,
            "prrt: date 2026-11-22 is in the future; record what was done, up to 2026-11-21\n",
        ),
        (
            ("record", "P1", "prrt-1", "--date", "2026-10-25"),
            4,
            'prrt: date 2026-10-25 is before prrt-1\'s window opens (2026-10-26; the course starts 2026-11-02); if a clinician has a reason, add --override "REASON"\n',
        ),
        (
            ("record", "P1", "prrt-1", "--date", "2026-11-31"),
            2,
            "prrt: Invalid value for '--date': '2026-11-31' is not a real calendar date; use YYYY-MM-DD (e.g. 2027-03-01), or today or yesterday (see 'prrt record --help')\n",
        ),
        (
            ("record", "P1", "prrt-1", "--date", "2026-11-03", "--dose", "30 mg"),
            2,
            "prrt: dose '30 mg' does not fit prrt-1; give it in GBq, MBq or mCi\n",
        ),
        (
            ("skip", "P1", "prrt-1", "--reason", ""),
            2,
            "prrt: a reason is required; give --reason TEXT\n",
        ),
        (
            (
                "patient",
                "add",
                "P1",
                "--regimen",
                "lanreotide",
                "--start",
                "2026-11-02",
                "--past-start",
            ),
            4,
            "prrt: patient 'P1' already exists; to start a new course use 'prrt course add P1'\n",
        ),
        (
            (
                "patient",
                "add",
                "P2",
                "--regimen",
                "lanreotide",
                "--start",
                "2026-11-02",
                "--tz",
                "Mars/Olympus",
            ),
            2,
            "prrt: time zone 'Mars/Olympus' is unknown; use an IANA name such as Europe/Zurich\n",
        ),
        (
            (
                "patient",
                "add",
                "P 2",
                "--regimen",
                "lanreotide",
                "--start",
                "2026-11-02",
                "--past-start",
            ),
            2,
            "prrt: patient ID 'P 2' is not valid; use up to 64 letters, digits, '.', '_' or '-'\n",
        ),
        (("resume", "P1"), 4, "prrt: P1's course is not on hold\n"),
        (
            ("correct", "P1", "99", "--reason", "typo"),
            3,
            "prrt: P1 has no record 99; 'prrt history P1' lists them\n",
        ),
    ],
)
def test_bad_input_one_line_exit_code_nothing_written(
    prrt, db_url: str, args: tuple[str, ...], code: int, message: str
) -> None:  # type: ignore[no-untyped-def]
    assert (
        prrt(
            "patient",
            "add",
            "P1",
            "--regimen",
            "lutathera",
            "--start",
            "2026-11-02",
            "--past-start",
        ).exit_code
        == 0
    )
    result = prrt(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message)
    assert stored_records(db_url) == []


@freeze_time("2026-11-21")
def test_duplicate_record_and_discontinued_course(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-10-01", "--past-start")
    assert prrt("record", "P1", "ssa-1", "--date", "2026-10-01").exit_code == 0
    again = prrt("record", "P1", "ssa-1", "--date", "2026-10-02")
    assert again.exit_code == 4
    assert again.stderr == (
        "prrt: ssa-1 of P1 is already recorded as given on 2026-10-01 (record 1); if that is wrong, "
        "run 'prrt correct P1 1 --reason ...' first\n"
    )
    assert (
        prrt("discontinue", "P1", "--reason", "progression").stdout
        == "discontinued P1's course on 2026-11-21 (record 2)\n"
    )
    late = prrt("record", "P1", "ssa-2", "--date", "2026-11-21")
    assert late.exit_code == 4
    assert "was discontinued on 2026-11-21" in late.stderr
    # What was given before the discontinuation can still be entered late.
    assert prrt("record", "P1", "ssa-2", "--date", "2026-10-29").exit_code == 0
    assert stored_records(db_url) == [
        ("given", "ssa-1", "2026-10-01"),
        ("discontinued", None, "2026-11-21"),
        ("given", "ssa-2", "2026-10-29"),
    ]


@freeze_time("2026-11-21")
def test_samples_worklists_and_fail_if_any(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    assert (
        prrt("import", "roster", str(SAMPLES / "roster.csv")).stdout
        == "imported 12 patients; 1 more course; 0 already stored\n"
    )
    assert (
        prrt("import", "doses", str(SAMPLES / "doses.csv")).stdout
        == "imported 88 records; 0 already stored\n"
    )
    assert (
        prrt("import", "doses", str(SAMPLES / "doses.csv")).stdout
        == "imported 0 records; 88 already stored\n"
    )
    missed = prrt("missed", "--as-of", "2026-11-23")
    assert missed.exit_code == 0
    # A monthly injection past its window stays overdue until given or skipped (S9).
    assert missed.stdout == (
        "PATIENT  TARGET      LATE   WINDOW END  EVENT            TITLE                                                   STATUS   FLAGS\n"
        "NET-005  2026-08-10  105 d  2026-08-17  ssa-bridge-1     Octreotide LAR 30 mg monthly injection during the hold  overdue\n"
        "NET-011  2026-09-25  59 d   2026-10-09  followup-labs-1  Blood tests 1 month after the last PRRT dose            missed\n"
        "NET-008  2026-10-13  41 d   2026-10-14  ssa-2            Octreotide LAR 30 mg after PRRT dose 2                  missed\n"
        "NET-004  2026-10-19  35 d   2026-10-26  ssa-6            Octreotide LAR 30 mg injection 6                        overdue\n"
        "NET-009  2026-11-15  8 d    2026-11-15  labs-2           Blood tests before radioligand dose 2                   missed\n"
    )
    assert prrt("missed", "--as-of", "2026-11-23", "--fail-if-any").exit_code == 1
    rows = list(
        csv.DictReader(io.StringIO(prrt("due", "--as-of", "2026-11-23", "-f", "csv").stdout))
    )
    assert list(rows[0]) == list(WORKLIST_COLUMNS)
    assert [(r["patient_id"], r["event"], r["days_late"], r["status"]) for r in rows[:5]] == [
        ("NET-005", "ssa-bridge-1", "105", "overdue"), ("NET-005", "prrt-3", "91", "held"),
        ("NET-004", "ssa-6", "35", "overdue"), ("NET-003", "order-2", "20", "past"),
        ("NET-006", "ssa-12", "7", "overdue"),
    ]  # fmt: skip
    patients = json.loads(prrt("patient", "list", "--as-of", "2026-11-23", "-f", "json").stdout)
    states = {p["patient_id"]: p["state"] for p in patients}
    assert states["NET-005"] == "on-hold"
    assert states["NET-012"] == "discontinued"
    # L12: prrt-3 was planned for 2026-08-24 (8 weeks after prrt-2); on hold since 2026-08-10,
    # it passes 16 weeks past that date on 2026-12-14, not 16 weeks after prrt-2.
    flags = {
        day: next(p for p in json.loads(out) if p["patient_id"] == "NET-005")["flags"]
        for day in ("2026-12-13", "2026-12-14")
        for out in [prrt("patient", "list", "--as-of", day, "-f", "json").stdout]
    }
    # The hold is for grade 3 thrombocytopenia: the dose is expected at 3.7 GBq (T1, L7).
    assert flags == {
        "2026-12-13": ["reduced-dose"],
        "2026-12-14": ["max-delay-exceeded", "reduced-dose"],
    }


@freeze_time("2026-11-21")
def test_missed_fail_if_any_is_zero_when_nothing_is_missed(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-11-20")
    result = prrt("missed", "--fail-if-any")
    assert (result.exit_code, result.stdout) == (
        0,
        "PATIENT  TARGET  LATE  WINDOW END  EVENT  TITLE  STATUS  FLAGS\n",
    )


@freeze_time("2026-11-21")
def test_bad_csv_imports_nothing_and_names_line_and_field(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start\nA1,lanreotide,2026-01-05\nA2,lanreotide,2026-02-30\n"
    )
    result = prrt("import", "roster", str(roster))
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"prrt: {roster}: line 3: start: '2026-02-30' is not a real calendar date; use YYYY-MM-DD (e.g. 2027-03-01)\n"
    )
    assert json.loads(prrt("patient", "list", "-f", "json").stdout) == []
    roster.write_text("patient_id,regimen,start,past_start\nA1,lanreotide,2026-01-05,yes\n")
    assert (
        prrt("import", "roster", str(roster), "--dry-run").stdout
        == "would import 1 patients; 0 already stored\n"
    )
    assert json.loads(prrt("patient", "list", "-f", "json").stdout) == []
    prrt("import", "roster", str(roster))
    doses = tmp_path / "doses.csv"
    doses.write_text(
        "patient_id,event,date,dose\nA1,ssa-1,2026-01-05,120 mg\nA1,ssa-1,2026-01-06,120 mg\n"
    )
    result = prrt("import", "doses", str(doses))
    assert result.exit_code == 4  # a conflict, as from 'prrt record' (issue 28)
    assert result.stderr == (  # two lines of one file for one event (issue 28)
        f"prrt: {doses}: line 3: event: ssa-1 of A1 is also on line 2 of this file; it is "
        f"recorded once; delete the wrong line, then run 'prrt import doses {doses}' again\n"
    )
    assert stored_records(db_url) == []
    # The exit code is the error's, as from a command (issue 28): 3 for an unknown patient.
    for text, problem, code in [
        (
            "patient_id,date\nA1,2026-01-05\n",
            "line 1: missing column event; expected patient_id,event,date,dose,note,course,type",
            2,
        ),
        (
            "patient_id,event,date,colour\nA1,ssa-1,2026-01-05,red\n",
            "line 1: colour: unknown column",
            2,
        ),
        (
            "patient_id,event,date\nZZ,ssa-1,2026-01-05\n",
            "line 2: patient_id: unknown patient 'ZZ'; import the roster first",
            3,
        ),
        (
            "patient_id,event,date,dose\nA1,ssa-1,2026-01-05,7 GBq\n",
            "line 2: dose: dose '7 GBq' does not fit ssa-1; give it in mg",
            2,
        ),
        ("", "the file is empty; it needs a header line", 2),
    ]:
        doses.write_text(text)
        result = prrt("import", "doses", str(doses))
        assert (result.exit_code, result.stdout) == (code, "")
        assert result.stderr.startswith(f"prrt: {doses}: {problem}"), result.stderr
    assert stored_records(db_url) == []


@freeze_time("2026-11-21")
def test_export_then_import_restores_everything(prrt, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("import", "roster", str(SAMPLES / "roster.csv"))
    prrt("import", "doses", str(SAMPLES / "doses.csv"))
    backup = tmp_path / "backup.csv"
    assert prrt("export", "doses", "-o", str(backup)).exit_code == 0
    other = str(tmp_path / "restored.db")
    assert (
        run("--db", other, "import", "roster", "--create", str(SAMPLES / "roster.csv")).exit_code
        == 0
    )
    assert (
        run("--db", other, "import", "doses", str(backup)).stdout
        == "imported 88 records; 0 already stored\n"
    )
    assert run("--db", other, "export", "doses").stdout == backup.read_text()
    original = prrt("due", "--as-of", "2026-11-23", "-f", "json").stdout
    assert run("--db", other, "due", "--as-of", "2026-11-23", "-f", "json").stdout == original


@freeze_time("2026-11-21 08:30:00")
def test_history_shows_who_and_when(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-10-01", "--past-start")
    prrt("record", "P1", "ssa-1", "--date", "2026-10-01", "--dose", "120 mg")
    prrt("correct", "P1", "1", "--reason", "wrong patient")
    assert prrt("history", "P1").stdout == (
        "RECORD  AT                    WHO          ACTION            COURSE  EVENT  DATE        DOSE    NOTE\n"
        "P       2026-11-21T08:30:00Z  coordinator  patient-add\n"
        "C1      2026-11-21T08:30:00Z  coordinator  course-add        1              2026-10-01          lanreotide\n"
        "1       2026-11-21T08:30:00Z  coordinator  given             1       ssa-1  2026-10-01  120 mg\n"
        "2       2026-11-21T08:30:00Z  coordinator  entered-in-error  1       ssa-1  2026-11-21          wrong patient\n"
    )
