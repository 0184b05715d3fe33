"""Issue 28, today's work readable: the clinic list of a day or a week, tables that fit the
terminal without cutting a number or dropping a title, worklist columns that say one thing,
the day a dose was given, colour for what needs attention, help for a group without its
subcommand, and shell completion."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from conftest import ROOT, SAMPLES
from freezegun import freeze_time

from schedule.output.render import Column, render_table

AS_OF = ("--as-of", "2026-11-23")


@pytest.fixture
def clinic(prrt):  # type: ignore[no-untyped-def]
    with freeze_time("2026-11-23"):
        assert prrt("import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
        assert prrt("import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    return prrt


def csv_rows(prrt, *args: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(prrt(*args, "-f", "csv").stdout)))


# -- the clinic list ----------------------------------------------------------------------------


@freeze_time("2026-11-23")
def test_the_clinic_list_of_a_day_and_a_week(clinic, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    week = clinic("days", "--list", "--from", "2026-12-14", "--week")
    assert (week.exit_code, week.stderr) == (0, "")
    lines = week.stdout.splitlines()
    assert lines[0].split() == ["DATE", "TIME", "CHAIR", "PATIENT", "NAME", "EVENT", "TITLE",
                                "STATUS", "FLAGS"]  # fmt: skip
    # Ana Example's first dose and its LAR injection: one sitting, at her time, on one chair.
    ana = [x for x in lines if "NET-001" in x]
    assert [x.split()[:5] for x in ana] == [
        ["2026-12-14", "09:00", "1", "NET-001", "Ana"],
        ["2026-12-14", "09:00", "1", "NET-001", "Ana"],
    ]
    assert "prrt-1" in ana[0]
    assert "ssa-1" in ana[1]
    rows = csv_rows(clinic, "days", "--list", "--from", "2026-12-14", "--week")
    assert list(rows[0]) == ["date", "time", "chair", "patient_id", "name", "course", "event",
                             "title", "kind", "hours", "status", "flags"]  # fmt: skip
    assert all("2026-12-14" <= r["date"] <= "2026-12-20" for r in rows)
    assert {r["kind"] for r in rows} == {"infusion", "injection"}
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)  # day by day
    one_day = csv_rows(clinic, "days", "--list", "--from", "2026-12-14")
    assert {r["date"] for r in one_day} == {"2026-12-14"}
    assert "Ana Example" not in clinic("days", "--list", "--from", "2026-12-14",
                                       "--no-names").stdout  # fmt: skip
    # At 80 columns it fits, the name and the title under the row.
    monkeypatch.setattr("commands.output.terminal_width", lambda: 80)
    fitted = clinic("days", "--list", "--from", "2026-12-14", "--week").stdout
    assert max(map(len, fitted.splitlines())) <= 80
    assert "Ana Example" in fitted
    assert "PRRT dose 1 of 4: Lutathera infusion" in fitted
    both = clinic("days", "--list", "--from", "2026-12-14", "--week", "--to", "2026-12-20")
    assert both.exit_code == 2


def test_chairs_are_given_in_the_order_of_the_day_until_none_is_left() -> None:
    from datetime import time
    from decimal import Decimal

    from schedule.tracking.visits import Visit, seat_day

    day = date(2026, 12, 14)

    def visit(pid: str, at: time | None, hours: str) -> Visit:
        event = pid  # the seating reads no field of the event
        return Visit(day, at, pid, None, 1, event, True, Decimal(hours))  # type: ignore[arg-type]

    seated = seat_day(
        [visit("C", None, "5"), visit("B", time(9), "5"), visit("A", time(9), "5"),
         visit("D", time(14), "5"), visit("E", None, "5")],
        chairs=2, limit=Decimal(10),
    )  # fmt: skip
    assert [(v.patient_id, v.chair) for v in seated] == [
        ("A", 1), ("B", 2), ("D", 1), ("C", 2), ("E", None),
    ]  # fmt: skip


# -- tables that fit ----------------------------------------------------------------------------

EVERY_TABLE = [
    ("due", *AS_OF), ("missed", *AS_OF), ("show", "NET-005", *AS_OF), ("history", "NET-005"),
    ("regimens",), ("patient", "list", *AS_OF), ("days", "--from", "2026-11-23"),
    ("plan", "lutathera", "--start", "2027-03-01"), ("days", "--list", "--from", "2026-12-14"),
    ("move", "--from", "2026-12-14", "--onto", "2026-12-15", "--reason", "x", "--dry-run"),
]  # fmt: skip


@pytest.mark.parametrize("width", [60, 80, 100])
@freeze_time("2026-11-23")
def test_every_table_fits_the_terminal_and_loses_nothing(  # type: ignore[no-untyped-def]
    clinic, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    for args in EVERY_TABLE:
        full = clinic(*args).stdout
        monkeypatch.setattr("commands.output.terminal_width", lambda: width)
        fitted = clinic(*args).stdout
        monkeypatch.setattr("commands.output.terminal_width", lambda: None)
        assert max(map(len, fitted.splitlines())) <= width, (args, width)
        if width < 80:
            continue  # narrower still, a column that may be dropped (WINDOW END) is
        # Every word of the full table is still there (text is written under its row rather
        # than dropped), but for what was shortened with an ellipsis.
        words = set(" ".join(fitted.split()).split(" "))
        lost = [w for w in full.split() if w not in words and not w.isupper()]
        assert not [w for w in lost if not any(x.endswith("\u2026") for x in words)], args
        # A number, a date or a key is never cut.
        assert not re.search(r"\d\u2026", fitted), args


@freeze_time("2026-11-23")
def test_a_held_dose_keeps_its_reason_and_its_days_late_at_80_columns(  # type: ignore[no-untyped-def]
    clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("commands.output.terminal_width", lambda: 80)
    lines = clinic("due", *AS_OF).stdout.splitlines()
    at = next(i for i, x in enumerate(lines) if " prrt-3 " in x and x.startswith("NET-005"))
    assert lines[at].split()[:4] == ["NET-005", "2026-08-24", "91", "d"]
    under = " ".join(x.strip() for x in lines[at + 1 : at + 4])
    assert "on hold since 2026-08-10: grade 3 thrombocytopenia; platelets 45" in under


def test_the_renderer_shortens_then_writes_below_then_drops() -> None:
    table = (
        Column("id", "id"),
        Column("title", "title", squeeze=2, floor=10, below=True),
        Column("when", "when", drop=1),
        Column("n", "n"),
    )
    data = [{"id": "NET-001", "title": "A rather long title for one event", "when": "2026-12-14",
             "n": "12345"}]  # fmt: skip
    assert render_table(data, table, 200) == render_table(data, table)
    assert render_table(data, table, 40).splitlines()[1] == (
        "NET-001  A rather lo\u2026  2026-12-14  12345"
    )
    assert render_table(data, table, 30).splitlines() == [
        "ID       WHEN        N",
        "NET-001  2026-12-14  12345",
        "         A rather long title",
        "         for one event",
    ]
    assert render_table(data, table, 16).splitlines()[:2] == ["ID       N", "NET-001  12345"]


# -- the worklists' columns -----------------------------------------------------------------------


@freeze_time("2026-11-23")
def test_late_counts_from_the_target_and_the_window_end_is_its_own_column(clinic) -> None:  # type: ignore[no-untyped-def]
    lines = clinic("due", *AS_OF).stdout.splitlines()
    assert lines[0].split()[:6] == ["PATIENT", "NAME", "TARGET", "LATE", "WINDOW", "END"]
    for row in csv_rows(clinic, "due", *AS_OF):
        if row["status"] == "error":
            continue
        late = (date(2026, 11, 23) - date.fromisoformat(row["end"])).days
        assert int(row["days_late"]) == late, row
        line = next(x for x in lines if f" {row['event']} " in x and row["patient_id"] in x)
        shown = f"{late} d" if late > 0 else "today" if late == 0 else f"in {-late} d"
        assert f"  {row['end']}  {shown}  " in line
        assert row["window_end"] in line
    why = clinic("explain", "NET-003", "prrt-2", *AS_OF).stdout
    assert "status overdue: as of 2026-11-23; 5 d past its target 2026-11-18; its window is " \
        "open until 2026-11-25" in why  # fmt: skip
    assert "on time until" not in why


@freeze_time("2026-11-23")
def test_within_counts_days_to_the_target(clinic) -> None:  # type: ignore[no-untyped-def]
    for within in (0, 1, 7, 21):
        rows = csv_rows(clinic, "due", *AS_OF, "--within", str(within))
        assert rows
        assert all(-int(r["days_late"]) <= within for r in rows), within
    table = clinic("due", *AS_OF, "--within", "0").stdout
    assert " in " not in table  # nothing "in N d" when nothing ahead is asked for
    wider = {r["event"] for r in csv_rows(clinic, "due", *AS_OF, "--within", "8")}
    assert {"labs-2"} <= wider - {r["event"] for r in csv_rows(clinic, "due", *AS_OF)}


@freeze_time("2026-11-23")
def test_show_says_the_day_each_dose_was_given(clinic) -> None:  # type: ignore[no-untyped-def]
    lines = clinic("show", "NET-003", *AS_OF).stdout.splitlines()
    assert "GIVEN" in lines[0].split()
    prrt1 = next(x for x in lines if " prrt-1 " in x)
    assert prrt1.split()[:2] == ["1", "2026-09-23"]
    assert "7.4 GBq  2026-09-23  given" in prrt1
    assert "GIVEN" not in clinic("plan", "lutathera", "--start", "2027-03-01").stdout


# -- colour ---------------------------------------------------------------------------------------


@freeze_time("2026-11-23")
def test_overdue_missed_and_held_rows_in_colour_only_on_a_terminal(  # type: ignore[no-untyped-def]
    clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = clinic("due", *AS_OF).stdout
    assert "\x1b" not in plain  # not a terminal: no colour
    monkeypatch.setattr("commands.output.colour", lambda: True)
    shown = clinic("due", *AS_OF).stdout.splitlines()
    line = {x.split()[0] + " " + x.split()[4]: x for x in shown[1:] if not x.startswith("\x1b")}
    tinted = [x for x in shown if x.startswith("\x1b")]
    assert any(x.startswith("\x1b[35mNET-005") and " held " in x for x in tinted)
    assert any(x.startswith("\x1b[33m") and " overdue" in x for x in tinted)
    assert all(x.endswith("\x1b[0m") for x in tinted)
    assert any(" planned" in x for x in line.values())  # what is not late stays plain
    assert any(x.startswith("\x1b[31m") for x in clinic("missed", *AS_OF).stdout.splitlines())
    for fmt in ("csv", "json"):
        assert "\x1b" not in clinic("due", *AS_OF, "-f", fmt).stdout


def test_colour_follows_the_terminal_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from commands.output import colour

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert colour()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert not colour()


# -- help and completion --------------------------------------------------------------------------


@pytest.mark.parametrize("group", [(), ("patient",), ("import",), ("feed",), ("export",)])
def test_a_group_without_its_subcommand_prints_its_help(run, group: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = run(*group)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith(f"Usage: prrt {' '.join(group)}".rstrip() + " [OPTIONS]")
    assert "\nCommands:\n" in result.stdout
    assert result.stdout == run(*group, "--help").stdout


@pytest.mark.parametrize(
    ("shell", "start"),
    [("bash", "_prrt_completion() {"), ("zsh", "#compdef prrt"), ("fish", "function _prrt_")],
)
def test_shell_completion_scripts_are_produced(shell: str, start: str) -> None:
    env = {**os.environ, "_PRRT_COMPLETE": f"{shell}_source", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py")], env=env, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(start)
    asked = {**env, "_PRRT_COMPLETE": "bash_complete", "COMP_WORDS": "prrt pat", "COMP_CWORD": "1"}
    words = subprocess.run(
        [sys.executable, str(ROOT / "cli.py")], env=asked, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert "plain,patient" in words.stdout.splitlines()


def test_json_is_unchanged_by_the_table_view(clinic) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-11-23"):
        rows = json.loads(clinic("due", *AS_OF, "-f", "json").stdout)
    assert {"due_by", "window_end", "days_late"} <= set(rows[0])
