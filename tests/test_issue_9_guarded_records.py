"""Issue 9: guarded records and course-aware commands. Every refusal is one line with its exit
code and leaves the stored data exactly as it was (compared through `export doses`); every
override is in the history with its reason and flags its event in `show`, the worklists and
the CSV/JSON output. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from freezegun import freeze_time

pytestmark = pytest.mark.usefixtures("config_dir")

OVERRIDE_HINT = '; if a clinician has a reason, add --override "REASON"\n'


def refused(prrt, args: tuple[str, ...], code: int, message: str) -> None:  # type: ignore[no-untyped-def]
    """The command is refused with exactly `message` and `code`, and nothing stored changes."""
    before = prrt("export", "doses").stdout
    history = prrt("history", "P1", "-f", "csv").stdout
    result = prrt(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message)
    assert prrt("export", "doses").stdout == before
    assert prrt("history", "P1", "-f", "csv").stdout == history


def event(prrt, pid: str, key: str, *extra: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    rows = json.loads(prrt("show", pid, "-f", "json", *extra).stdout)
    return next(r for r in rows if r["event"] == key)


@pytest.fixture
def p1(prrt):  # type: ignore[no-untyped-def]
    """A Lutathera course started 2026-09-01, dose 1 and its LAR given on the day."""
    with freeze_time("2026-11-21"):
        prrt(
            "patient",
            "add",
            "P1",
            "--regimen",
            "lutathera",
            "--start",
            "2026-09-01",
            "--past-start",
            "--pregnancy",
            "no",
        )
        prrt("record", "P1", "prrt-1", "--date", "2026-09-01", "--dose", "7.4 GBq")
        prrt("record", "P1", "ssa-1", "--date", "2026-09-01", "--dose", "30 mg")
    return "P1"


@freeze_time("2026-11-21")
def test_a_later_dose_while_an_earlier_one_is_pending_is_refused(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("record", "P1", "prrt-3", "--date", "2026-11-20"),
        4,
        "prrt: prrt-2 of P1 is still missed (due 2026-10-27); prrt-3 cannot be recorded before "
        "it; record it first ('prrt record P1 prrt-2 --date ...') or skip it "
        "('prrt skip P1 prrt-2 --reason ...')\n",
    )
    # Not even with an override: the way out is to record or skip the pending dose.
    refused(
        prrt,
        ("record", "P1", "prrt-3", "--date", "2026-11-20", "--override", "sure"),
        4,
        "prrt: prrt-2 of P1 is still missed (due 2026-10-27); prrt-3 cannot be recorded before "
        "it; record it first ('prrt record P1 prrt-2 --date ...') or skip it "
        "('prrt skip P1 prrt-2 --reason ...')\n",
    )
    assert prrt("skip", "P1", "prrt-2", "--reason", "clinician decision").exit_code == 0
    assert prrt("record", "P1", "prrt-3", "--date", "2026-11-20").exit_code == 0


@freeze_time("2026-11-21")
def test_too_soon_is_refused_then_let_through_with_a_reason_flagged_and_audited(
    prrt, p1: str
) -> None:  # type: ignore[no-untyped-def]
    # L4: 56 days less the 7-day window: 2026-10-20 is the earliest after 2026-09-01.
    refused(
        prrt,
        ("record", "P1", "prrt-2", "--date", "2026-10-19"),
        4,
        "prrt: prrt-2 on 2026-10-19 would be 48 days after prrt-1 (2026-09-01); the earliest is "
        "2026-10-20 (every 56 days less the 7-day window: L4)" + OVERRIDE_HINT,
    )
    assert prrt("record", "P1", "prrt-2", "--date", "2026-10-20").exit_code == 0
    assert prrt("correct", "P1", "3", "--reason", "wrong day").exit_code == 0
    result = prrt(
        "record", "P1", "prrt-2", "--date", "2026-10-10", "--override", "early slot; Dr Lee"
    )
    assert (result.exit_code, result.stdout) == (
        0,
        "recorded prrt-2 for P1 on 2026-10-10 (record 5)\n",
    )
    dose = event(prrt, "P1", "prrt-2")
    assert dose["flags"] == ["outside-window", "override", "labs-missing"]  # no labs-2 either
    history = list(csv.DictReader(io.StringIO(prrt("history", "P1", "-f", "csv").stdout)))
    assert (history[-1]["event"], history[-1]["override"]) == ("prrt-2", "early slot; Dr Lee")
    table = prrt("history", "P1").stdout.splitlines()
    assert table[-1].endswith("override: early slot; Dr Lee")
    # The export carries the override, so that the file imports again.
    exported = list(csv.DictReader(io.StringIO(prrt("export", "doses").stdout)))
    assert exported[-1]["override"] == "early slot; Dr Lee"


@freeze_time("2026-11-21")
def test_an_override_where_nothing_refused_is_refused(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("record", "P1", "prrt-2", "--date", "2026-10-27", "--override", "just in case"),
        2,
        "prrt: nothing to override: the record passes every check; drop --override\n",
    )


@freeze_time("2026-11-21")
def test_ssa_injections_closer_than_the_site_minimum_are_refused(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-10-01", "--past-start")
    prrt("record", "P1", "ssa-1", "--date", "2026-10-01")
    refused(
        prrt,
        ("record", "P1", "ssa-2", "--date", "2026-10-02"),
        4,
        "prrt: ssa-2 on 2026-10-02 would be 1 days after ssa-1 (2026-10-01); the earliest is "
        "2026-10-22 (at least 21 days between injections: site setting ssa_min_interval_days)"
        + OVERRIDE_HINT,
    )
    assert prrt("record", "P1", "ssa-2", "--date", "2026-10-22").exit_code == 0


@freeze_time("2026-11-21")
def test_amounts_above_the_full_dose_beyond_the_tolerance_are_refused(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("record", "P1", "prrt-2", "--date", "2026-10-27", "--dose", "14.8 GBq"),
        4,
        "prrt: dose 14.8 GBq is more than 10% above the full 7.4 GBq of prrt-2 (L3; tolerance: "
        "site setting dose_tolerance_percent)" + OVERRIDE_HINT,
    )
    refused(
        prrt,
        ("record", "P1", "prrt-2", "--date", "2026-10-27", "--dose", "30 mg"),
        2,
        "prrt: dose '30 mg' does not fit prrt-2; give it in GBq, MBq or mCi\n",
    )
    # 8.1 GBq is within 10% of 7.4 GBq; the LAR 60 mg is twice its 30 mg.
    assert (
        prrt("record", "P1", "prrt-2", "--date", "2026-10-27", "--dose", "8.1 GBq").exit_code == 0
    )
    refused(
        prrt,
        ("record", "P1", "ssa-2", "--date", "2026-10-27", "--dose", "60 mg"),
        4,
        "prrt: dose 60 mg is more than 10% above the full 30 mg of ssa-2 (L18; tolerance: site "
        "setting dose_tolerance_percent)" + OVERRIDE_HINT,
    )


@freeze_time("2026-11-21")
def test_several_guards_are_named_in_one_line(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("record", "P1", "prrt-2", "--date", "2026-10-01", "--dose", "14.8 GBq"),
        4,
        "prrt: prrt-2 on 2026-10-01 would be 30 days after prrt-1 (2026-09-01); the earliest is "
        "2026-10-20 (every 56 days less the 7-day window: L4); and dose 14.8 GBq is more than "
        "10% above the full 7.4 GBq of prrt-2 (L3; tolerance: site setting "
        "dose_tolerance_percent)" + OVERRIDE_HINT,
    )


@freeze_time("2026-11-21")
def test_dose_1_may_come_inside_its_window_before_the_start(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt(
        "patient",
        "add",
        "P1",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-20",
        "--pregnancy",
        "no",
    )
    refused(
        prrt,
        ("record", "P1", "prrt-1", "--date", "2026-11-12"),
        4,
        "prrt: date 2026-11-12 is before prrt-1's window opens (2026-11-13; the course starts "
        "2026-11-20)" + OVERRIDE_HINT,
    )
    assert prrt("record", "P1", "labs-1", "--date", "2026-10-23").exit_code == 0
    assert prrt("record", "P1", "prrt-1", "--date", "2026-11-13").exit_code == 0
    assert event(prrt, "P1", "prrt-1")["flags"] == []  # neither outside its window nor an override


@freeze_time("2026-11-21")
def test_a_late_lar_after_its_dose_is_flagged_outside_window(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    prrt("record", "P1", "prrt-2", "--date", "2026-10-27")
    prrt("record", "P1", "ssa-2", "--date", "2026-10-29")  # L18: the dose day or the next
    assert event(prrt, "P1", "ssa-2")["flags"] == ["outside-window"]


@freeze_time("2026-11-21")
def test_reschedule_into_the_past_or_before_the_previous_dose_is_refused(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("reschedule", "P1", "prrt-2", "--date", "2026-11-20", "--reason", "x"),
        2,
        "prrt: date 2026-11-20 is in the past; a new target is today (2026-11-21) or later\n",
    )
    prrt("record", "P1", "prrt-2", "--date", "2026-10-27")
    with freeze_time("2026-10-27"):
        refused(
            prrt,
            ("reschedule", "P1", "prrt-3", "--date", "2026-10-27", "--reason", "x"),
            4,
            "prrt: date 2026-10-27 is not after prrt-2, given on 2026-10-27\n",
        )


@freeze_time("2026-11-21")
def test_two_active_courses_need_course(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt(
        "patient",
        "add",
        "P1",
        "--regimen",
        "octreotide-lar",
        "--start",
        "2026-10-01",
        "--past-start",
    )
    added = prrt("course", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-20")
    assert added.exit_code == 0
    assert added.stderr.startswith("prrt: warning: course 1 has ssa-")
    listing = "2 active courses: 1 (octreotide-lar from 2026-10-01), 2 (lutathera from 2026-12-20)"
    for args in (
        ("record", "P1", "ssa-2", "--date", "2026-10-29"),
        ("skip", "P1", "ssa-2", "--reason", "x"),
        ("reschedule", "P1", "ssa-3", "--date", "2026-11-30", "--reason", "x"),
        ("hold", "P1", "--reason", "x"),
        ("discontinue", "P1", "--reason", "x"),
    ):
        refused(prrt, args, 4, f"prrt: P1 has {listing}; name the one meant; add --course N\n")
    # Named, the LAR course is the one discontinued, never the newest by default.
    result = prrt("discontinue", "P1", "--reason", "PRRT starts", "--course", "1")
    assert result.stdout == "discontinued P1's course on 2026-11-21 (record 1)\n"
    states = {
        r["course"]: r["state"] for r in json.loads(prrt("patient", "list", "-f", "json").stdout)
    }
    assert states == {1: "discontinued", 2: "active"}
    # One active course left: no --course needed.
    assert prrt("hold", "P1", "--reason", "platelets").exit_code == 0


@freeze_time("2026-11-21")
def test_hold_dates_review_and_resume_waits_for_the_order_deadline(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("hold", "P1", "--reason", "x", "--date", "2026-11-22"),
        2,
        "prrt: date 2026-11-22 is in the future; record what was done, up to 2026-11-21\n",
    )
    result = prrt(
        "hold", "P1", "--toxicity", "thrombocytopenia", "--grade", "3", "--date", "2026-10-10"
    )
    assert result.stdout == "P1 is on hold from 2026-10-10, for review on 2026-10-24 (record 3)\n"
    assert event(prrt, "P1", "prrt-2")["status"] == "held"
    refused(
        prrt,
        ("resume", "P1", "--date", "2026-10-01"),
        2,
        "prrt: date 2026-10-01 is before the hold began (2026-10-10)\n",
    )
    assert prrt("resume", "P1", "--date", "2026-11-19").exit_code == 0  # a Thursday
    dose = event(prrt, "P1", "prrt-2")
    # The first order deadline not past is Tuesday 2026-11-24, so the dose is 2026-12-08.
    assert (dose["date"], dose["dose"], dose["flags"]) == (
        "2026-12-08",
        "3.7 GBq",
        ["reduced-dose"],
    )
    assert event(prrt, "P1", "order-2")["date"] == "2026-11-24"
    history = list(csv.DictReader(io.StringIO(prrt("history", "P1", "-f", "csv").stdout)))
    assert [(h["action"], h["date"], h["review"]) for h in history[-2:]] == [
        ("hold", "2026-10-10", "2026-10-24"),
        ("resume", "2026-11-19", ""),
    ]


@freeze_time("2026-11-21")
def test_discontinue_cancels_what_is_left_and_keeps_the_care_unless_end_care(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    prrt("record", "P1", "prrt-2", "--date", "2026-10-27")
    prrt("record", "P1", "ssa-2", "--date", "2026-10-27")
    prrt("hold", "P1", "--reason", "creatinine", "--date", "2026-11-10")
    result = prrt("discontinue", "P1", "--reason", "renal toxicity", "--date", "2026-11-20")
    assert result.stdout == "discontinued P1's course on 2026-11-20 (record 6)\n"
    rows = {r["event"]: r for r in json.loads(prrt("show", "P1", "-f", "json").stdout)}
    assert {rows[k]["status"] for k in ("prrt-3", "ssa-3", "prrt-4", "labs-3")} == {"cancelled"}
    assert rows["precautions-3"]["status"] == "cancelled"  # never "held" on a phone
    assert rows["prrt-2"]["status"] == "given"
    # After-course care goes on, planned from the discontinuation day (due from 7 days before:
    # site setting ssa_early_tolerance_days).
    assert (rows["ssa-5"]["date"], rows["ssa-5"]["status"]) == ("2026-11-24", "due")
    assert rows["followup-labs-1"]["date"] == "2026-12-20"
    due = prrt("due", "-f", "csv").stdout
    assert "P1,1,ssa-5," in due
    # With --end-care the after-course care ends as well.
    prrt("patient", "add", "P2", "--regimen", "lutathera", "--start", "2026-09-01", "--past-start")
    prrt("record", "P2", "prrt-1", "--date", "2026-09-01")
    prrt("discontinue", "P2", "--reason", "moves abroad", "--end-care", "--date", "2026-11-20")
    keys = {r["event"] for r in json.loads(prrt("show", "P2", "-f", "json").stdout)}
    assert not {"ssa-5", "followup-labs-1", "scan-1"} & keys
    assert "P2," not in prrt("due", "-f", "csv").stdout


@freeze_time("2026-11-21")
def test_course_add_replaces_ends_the_ssa_course_on_the_last_safe_day(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-10-01", "--past-start")
    prrt("record", "P1", "ssa-1", "--date", "2026-10-01")
    prrt("record", "P1", "ssa-2", "--date", "2026-10-29")
    result = prrt(
        "course", "add", "P1", "--regimen", "lutathera", "--start", "2027-01-20", "--replaces", "1"
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "added course 2 to P1: lutathera from 2027-01-20\n"
        "course 1 (lanreotide) ends: nothing of it from 2026-12-24 on (its last day is 2026-12-23)\n"
    )
    history = list(csv.DictReader(io.StringIO(prrt("history", "P1", "-f", "csv").stdout)))
    assert (history[-1]["action"], history[-1]["date"], history[-1]["note"]) == (
        "discontinued", "2026-12-24", "replaced by course 2 (lutathera from 2027-01-20)",
    )  # fmt: skip
    lanreotide = {
        r["event"]: r
        for r in json.loads(prrt("show", "P1", "-f", "json").stdout)
        if r["course"] == 1
    }
    # 2026-11-26 and 2026-12-24 minus one day: the injection of 2026-11-26 stays, later ones go.
    assert lanreotide["ssa-3"]["status"] == "due"  # its window opens 7 days early
    assert "ssa-4" not in lanreotide  # an open-ended series ends at the stop
    assert not any("ssa-washout-conflict" in r["flags"] for r in lanreotide.values())


@freeze_time("2026-11-21")
def test_ssa_course_rows_carry_the_washout_conflict_and_duplicate_ssa(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-10-01", "--past-start")
    prrt("record", "P1", "ssa-1", "--date", "2026-10-01")
    prrt("record", "P1", "ssa-2", "--date", "2026-10-29")
    prrt("course", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-20")
    rows = list(csv.DictReader(io.StringIO(prrt("due", "--within", "40", "-f", "csv").stdout)))
    flags = {(r["course"], r["event"]): r["flags"] for r in rows}
    # Lanreotide due 2026-11-26: 24 days before PRRT dose 1 (L15, L19), on its own row.
    assert flags[("1", "ssa-3")] == "ssa-washout-conflict"
    shown = {
        (r["course"], r["event"]): r["flags"]
        for r in json.loads(prrt("show", "P1", "-f", "json").stdout)
    }
    # Lanreotide 2026-12-24 is 4 days after the LAR of PRRT dose 1: two SSAs at once.
    assert "duplicate-ssa" in shown[(1, "ssa-4")]
    assert "duplicate-ssa" in shown[(2, "ssa-1")]


@freeze_time("2026-11-21")
def test_orders_can_be_placed_and_then_leave_the_worklist(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-08")
    due = prrt("due", "--within", "14", "-f", "csv").stdout
    assert "P1,1,order-1," in due
    assert "cancel-1" not in due  # nothing to cancel before the order is placed
    assert prrt("record", "P1", "order-1", "--date", "2026-11-20").exit_code == 0
    due = prrt("due", "--within", "14", "-f", "csv").stdout
    assert "order-1" not in due
    assert "P1,1,cancel-1," in due
    assert event(prrt, "P1", "order-1")["status"] == "given"
    refused(
        prrt,
        ("record", "P1", "order-1", "--date", "2026-11-21"),
        4,
        "prrt: order-1 of P1 is already recorded as placed on 2026-11-20 (record 1); if that is "
        "wrong, run 'prrt correct P1 1 --reason ...' first\n",
    )


@freeze_time("2026-11-21")
def test_csv_import_refuses_in_the_same_words_and_takes_overrides(
    prrt, p1: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    doses = tmp_path / "doses.csv"
    doses.write_text("patient_id,event,date,dose,override\nP1,prrt-2,2026-10-10,7.4 GBq,\n")
    before = prrt("export", "doses").stdout
    result = prrt("import", "doses", str(doses))
    assert (result.exit_code, result.stderr) == (
        4,  # a guard's refusal, as from 'prrt record' (issue 28)
        f"prrt: {doses}: line 2: date: prrt-2 on 2026-10-10 would be 39 days after prrt-1 "
        "(2026-09-01); the earliest is 2026-10-20 (every 56 days less the 7-day window: L4); "
        "if a clinician has a reason, put it in the override column\n",
    )
    assert prrt("export", "doses").stdout == before
    doses.write_text(
        "patient_id,event,date,dose,override\nP1,prrt-2,2026-10-10,7.4 GBq,early slot\n"
    )
    assert prrt("import", "doses", str(doses)).stdout == "imported 1 records; 0 already stored\n"
    assert event(prrt, "P1", "prrt-2")["flags"] == ["outside-window", "override", "labs-missing"]


@freeze_time("2026-11-21")
def test_a_new_target_behind_a_late_dose_or_too_soon_is_refused(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    # prrt-2 was due 2026-10-27 and is missed: prrt-3 cannot be moved ahead of it.
    refused(
        prrt,
        ("reschedule", "P1", "prrt-3", "--date", "2026-12-01", "--reason", "x"),
        4,
        "prrt: prrt-2 of P1 is still missed (due 2026-10-27); prrt-3 cannot be rescheduled "
        "before it; record it first ('prrt record P1 prrt-2 --date ...') or skip it "
        "('prrt skip P1 prrt-2 --reason ...')\n",
    )
    prrt("record", "P1", "prrt-2", "--date", "2026-11-20")
    refused(
        prrt,
        ("reschedule", "P1", "prrt-3", "--date", "2026-11-30", "--reason", "x"),
        4,
        "prrt: prrt-3 on 2026-11-30 would be 10 days after prrt-2 (2026-11-20); the earliest is "
        "2027-01-08 (every 56 days less the 7-day window: L4)" + OVERRIDE_HINT,
    )
    # Planning ahead around doses still to come is allowed.
    assert (
        prrt("reschedule", "P1", "prrt-4", "--date", "2027-03-20", "--reason", "x").exit_code == 0
    )


@freeze_time("2026-11-21")
def test_a_held_dose_is_neither_given_nor_moved_until_the_hold_ends(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    prrt("hold", "P1", "--reason", "platelets", "--date", "2026-10-01")
    message = "prrt: prrt-2 of P1 waits on the hold begun 2026-10-01; 'prrt resume P1' ends it\n"
    refused(prrt, ("record", "P1", "prrt-2", "--date", "2026-11-20"), 4, message)
    refused(
        prrt, ("reschedule", "P1", "prrt-2", "--date", "2026-12-20", "--reason", "x"), 4, message
    )
    assert prrt("skip", "P1", "prrt-2", "--reason", "clinician decision").exit_code == 0


@freeze_time("2026-11-21")
def test_a_hold_begins_on_or_after_the_last_dose_given(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("hold", "P1", "--reason", "x", "--date", "2026-08-31"),
        2,
        "prrt: date 2026-08-31 is before prrt-1 was given (2026-09-01); a hold holds the next "
        "dose, so it begins on or after the last one given\n",
    )
    # Before dose 1, even before the start, a hold holds dose 1.
    prrt("patient", "add", "P2", "--regimen", "lutathera", "--start", "2026-12-14")
    assert prrt("hold", "P2", "--reason", "labs", "--date", "2026-11-20").exit_code == 0
    assert event(prrt, "P2", "prrt-1")["status"] == "held"


@freeze_time("2026-11-21")
def test_replacing_a_course_in_maintenance_ends_its_injections(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2025-10-06", "--past-start")
    for k, day in enumerate(("2025-10-06", "2025-12-01", "2026-01-26", "2026-03-23"), 1):
        prrt("record", "P1", f"prrt-{k}", "--date", day)
        prrt("record", "P1", f"ssa-{k}", "--date", day)
    result = prrt(
        "course", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-21", "--replaces", "1"
    )
    assert (result.exit_code, result.stderr) == (0, "")
    first = [
        r
        for r in json.loads(prrt("due", "--within", "60", "-f", "json").stdout)
        if r["course"] == 1
    ]
    # No maintenance injection of course 1 planned inside the washout; the one missed in April
    # stays due until given or skipped (S9), up to the course's last day, 2026-11-23.
    assert [(r["event"], r["status"], r["date"]) for r in first] == [
        ("ssa-5", "overdue", "2026-04-20")
    ]


@freeze_time("2026-11-21")
def test_after_a_discontinuation_the_end_dates_count_from_the_last_dose(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    prrt("discontinue", "P1", "--reason", "progression", "--date", "2026-11-20")
    rows = {r["event"]: r for r in json.loads(prrt("show", "P1", "-f", "json").stdout)}
    # L40 (the EU variant, the default; issue 24): 6 months after the last dose given
    # (2026-09-01), not after the discontinuation.
    assert rows["contraception"]["date"] == "2027-03-01"
    assert rows["followup-labs-1"]["date"] == "2026-12-20"  # care: from the discontinuation


@freeze_time("2026-11-21")
def test_the_lar_after_a_dose_waits_for_that_dose(prrt, p1: str) -> None:  # type: ignore[no-untyped-def]
    refused(
        prrt,
        ("record", "P1", "ssa-2", "--date", "2026-11-20"),
        4,
        "prrt: ssa-2 follows prrt-2, which is still missed (due 2026-10-27, L18); record it "
        "first ('prrt record P1 prrt-2 --date ...') or skip it ('prrt skip P1 prrt-2 "
        "--reason ...')\n",
    )
    prrt("record", "P1", "prrt-2", "--date", "2026-11-20")
    assert prrt("record", "P1", "ssa-2", "--date", "2026-11-20").exit_code == 0
