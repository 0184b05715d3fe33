"""Issue 24: nothing lost between steps for SSA injections. A missed monthly injection stays due
until given or skipped (S9) and the next ones count from the day it is given (rule 10); `move`
and `reschedule` keep a PRRT dose and its LAR together (L18); the course-add warning names every
SSA inside the washout (L15, L19); the early tolerance of an SSA injection is a site setting
(S10)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.domain.errors import SettingsError
from schedule.domain.model import Fact, RecordType, Status
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings, parse_settings
from schedule.engine.calendar import build_calendar
from tests.conftest import D


def rows(prrt, pid: str) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    return {r["event"]: r for r in json.loads(prrt("show", pid, "-f", "json").stdout)}


# -- 1. a missed SSA injection is due as soon as possible (S9, rule 10) ----------------------


@freeze_time("2025-05-01")
def test_a_missed_monthly_injection_stays_overdue_until_given(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "X", "--regimen", "lanreotide", "--start", "2025-03-01", "--past-start")
    shown = rows(prrt, "X")
    assert (shown["ssa-1"]["status"], shown["ssa-1"]["date"]) == ("overdue", "2025-03-01")
    # The next one counts from the first day the missed one can still be given: today.
    assert (shown["ssa-2"]["status"], shown["ssa-2"]["date"]) == ("planned", "2025-05-29")
    due = prrt("due")
    assert (due.exit_code, due.stdout) == (
        0,
        "PATIENT  TARGET      LATE  WINDOW END  EVENT  TITLE                          STATUS   FLAGS\n"
        "X        2025-03-01  61 d  2025-03-08  ssa-1  Lanreotide 120 mg injection 1  overdue\n",
    )
    # Past its window it is on the list of what was missed too.
    assert [r["event"] for r in json.loads(prrt("missed", "-f", "json").stdout)] == ["ssa-1"]
    explained = prrt("explain", "X", "ssa-2")
    assert (explained.exit_code, explained.stdout) == (
        0,
        "ssa-2 of X, course 1 (lanreotide), as of 2025-05-01: Lanreotide 120 mg injection 2\n"
        "date 2025-05-29: ssa-1 overdue, target 2025-03-01; still not given on 2025-05-01: "
        "counted from 2025-05-01; + 28 days, S5\n"
        "window 2025-05-22 to 2025-06-05: 7 days before and 7 after the target, site settings "
        "ssa_early_tolerance_days and ssa_late_tolerance_days\n"
        "status planned: as of 2025-05-01; its window opens 2025-05-22\n",
    )
    status = prrt("explain", "X", "ssa-1").stdout.splitlines()[-1]
    assert status == (
        "status overdue: as of 2025-05-01; its window closed 2025-03-08; still due until given "
        "or skipped (S9: the doctor decides when, never a double dose); nothing recorded"
    )
    # Given late: the next ones count from the day it was given.
    assert prrt("record", "X", "ssa-1", "--date", "2025-04-28").exit_code == 0
    shown = rows(prrt, "X")
    assert (shown["ssa-1"]["status"], shown["ssa-1"]["flags"]) == ("given", ["outside-window"])
    assert shown["ssa-2"]["date"] == "2025-05-26"


@freeze_time("2025-05-01")
def test_a_skipped_injection_is_no_longer_due_the_next_one_is(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "X", "--regimen", "lanreotide", "--start", "2025-03-01", "--past-start")
    assert prrt("skip", "X", "ssa-1", "--reason", "doctor: wait for the next one").exit_code == 0
    assert rows(prrt, "X")["ssa-1"]["status"] == "skipped"
    # A skipped injection keeps the rhythm: the next one was due 28 days after its target.
    assert prrt("due").stdout.splitlines()[1:] == [
        "X        2025-03-29  33 d  2025-04-05  ssa-2  Lanreotide 120 mg injection 2  overdue"
    ]


def test_a_later_injection_given_closes_a_missed_one(catalog: Catalog) -> None:
    lan = catalog.get("lanreotide")
    start = D("2025-01-06")
    facts = [Fact(RecordType.GIVEN, D("2025-03-03"), "ssa-2")]
    events = {e.key: e for e in build_calendar(lan, start, facts, as_of=D("2025-03-20"))}
    assert events["ssa-1"].status is Status.MISSED  # ssa-2 took its place: history now


def test_a_missed_maintenance_injection_after_prrt_stays_overdue(catalog: Catalog) -> None:
    lutathera = catalog.get("lutathera")
    start = D("2025-01-06")
    days = [start + timedelta(days=56 * k) for k in range(4)]
    facts = [
        Fact(RecordType.GIVEN, day, f"{s}-{k}")
        for k, day in enumerate(days, 1)
        for s in ("prrt", "ssa")
    ]
    as_of = days[-1] + timedelta(days=28 + 20)  # ssa-5 was due 28 days after prrt-4
    events = {e.key: e for e in build_calendar(lutathera, start, facts, as_of=as_of)}
    assert (events["ssa-5"].status, events["ssa-5"].date) == (
        Status.OVERDUE,
        days[-1] + timedelta(days=28),
    )
    assert events["ssa-6"].date == as_of + timedelta(days=28)


# -- 4. the early tolerance of an SSA injection is a site setting (S10) ----------------------


@freeze_time("2026-11-20")
def test_an_injection_27_days_after_the_last_is_on_time_by_default(prrt, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    prrt(
        "patient",
        "add",
        "Y",
        "--regimen",
        "octreotide-lar",
        "--start",
        "2026-10-01",
        "--past-start",
    )
    prrt("record", "Y", "ssa-1", "--date", "2026-10-01")
    assert prrt("record", "Y", "ssa-2", "--date", "2026-10-28").exit_code == 0
    ssa2 = rows(prrt, "Y")["ssa-2"]
    assert (ssa2["window_start"], ssa2["window_end"], ssa2["flags"]) == (
        "2026-10-22", "2026-11-05", [],
    )  # fmt: skip
    # A site that takes no injection early says so; then it is flagged.
    (config_dir / "config.toml").write_text("[site]\nssa_early_tolerance_days = 0\n")
    ssa2 = rows(prrt, "Y")["ssa-2"]
    assert (ssa2["window_start"], ssa2["flags"]) == ("2026-10-29", ["outside-window"])


def test_the_early_tolerance_setting_is_read_and_bounded() -> None:
    assert Settings().ssa_early_tolerance_days == 7
    assert (
        parse_settings("[site]\nssa_early_tolerance_days = 3\n", "c.toml").ssa_early_tolerance_days
        == 3
    )
    with pytest.raises(SettingsError, match=r"site\.ssa_early_tolerance_days: must be a whole"):
        parse_settings("[site]\nssa_early_tolerance_days = -1\n", "c.toml")


def test_the_regimens_leave_the_early_tolerance_to_the_site(catalog: Catalog) -> None:
    for regimen in ("lanreotide", "octreotide-lar"):
        assert catalog.get(regimen).dose.window.before is None
    ssa = catalog.get("lutathera").ssa
    assert ssa is not None
    assert ssa.maintenance_window.before is None


# -- 2. a PRRT dose and its LAR move together (L18) ------------------------------------------


@pytest.fixture
def late_dose(prrt) -> None:  # type: ignore[no-untyped-def]
    """A: Lutathera dose 1 given 2026-10-10; dose 2 (target 2026-12-05) overdue on 2026-12-07,
    so its LAR is planned for that day, the first its dose can still happen."""
    with freeze_time("2026-12-07"):
        prrt(
            "patient", "add", "A", "--regimen", "lutathera", "--start", "2026-10-10", "--past-start"
        )
        for event, day in (
            ("labs-1", "2026-09-25"),
            ("prrt-1", "2026-10-10"),
            ("ssa-1", "2026-10-10"),
        ):
            assert prrt("record", "A", event, "--date", day).exit_code == 0


@freeze_time("2026-12-07")
def test_a_move_takes_the_dose_along_with_its_lar(prrt, late_dose: None) -> None:  # type: ignore[no-untyped-def]
    shown = rows(prrt, "A")
    assert (shown["prrt-2"]["date"], shown["ssa-2"]["date"]) == ("2026-12-05", "2026-12-07")
    result = prrt(
        "move", "--from", "2026-12-07", "--to", "2026-12-10", "--onto", "2026-12-11", "--reason", "chair"
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "PATIENT  COURSE  EVENT   TITLE                                   FROM        TO          RECORD  NOTE\n"
        "A        1       prrt-2  PRRT dose 2 of 4: Lutathera infusion    2026-12-05  2026-12-11  4       moves with its LAR ssa-2 (L18)\n"
        "A        1       ssa-2   Octreotide LAR 30 mg after PRRT dose 2  2026-12-07  2026-12-11          moves with prrt-2\n"
    )
    shown = rows(prrt, "A")
    assert (shown["prrt-2"]["date"], shown["ssa-2"]["date"]) == ("2026-12-11", "2026-12-11")
    # Given on another day than its new target: the LAR follows the day given.
    assert prrt("record", "A", "prrt-2", "--date", "2026-12-07").exit_code == 0
    shown = rows(prrt, "A")
    assert (shown["ssa-2"]["date"], shown["ssa-2"]["window_end"]) == ("2026-12-07", "2026-12-08")


@freeze_time("2026-12-07")
def test_a_lar_is_not_rescheduled_alone(prrt, late_dose: None) -> None:  # type: ignore[no-untyped-def]
    result = prrt("reschedule", "A", "ssa-2", "--date", "2026-12-11", "--reason", "x")
    assert (result.exit_code, result.stdout, result.stderr) == (
        4,
        "",
        "prrt: ssa-2 follows prrt-2 (4 to 24 h after it, L18) and cannot move alone; reschedule "
        "prrt-2 and ssa-2 moves with it\n",
    )
    assert prrt("reschedule", "A", "prrt-2", "--date", "2026-12-11", "--reason", "x").exit_code == 0
    assert rows(prrt, "A")["ssa-2"]["date"] == "2026-12-11"
    assert prrt("record", "A", "prrt-2", "--date", "2026-12-07").exit_code == 0
    result = prrt("reschedule", "A", "ssa-2", "--date", "2026-12-11", "--reason", "x")
    assert (result.exit_code, result.stderr) == (
        4,
        "prrt: ssa-2 follows prrt-2 (4 to 24 h after it, L18) and cannot move alone; prrt-2 was "
        "given on 2026-12-07: record ssa-2 when it is given\n",
    )
    # A bulk move leaves it with its dose, given already, and says so.
    result = prrt(
        "move", "--from", "2026-12-07", "--to", "2026-12-10", "--onto", "2026-12-09", "--reason", "x"
    )  # fmt: skip
    assert result.stdout.splitlines()[1:] == [
        "A        1       ssa-2  Octreotide LAR 30 mg after PRRT dose 2  2026-12-07              "
        "its date follows prrt-2 (L18)"
    ]


def test_a_lar_rescheduled_alone_before_follows_its_dose_when_given(catalog: Catalog) -> None:
    lutathera = catalog.get("lutathera")
    facts = [
        Fact(RecordType.GIVEN, D("2026-10-10"), "prrt-1"),
        Fact(RecordType.GIVEN, D("2026-10-10"), "ssa-1"),
        Fact(RecordType.RESCHEDULED, D("2026-12-11"), "ssa-2", note="chair"),  # stored before
        Fact(RecordType.GIVEN, D("2026-12-07"), "prrt-2"),
    ]
    events = {
        e.key: e for e in build_calendar(lutathera, D("2026-10-10"), facts, as_of=D("2026-12-07"))
    }
    ssa2 = events["ssa-2"]
    assert (ssa2.date, ssa2.window_end, ssa2.status) == (
        D("2026-12-07"),
        D("2026-12-08"),
        Status.DUE,
    )


# -- 3. the course-add warning names every SSA inside the washout (L15, L19) -----------------

_ADVICE = (
    ", inside the long-acting SSA washout before a PRRT dose (L15, L19); end it with 'prrt "
    "course add ... --replaces N', or reschedule what is still to come\n"
)


@freeze_time("2026-11-21")
def test_the_warning_names_a_missed_injection_still_due(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt(
        "patient",
        "add",
        "P1",
        "--regimen",
        "octreotide-lar",
        "--start",
        "2026-09-01",
        "--past-start",
    )
    prrt("record", "P1", "ssa-1", "--date", "2026-09-01")
    # ssa-2 (2026-09-29) was missed: given today, it would be 19 days before PRRT dose 1.
    added = prrt("course", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-10")
    assert (added.exit_code, added.stderr) == (
        0,
        "prrt: warning: course 1 has ssa-2 overdue since 2026-09-29 (still due), ssa-4 planned "
        "on 2027-01-16, ssa-6 planned on 2027-03-13, ssa-8 planned on 2027-05-08" + _ADVICE,
    )


@freeze_time("2026-11-21")
def test_the_warning_names_an_injection_given_inside_the_washout(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt(
        "patient",
        "add",
        "P2",
        "--regimen",
        "octreotide-lar",
        "--start",
        "2026-10-01",
        "--past-start",
    )
    prrt("record", "P2", "ssa-1", "--date", "2026-10-01")
    prrt("record", "P2", "ssa-2", "--date", "2026-10-29")
    added = prrt("course", "add", "P2", "--regimen", "lutathera", "--start", "2026-11-22")
    assert (added.exit_code, added.stderr) == (
        0,
        "prrt: warning: course 1 has ssa-2 given on 2026-10-29, ssa-4 planned on 2026-12-24, "
        "ssa-6 planned on 2027-02-18, ssa-8 planned on 2027-04-15" + _ADVICE + "prrt: warning: "
        "the order deadline of prrt-1 (order-1) was 2026-11-03: ordered today, the dose can be "
        "given from 2026-12-08 (L41); it is on 'prrt due' as order-late\n",
    )


def test_the_report_counts_an_injection_past_its_window_as_missed(catalog: Catalog) -> None:
    from schedule.reports.collect import dose_outcome

    lan = catalog.get("lanreotide")
    as_of = D("2025-05-01")
    ssa1 = next(e for e in build_calendar(lan, D("2025-03-01"), as_of=as_of) if e.key == "ssa-1")
    assert ssa1.status is Status.OVERDUE
    assert (dose_outcome(ssa1, as_of), dose_outcome(ssa1, D("2025-03-05"))) == ("missed", "open")
