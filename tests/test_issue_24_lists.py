"""Issue 24: nothing lost between the lists. A pregnancy test before each radioligand dose of a
patient who can become pregnant or whose status is not known (flag pregnancy-test-missing), an
order deadline passed while its dose waits (flag order-late, on `prrt due`), and a course start
long past refused unless meant (--past-start; the roster's past_start column)."""

from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time

from schedule.domain.course import Patient
from schedule.domain.model import Flag, Status
from schedule.domain.regimen import Catalog
from schedule.engine.calendar import build_calendar
from schedule.store.database import Store
from tests.conftest import D

TODAY = "2026-12-10 10:00:00"
LATE_ORDER = (
    "prrt: warning: the order deadline of prrt-1 (order-1) was 2026-11-24: ordered today, the "
    "dose can be given from 2026-12-29 (L41); it is on 'prrt due' as order-late\n"
)
PAST = (
    "prrt: start 2020-12-14 is 2187 days ago, more than site.past_start_days (30); check the "
    "year, or pass --past-start if it is meant\n"
)


def patients(db_url: str) -> list[Patient]:
    store = Store.open(db_url, "x")
    with store.read() as tx:
        found = tx.patients()
    store.close()
    return found


def _events(catalog: Catalog, regimen: str, test: bool) -> dict[str, Status]:
    start = D("2027-03-01")
    events = build_calendar(catalog.get(regimen), start, as_of=start, pregnancy_test=test)
    return {e.key: e.status for e in events}


def test_a_pregnancy_test_before_each_dose_only_where_the_label_asks(catalog: Catalog) -> None:
    with_test = _events(catalog, "lutathera", True)
    assert [k for k in with_test if k.startswith("pregnancy-test")] == [
        "pregnancy-test-1", "pregnancy-test-2", "pregnancy-test-3", "pregnancy-test-4",
    ]  # fmt: skip
    assert not any(k.startswith("pregnancy-test") for k in _events(catalog, "lutathera", False))
    # Pluvicto's label treats men: its file asks for no pregnancy test.
    assert not any(k.startswith("pregnancy") for k in _events(catalog, "pluvicto", True))
    # An SSA course gives no radioligand: no test, whatever the patient.
    assert not any(k.startswith("pregnancy") for k in _events(catalog, "lanreotide", True))


def test_the_test_window_is_the_site_setting(catalog: Catalog) -> None:
    from schedule.domain.settings import Settings

    lutathera = catalog.get("lutathera")
    events = build_calendar(
        lutathera, D("2027-03-01"), settings=Settings(pregnancy_test_days=3), pregnancy_test=True
    )
    test = next(e for e in events if e.key == "pregnancy-test-1")
    assert (test.window_start, test.window_end) == (D("2027-02-26"), D("2027-03-01"))


def test_a_dose_given_without_its_test_or_with_a_stale_one_is_flagged(catalog: Catalog) -> None:
    from schedule.domain.model import Fact, RecordType

    lutathera = catalog.get("lutathera")
    given = Fact(RecordType.GIVEN, D("2027-03-01"), "prrt-1")
    stale = Fact(RecordType.GIVEN, D("2027-02-10"), "pregnancy-test-1")
    fresh = Fact(RecordType.GIVEN, D("2027-02-27"), "pregnancy-test-1")
    for facts, flagged in (([given], True), ([stale, given], True), ([fresh, given], False)):
        events = build_calendar(
            lutathera, D("2027-03-01"), facts, as_of=D("2027-03-05"), pregnancy_test=True
        )
        dose = next(e for e in events if e.key == "prrt-1")
        assert (Flag.PREGNANCY_TEST_MISSING in dose.flags) is flagged, facts


