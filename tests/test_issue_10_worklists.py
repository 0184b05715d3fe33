"""Issue 10: worklists that keep every patient in sight, and show why. Held courses up for
review, doses past the maximum delay, stale and never-recorded pre-dose labs, a database that
does not exist, names, filters, tables that fit the terminal, the DUE BY date and `prrt explain`.
On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.domain.model import Flag, Status
from schedule.output.render import Column, render_table
from schedule.tracking.flag_reasons import EXPLAINED, GENERIC
from tests.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("config_dir")

TODAY = "2027-06-01"  # the clock for recording; statuses are looked at with --as-of


def rows(prrt, *args: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    result = prrt(*args, "-f", "csv")
    assert result.exit_code in (0, 1), result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def show(prrt, pid: str, key: str, as_of: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    listed = json.loads(prrt("show", pid, "--as-of", as_of, "-f", "json").stdout)
    return next(r for r in listed if r["event"] == key)


@pytest.fixture
def held(prrt, config_dir: Path):  # type: ignore[no-untyped-def]
    """H1 (Ana Held): Lutathera from 2026-01-05, dose 1 given with its labs and LAR, then on hold
    for grade 2 thrombocytopenia from 2026-02-10 for review on 2026-02-20; prrt-2 was planned
    for 2026-03-02. No SSA bridging (site setting), so the lists hold the dose alone."""
    (config_dir / "config.toml").write_text("[site]\nssa_bridging = false\n", encoding="utf-8")
    with freeze_time(TODAY):
        added = prrt(
            "patient", "add", "H1", "--regimen", "lutathera", "--start", "2026-01-05", "--past-start",
            "--pregnancy", "no",
            "--name", "Ana Held",
        )  # fmt: skip
        assert added.exit_code == 0, added.stderr
        prrt("record", "H1", "labs-1", "--date", "2025-12-15")
        prrt("record", "H1", "prrt-1", "--date", "2026-01-05", "--dose", "7.4 GBq")
        prrt("record", "H1", "ssa-1", "--date", "2026-01-05", "--dose", "30 mg")
        result = prrt(
            "hold", "H1", "--toxicity", "thrombocytopenia", "--grade", "2", "--reason",
            "platelets 60", "--date", "2026-02-10", "--review", "2026-02-20",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    return "H1"


# -- nobody falls off the list ---------------------------------------------------------------


def test_a_held_course_comes_up_on_due_from_its_review_day(prrt, held: str) -> None:  # type: ignore[no-untyped-def]
    assert [r["event"] for r in rows(prrt, "due", "--as-of", "2026-02-19")] == []
    listed = rows(prrt, "due", "--as-of", "2026-02-20")
    assert [(r["event"], r["status"], r["due_by"], r["reason"], r["since"], r["name"])
            for r in listed] == [
        ("prrt-2", "held", "2026-02-20", "grade 2 thrombocytopenia; platelets 60", "2026-02-10",
         "Ana Held")
    ]  # fmt: skip
    table = prrt("due", "--as-of", "2026-02-20")
    assert re.split(r"\s{2,}", table.stdout.splitlines()[1])[0:2] == ["H1", "Ana Held"]
    assert "on hold since 2026-02-10: grade 2 thrombocytopenia; platelets 60" in table.stdout
    # Not missed while the delay is within the label's limit.
    assert rows(prrt, "missed", "--as-of", "2026-02-20") == []


def test_a_held_dose_past_the_max_delay_is_on_both_lists(prrt, held: str) -> None:  # type: ignore[no-untyped-def]
    # prrt-2 planned 2026-03-02; 112 days later (L12) is 2026-06-22.
    assert rows(prrt, "missed", "--as-of", "2026-06-21") == []
    missed = rows(prrt, "missed", "--as-of", "2026-06-22")
    assert [(r["event"], r["status"], r["flags"]) for r in missed] == [
        ("prrt-2", "held", "reduced-dose;max-delay-exceeded")
    ]
    result = prrt("missed", "--as-of", "2026-06-22", "--fail-if-any")
    assert result.exit_code == 1
    due = rows(prrt, "due", "--as-of", "2026-06-22")
    assert [(r["event"], r["status"], r["flags"]) for r in due] == [
        ("prrt-2", "held", "reduced-dose;max-delay-exceeded")
    ]


def test_a_dose_late_with_no_hold_is_missed_never_past_the_max_delay(prrt) -> None:  # type: ignore[no-untyped-def]
    """Issue 23: the label's delay limit (L12) is about a toxicity that delays the dose; a dose
    simply never recorded is missed, not a reason to stop treatment."""
    with freeze_time(TODAY):
        prrt(
            "patient",
            "add",
            "M1",
            "--regimen",
            "lutathera",
            "--pregnancy",
            "no",
            "--start",
            "2026-01-05",
            "--past-start",
        )
        prrt("record", "M1", "labs-1", "--date", "2025-12-15")
        prrt("record", "M1", "prrt-1", "--date", "2026-01-05", "--dose", "7.4 GBq")
        prrt("record", "M1", "ssa-1", "--date", "2026-01-05", "--dose", "30 mg")
    assert rows(prrt, "due", "--as-of", "2026-06-22", "--kind", "dose") == []
    missed = rows(prrt, "missed", "--as-of", "2026-06-22", "--kind", "dose")
    assert [(r["event"], r["status"], r["flags"]) for r in missed] == [
        ("prrt-2", "missed", "labs-missing")
    ]


def test_labs_too_old_for_their_dose_flag_it_stale(prrt) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        prrt(
            "patient",
            "add",
            "S1",
            "--regimen",
            "lutathera",
            "--pregnancy",
            "no",
            "--start",
            "2026-03-02",
            "--past-start",
        )
        prrt("record", "S1", "labs-1", "--date", "2026-02-02")  # 28 days before: counts
    assert show(prrt, "S1", "prrt-1", "2026-03-02")["flags"] == []
    # The dose slips: by 2026-03-04 the labs are 30 days old (L28: "from = -28").
    late = show(prrt, "S1", "prrt-1", "2026-03-04")
    assert (late["status"], late["flags"]) == ("overdue", ["labs-stale"])
    assert show(prrt, "S1", "labs-1", "2026-03-04")["flags"] == ["labs-stale"]
    listed = rows(prrt, "due", "--as-of", "2026-03-04", "--kind", "dose")
    assert [(r["event"], r["flags"]) for r in listed] == [("prrt-1", "labs-stale")]
    with freeze_time(TODAY):
        prrt("record", "S1", "prrt-1", "--date", "2026-03-03", "--dose", "7.4 GBq")
    given = show(prrt, "S1", "prrt-1", "2026-06-01")
    assert (given["status"], given["flags"]) == ("given", ["labs-stale"])


def test_labs_never_recorded_for_a_given_dose_become_not_done(prrt) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        prrt(
            "patient",
            "add",
            "N1",
            "--regimen",
            "lutathera",
            "--pregnancy",
            "no",
            "--start",
            "2026-03-02",
            "--past-start",
        )
    assert show(prrt, "N1", "labs-1", "2026-03-02")["status"] == "missed"
    before = rows(prrt, "missed", "--as-of", "2026-03-20")
    assert [r["event"] for r in before] == ["labs-1", "prrt-1"]
    with freeze_time(TODAY):
        prrt("record", "N1", "prrt-1", "--date", "2026-03-02", "--dose", "7.4 GBq")
        prrt("record", "N1", "ssa-1", "--date", "2026-03-02", "--dose", "30 mg")
    assert show(prrt, "N1", "labs-1", "2027-06-01")["status"] == Status.NOT_DONE.value
    dose = show(prrt, "N1", "prrt-1", "2027-06-01")
    assert (dose["status"], dose["flags"]) == ("given", ["labs-missing"])
    assert rows(prrt, "missed", "--as-of", "2026-03-20") == []
    # A late entry of the labs is still taken, and they count again.
    with freeze_time(TODAY):
        late = prrt("record", "N1", "labs-1", "--date", "2026-02-10")
    assert late.exit_code == 0, late.stderr
    assert show(prrt, "N1", "prrt-1", "2027-06-01")["flags"] == []


def test_a_discontinued_course_keeps_its_after_course_care_on_the_lists(prrt) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        prrt(
            "patient",
            "add",
            "D1",
            "--regimen",
            "lutathera",
            "--pregnancy",
            "no",
            "--start",
            "2026-01-05",
            "--past-start",
        )
        prrt("record", "D1", "labs-1", "--date", "2025-12-15")
        prrt("record", "D1", "prrt-1", "--date", "2026-01-05", "--dose", "7.4 GBq")
        prrt("record", "D1", "ssa-1", "--date", "2026-01-05", "--dose", "30 mg")
        prrt("discontinue", "D1", "--reason", "progression", "--date", "2026-02-01")
    due = rows(prrt, "due", "--as-of", "2026-03-01")
    assert {r["event"] for r in due} >= {"followup-labs-1"}
    listed = rows(prrt, "patient", "list", "--as-of", "2026-03-01")
    # Its maintenance LAR and follow-up care go on (L20, L30); the next is the LAR.
    assert [(r["state"], r["next_event"]) for r in listed] == [("discontinued", "ssa-5")]


# -- a database that does not exist ----------------------------------------------------------

READ_ONLY = [
    ("show", "P1"),
    ("patient", "list"),
    ("due",),
    ("missed", "--fail-if-any"),
    ("history", "P1"),
    ("export", "doses"),
    ("export", "roster"),
    ("ics", "P1"),
    ("feed", "url", "P1", "--base", "https://x.example"),
    ("serve", "--port", "0"),
    ("explain", "P1", "prrt-1"),
    ("record", "P1", "prrt-1", "--date", "2026-01-01"),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a))
def test_commands_refuse_a_database_that_does_not_exist(run, tmp_path: Path, args) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "typo" / "clinic.db"
    result = run("--db", str(path), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (
        5,
        "",
        f"prrt: no database at {path}; 'prrt --db {path} init' creates it, or give the "
        "database meant with --db (or $PRRT_DB)\n",
    )
    assert not path.exists()
    assert not path.parent.exists()


def test_init_and_the_creating_commands_say_when_they_create(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.db"
    first = run("--db", str(path), "init")
    assert (first.exit_code, first.stdout, first.stderr) == (
        0,
        f"database ready at {path} (schema level 6)\n",
        f"prrt: created a new database at {path}\n",
    )
    again = run("--db", str(path), "init")
    assert (again.exit_code, again.stderr) == (0, "")
    assert run("--db", str(path), "due").exit_code == 0
    other = tmp_path / "other.db"
    with freeze_time(TODAY):
        added = run("--db", str(other), "patient", "add", "--create", "P1", "--regimen", "lutathera",
                    "--start", "2026-01-05", "--past-start")  # fmt: skip
    assert (added.exit_code, added.stderr) == (0, f"prrt: created a new database at {other}\n")
    roster = tmp_path / "roster.db"
    imported = run("--db", str(roster), "import", "roster", "--create", str(SAMPLES / "roster.csv"))
    assert (imported.exit_code, imported.stderr) == (
        0,
        f"prrt: created a new database at {roster}\n",
    )
    assert (
        run("--db", str(roster), "import", "roster", "--create", str(SAMPLES / "roster.csv")).stderr
        == ""
    )


def test_init_on_either_database(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    result = prrt("init")
    assert result.exit_code == 0
    assert result.stdout.startswith("database ready at ")
    assert result.stdout.endswith(" (schema level 6)\n")
    assert prrt("due").stdout == "PATIENT  TARGET  LATE  WINDOW END  EVENT  TITLE  STATUS  FLAGS\n"


# -- names, filters, the DUE BY date ---------------------------------------------------------


@pytest.fixture
def clinic(prrt):  # type: ignore[no-untyped-def]
    with freeze_time("2026-11-23"):
        assert prrt("import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
        assert prrt("import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    return prrt


def test_names_beside_the_id_and_at_the_end_of_the_columns(clinic) -> None:  # type: ignore[no-untyped-def]
    table = clinic("due", "--as-of", "2026-11-23").stdout.splitlines()
    assert table[0].split() == ["PATIENT", "NAME", "TARGET", "LATE", "WINDOW", "END", "EVENT",
                                "TITLE", "STATUS", "FLAGS"]  # fmt: skip
    assert next(line for line in table if line.startswith("NET-001")).startswith(
        "NET-001  Ana Example  "
    )
    header = clinic("due", "--as-of", "2026-11-23", "-f", "csv").stdout.splitlines()[0]
    assert header.endswith(",days_late,due_by,reason,since,name")
    hidden = clinic("due", "--as-of", "2026-11-23", "--no-names")
    assert "Ana Example" not in hidden.stdout
    assert "NAME" not in hidden.stdout
    assert {r["name"] for r in rows(clinic, "due", "--as-of", "2026-11-23", "--no-names")} == {""}
    shown = clinic("show", "NET-001", "--as-of", "2026-11-23").stdout
    assert shown.startswith("NET-001  Ana Example\nCOURSE  DATE")
    assert clinic("show", "NET-001", "--no-names").stdout.startswith("COURSE  DATE")
    assert json.loads(clinic("show", "NET-001", "-f", "json").stdout)[0]["name"] == "Ana Example"
    listed = clinic("patient", "list", "--as-of", "2026-11-23").stdout.splitlines()
    assert listed[1].startswith("NET-001  Ana Example  1 ")
    assert "Ana Example" not in clinic("patient", "list", "--no-names").stdout


def test_filters(clinic) -> None:  # type: ignore[no-untyped-def]
    day = ("--as-of", "2026-11-23")
    assert {r["patient_id"] for r in rows(clinic, "due", *day, "--patient", "net-008")} == {
        "NET-008"
    }
    assert {r["patient_id"] for r in rows(clinic, "due", *day, "--name", "ana ex")} == {"NET-001"}
    assert {r["patient_id"] for r in rows(clinic, "due", *day, "--regimen", "lanreotide")} == {
        "NET-006"
    }
    assert {r["kind"] for r in rows(clinic, "due", *day, "--kind", "lab")} == {"lab"}
    assert [r["patient_id"] for r in rows(clinic, "due", *day, "--status", "held")] == ["NET-005"]
    window = rows(clinic, "due", *day, "--from", "2026-11-24", "--to", "2026-11-25")
    assert window
    assert {r["due_by"] for r in window} <= {"2026-11-24", "2026-11-25"}
    later = rows(clinic, "due", *day, "--to", "2026-12-20", "--from", "2026-12-10")
    assert later
    assert all("2026-12-10" <= r["due_by"] <= "2026-12-20" for r in later)
    assert [r["event"] for r in rows(clinic, "missed", *day, "--patient", "NET-004")] == ["ssa-6"]
    states = rows(clinic, "patient", "list", *day, "--status", "on-hold")
    assert [r["patient_id"] for r in states] == ["NET-005"]
    bad = clinic("due", "--from", "2026-12-01", "--to", "2026-11-01")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "prrt: --to 2026-11-01 is before --from 2026-12-01 (see 'prrt due --help')\n",
    )


def test_due_by_matches_the_status_in_due_and_patient_list(clinic) -> None:  # type: ignore[no-untyped-def]
    day = ("--as-of", "2026-11-23")
    due = {(r["patient_id"], r["event"]): r for r in rows(clinic, "due", *day, "--within", "30")}
    overdue = due[("NET-003", "prrt-2")]
    assert (overdue["status"], overdue["due_by"]) == ("overdue", overdue["window_end"])
    planned = due[("NET-002", "labs-4")]
    assert (planned["status"], planned["due_by"]) == ("planned", planned["window_start"])
    held = due[("NET-005", "prrt-3")]
    assert (held["status"], held["due_by"], held["since"]) == ("held", "2026-08-24", "2026-08-10")
    for course in rows(clinic, "patient", "list", *day):
        key = (course["patient_id"], course["next_event"])
        if key in due:
            assert course["next_due_by"] == due[key]["due_by"], key


# -- tables that fit the terminal -----------------------------------------------------------


@pytest.mark.parametrize("width", [80, 160])
def test_tables_fit_the_terminal(clinic, monkeypatch: pytest.MonkeyPatch, width: int) -> None:  # type: ignore[no-untyped-def]
    piped = clinic("due", "--as-of", "2026-11-23").stdout
    monkeypatch.setattr("commands.output.terminal_width", lambda: width)
    for args in (("due",), ("missed",), ("patient", "list"), ("show", "NET-003")):
        out = clinic(*args, "--as-of", "2026-11-23").stdout
        assert max(len(line) for line in out.splitlines()) <= width, args
    fitted = clinic("due", "--as-of", "2026-11-23").stdout
    header = fitted.splitlines()[0].split()
    for kept in ("PATIENT", "TARGET", "LATE", "EVENT", "STATUS", "FLAGS"):
        assert kept in header
    lines = [x for x in fitted.splitlines() if x.startswith("NET-003")]
    assert "order-late" in lines[0]  # its order is late (issue 24): first on the list
    line = next(x for x in lines if " prrt-2 " in x)
    assert "overdue" in line
    assert "labs-stale" in line
    # Titles are shortened, then written under their row: never dropped (issue 28).
    assert "PRRT dose 2 of 4: Lutathera infusion" in fitted
    if width == 80:
        held = fitted.splitlines()
        at = next(i for i, x in enumerate(held) if " prrt-3 " in x)
        assert " 91 d " in held[at]  # a number is never cut
        below = " ".join(x.strip() for x in held[at + 1 : at + 3])
        assert "grade 3 thrombocytopenia; platelets 45; review 2026-08-24" in below
    monkeypatch.setattr("commands.output.terminal_width", lambda: None)
    assert clinic("due", "--as-of", "2026-11-23").stdout == piped


def test_the_renderer_shortens_then_drops_squeezable_columns() -> None:
    table = (
        Column("id", "id"), Column("title", "title", squeeze=2, drop=1), Column("flag", "flag")
    )  # fmt: skip
    data = [{"id": "NET-001", "title": "A rather long title for one event", "flag": "x"}]
    full = render_table(data, table)
    assert render_table(data, table, 200) == full
    assert render_table(data, table, 30).splitlines()[1] == "NET-001  A rather long …  x"
    assert render_table(data, table, 12).splitlines() == ["ID       FLAG", "NET-001  x"]


# -- explain ----------------------------------------------------------------------------------


def test_explain_says_why_in_plain_words(clinic) -> None:  # type: ignore[no-untyped-def]
    result = clinic("explain", "NET-003", "prrt-2", "--as-of", "2026-11-23")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "prrt-2 of NET-003, course 1 (lutathera), as of 2026-11-23: PRRT dose 2 of 4: "
        "Lutathera infusion\n"
        "date 2026-11-18: prrt-1 given 2026-09-23; still not given on 2026-11-23; "
        "+ 56 days, L4\n"
        "window 2026-11-11 to 2026-11-25: 7 days before and 7 after the target, L4\n"
        "status overdue: as of 2026-11-23; 5 d past its target 2026-11-18; its window is open "
        "until 2026-11-25; nothing recorded\n"
        "flag labs-stale: labs-2 given 2026-10-22; 32 days before prrt-2 (at the earliest "
        "2026-11-23); labs count up to 28 days before the dose, L28\n"
    )
    data = json.loads(clinic("explain", "NET-003", "prrt-2", "--as-of", "2026-11-23",
                             "-f", "json").stdout)  # fmt: skip
    assert data["reasons"][0] == {
        "about": "date",
        "value": "2026-11-18",
        "facts": ["prrt-1 given 2026-09-23", "still not given on 2026-11-23"],
        "rule": "+ 56 days",
        "source": "L4",
    }
    assert [r["value"] for r in data["reasons"] if r["about"] == "flag"] == data["flags"]


def test_explain_every_flag_the_samples_raise(clinic) -> None:  # type: ignore[no-untyped-def]
    seen: set[str] = set()
    for pid in [f"NET-{n:03d}" for n in range(1, 13)]:
        for row in json.loads(clinic("show", pid, "--as-of", "2026-11-23", "-f", "json").stdout):
            for flag in row["flags"]:
                out = clinic("explain", pid, row["event"], "--as-of", "2026-11-23", "-f", "json")
                reasons = json.loads(out.stdout)["reasons"]
                found = [r for r in reasons if r["about"] == "flag" and r["value"] == flag]
                assert found, (pid, row["event"], flag)
                assert found[0]["facts"], (pid, row["event"], flag)
                seen.add(flag)
    assert seen >= {"labs-stale", "ssa-washout-conflict", "outside-window", "reduced-dose"}


def test_every_flag_has_an_explanation() -> None:
    assert {flag.value for flag in Flag} <= EXPLAINED
    assert all(GENERIC.values())


def test_explain_names_unknown_things(clinic) -> None:  # type: ignore[no-untyped-def]
    result = clinic("explain", "NET-003", "prrt-9")
    assert (result.exit_code, result.stderr) == (
        3,
        "prrt: NET-003 has no event 'prrt-9'; 'prrt show NET-003' lists the events\n",
    )
    assert clinic("explain", "NET-003", "prrt-1", "--course", "2").exit_code == 3


def test_a_filter_naming_no_stored_patient_or_regimen_is_refused(clinic) -> None:  # type: ignore[no-untyped-def]
    """A mistyped ID must not read as "nothing missed" in the daily check."""
    result = clinic("missed", "--fail-if-any", "--patient", "NET-0O3")
    assert (result.exit_code, result.stdout, result.stderr) == (
        3,
        "",
        "prrt: unknown patient 'NET-0O3' (did you mean 'NET-003'?); 'prrt patient list' shows "
        "the patients\n",
    )
    result = clinic("due", "--regimen", "lutatera")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "prrt: unknown regimen 'lutatera' (did you mean 'lutathera'?); known regimens: "
    )


def test_history_says_what_a_patient_edit_changed(clinic) -> None:  # type: ignore[no-untyped-def]
    clinic("patient", "edit", "NET-002", "--tz", "Europe/Paris")
    assert (
        clinic("history", "NET-002")
        .stdout.splitlines()[-1]
        .endswith(
            "patient-edit                                       tz: Europe/Zurich -> Europe/Paris"
        )
    )


def test_a_refused_creating_command_leaves_no_database(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "new.db"
    result = run(
        "--db",
        str(path),
        "patient",
        "add",
        "P1",
        "--regimen",
        "bogus",
        "--start",
        "2026-11-01",
        "--past-start",
    )
    assert (result.exit_code, result.stderr) == (
        3,
        "prrt: unknown regimen 'bogus'; known regimens: degarelix, goserelin-12w, goserelin-28d, "
        "lanreotide, leuprolide-1m, leuprolide-3m, leuprolide-4m, leuprolide-6m, lutathera, "
        "octreotide-lar, pluvicto, triptorelin-12w, triptorelin-24w, triptorelin-4w\n",
    )
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id,regimen,start\nP1,lanreotide,2026-02-30\n")
    assert run("--db", str(path), "import", "roster", "--create", str(roster)).exit_code == 2
    assert not path.exists()