@freeze_time(TODAY)
def test_pregnancy_on_patient_add_and_edit_and_what_the_lists_say(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add = prrt(
        "patient", "add", "W1", "--regimen", "lutathera", "--start", "2026-12-14",
        "--pregnancy", "yes",
    )  # fmt: skip
    assert (add.exit_code, add.stdout) == (0, "added W1: course 1, lutathera from 2026-12-14\n")
    assert add.stderr.endswith(LATE_ORDER)
    no = prrt(
        "patient", "add", "M1", "--regimen", "lutathera", "--start", "2027-02-15",
        "--pregnancy", "no",
    )  # fmt: skip
    assert (no.exit_code, no.stderr) == (0, "")
    bad = prrt(
        "patient", "add", "X1", "--regimen", "lutathera", "--start", "2026-12-14",
        "--pregnancy", "maybe",
    )  # fmt: skip
    assert (bad.exit_code, bad.stdout, bad.stderr) == (
        2, "", "prrt: pregnancy 'maybe' is not valid; use yes, no or '' (not known)\n"
    )  # fmt: skip
    assert [(p.id, p.pregnancy) for p in patients(db_url)] == [("M1", "no"), ("W1", "yes")]

    due = prrt("due", "--within", "7")
    assert (due.exit_code, due.stdout) == (0, (
        "PATIENT  TARGET      LATE    WINDOW END  EVENT             TITLE                                   STATUS   FLAGS\n"
        "W1       2026-11-24  16 d    2026-11-24  order-1           Order Lutathera for PRRT dose 1         past     order-late\n"
        "W1       2026-11-30  10 d    2026-12-13  labs-1            Blood tests before PRRT dose 1          overdue\n"
        "W1       2026-12-14  in 4 d  2026-12-14  pregnancy-test-1  Pregnancy test before dose 1            due\n"
        "W1       2026-12-14  in 4 d  2026-12-21  prrt-1            PRRT dose 1 of 4: Lutathera infusion    due      labs-missing;pregnancy-test-missing\n"
        "W1       2026-12-14  in 4 d  2026-12-15  ssa-1             Octreotide LAR 30 mg after PRRT dose 1  planned\n"
    ))  # fmt: skip
    why = prrt("explain", "W1", "prrt-1")
    assert why.stdout.splitlines()[-1] == (
        "flag pregnancy-test-missing: pregnancy-test-1 due, nothing recorded; W1 can become "
        "pregnant (pregnancy yes); a pregnancy test within 7 days before each dose "
        "(site setting pregnancy_test_days), L40"
    )

    edit = prrt("patient", "edit", "W1", "--pregnancy", "")
    assert (edit.exit_code, edit.stdout) == (0, "edited W1: pregnancy yes -> (none)\n")
    why = prrt("explain", "W1", "prrt-1")
    assert (
        "whether W1 can become pregnant is not known: ask, then record the answer as the "
        "patient's pregnancy, yes or no"
    ) in why.stdout.splitlines()[-1]
    prrt("patient", "edit", "W1", "--pregnancy", "no")
    shown = prrt("show", "W1").stdout
    assert "pregnancy-test" not in shown
    assert [(p.id, p.pregnancy) for p in patients(db_url)] == [("M1", "no"), ("W1", "no")]


@freeze_time(TODAY)
def test_a_late_order_is_on_due_and_explained_with_the_next_orderable_day(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "W1", "--regimen", "lutathera", "--start", "2026-12-14")
    why = prrt("explain", "W1", "order-1")
    assert why.stdout.splitlines()[-1] == (
        "flag order-late: order-1 deadline 2026-11-24 passed, no order recorded; prrt-1 due, "
        "target 2026-12-14; ordered today, prrt-1 can be given from 2026-12-29, after its window "
        "closes 2026-12-21: reschedule it; the order is late: place it now, for the next dose day "
        "it can still be ordered for, L41"
    )
    # Once the order is recorded as placed, it leaves the list.
    placed = prrt("record", "W1", "order-1", "--date", "2026-12-10")
    assert placed.exit_code == 0, placed.stderr
    assert "order-1" not in prrt("due").stdout


@freeze_time(TODAY)
def test_a_start_long_past_is_refused_unless_meant(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    refused = prrt("patient", "add", "X1", "--regimen", "lutathera", "--start", "2020-12-14")
    assert (refused.exit_code, refused.stdout, refused.stderr) == (2, "", PAST)
    assert patients(db_url) == []
    meant = prrt(
        "patient", "add", "X1", "--regimen", "lutathera", "--start", "2020-12-14", "--past-start"
    )
    # A course already under way: its first order is history, no warning.
    assert (meant.exit_code, meant.stdout) == (0, "added X1: course 1, lutathera from 2020-12-14\n")
    assert "warning" not in meant.stderr
    course = prrt("course", "add", "X1", "--regimen", "lutathera", "--start", "2020-12-14")
    assert (course.exit_code, course.stdout, course.stderr) == (2, "", PAST)
    recent = prrt("course", "add", "X1", "--regimen", "lanreotide", "--start", "2026-11-20")
    assert (recent.exit_code, recent.stderr) == (0, "")


@freeze_time(TODAY)
def test_the_roster_refuses_a_start_long_past_unless_its_column_says_yes(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start,pregnancy,past_start\n"
        "W1,lutathera,2027-01-04,yes,\n"
        "X1,lutathera,2020-12-14,,\n",
        encoding="utf-8",
    )
    refused = prrt("import", "roster", str(roster))
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"prrt: {roster}: line 3: start: start 2020-12-14 is 2187 days ago, more than site.past_start_days (30); "
        "check the year, or put yes in the past_start column if it is meant\n"
    )
    assert patients(db_url) == []
    roster.write_text(roster.read_text().replace("2020-12-14,,", "2020-12-14,,yes"))
    done = prrt("import", "roster", str(roster))
    assert (done.exit_code, done.stdout) == (0, "imported 2 patients; 0 already stored\n")
    assert [(p.id, p.pregnancy) for p in patients(db_url)] == [("W1", "yes"), ("X1", None)]
    exported = prrt("export", "roster").stdout.splitlines()
    assert exported[0].endswith(",precautions,pregnancy,past_start")
    assert exported[1].startswith("W1,lutathera,2027-01-04,")
    assert exported[1].endswith(",yes,yes")
