"""The engine with recorded facts: re-anchoring, statuses as of a date, and the flags."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from schedule.domain.model import Event, Fact, Flag, RecordType, Status
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.units import Quantity
from schedule.engine.calendar import build_calendar
from tests.conftest import D

START = date(2027, 3, 1)
D2 = START + timedelta(days=56)


def keyed(events: tuple[Event, ...]) -> dict[str, Event]:
    return {e.key: e for e in events}


def given(event: str, day: date, dose: str | None = None) -> Fact:
    return Fact(RecordType.GIVEN, day, event, Quantity.parse(dose) if dose else None)


def test_rule1_next_dose_counts_from_the_day_the_previous_was_given(lutathera: Regimen) -> None:
    late = START + timedelta(days=5)
    events = keyed(build_calendar(lutathera, START, [given("prrt-1", late)], as_of=late))
    assert events["prrt-1"].status is Status.GIVEN
    assert events["prrt-1"].given_on == late
    assert events["prrt-1"].date == START  # the target stays where it was
    assert events["prrt-2"].date == late + timedelta(days=56)
    assert events["prrt-4"].date == late + timedelta(days=3 * 56)
    assert events["labs-2"].date == late + timedelta(days=56 - 28)
    assert events["precautions-1"].date == late  # precautions follow the real infusion


def test_keys_are_stable_when_dates_move(lutathera: Regimen) -> None:
    plain = [e.key for e in build_calendar(lutathera, START) if not e.key.startswith("ssa-")]
    moved_facts = [
        given("prrt-1", START + timedelta(days=6)),
        given("prrt-2", D2 + timedelta(days=13)),
    ]
    moved = build_calendar(lutathera, START, moved_facts, as_of=D2 + timedelta(days=13))
    assert sorted(plain) == sorted(e.key for e in moved if not e.key.startswith("ssa-"))
    ssa_plain = {e.key for e in build_calendar(lutathera, START) if e.series == "ssa"}
    ssa_moved = {e.key for e in moved if e.series == "ssa"}
    assert {f"ssa-{k}" for k in range(1, 5)} <= ssa_plain & ssa_moved


def test_reschedule_moves_the_target_and_later_doses_follow(lutathera: Regimen) -> None:
    new = D2 + timedelta(days=10)
    facts = [given("prrt-1", START), Fact(RecordType.RESCHEDULED, new, "prrt-2")]
    events = keyed(build_calendar(lutathera, START, facts, as_of=START + timedelta(days=1)))
    assert events["prrt-2"].date == new
    assert events["prrt-2"].window_start == new - timedelta(days=7)
    assert events["prrt-3"].date == new + timedelta(days=56)


def test_skip_keeps_the_rhythm_and_cancels_what_hung_on_the_dose(lutathera: Regimen) -> None:
    facts = [given("prrt-1", START), Fact(RecordType.SKIPPED, D2, "prrt-2", note="patient unwell")]
    events = keyed(build_calendar(lutathera, START, facts, as_of=D2))
    assert events["prrt-2"].status is Status.SKIPPED
    assert events["precautions-2"].status is Status.CANCELLED
    assert events["labs-2"].status is Status.CANCELLED
    assert events["prrt-3"].date == D2 + timedelta(days=56)
    assert events["ssa-2"].status is not Status.CANCELLED  # the LAR still keeps symptoms down


def test_status_ladder_of_a_dose(lutathera: Regimen) -> None:
    facts = [given("prrt-1", START)]

    def status(as_of: date) -> Status:
        return keyed(build_calendar(lutathera, START, facts, as_of=as_of))["prrt-2"].status

    assert status(D2 - timedelta(days=8)) is Status.PLANNED
    assert status(D2 - timedelta(days=7)) is Status.DUE
    assert status(D2) is Status.DUE
    assert status(D2 + timedelta(days=1)) is Status.OVERDUE
    assert status(D2 + timedelta(days=7)) is Status.OVERDUE
    assert status(D2 + timedelta(days=8)) is Status.MISSED


def test_missed_dose_stays_missed_and_pushes_the_later_ones(lutathera: Regimen) -> None:
    as_of = D2 + timedelta(days=20)
    events = keyed(build_calendar(lutathera, START, [given("prrt-1", START)], as_of=as_of))
    assert events["prrt-2"].status is Status.MISSED
    assert events["prrt-2"].date == D2
    assert events["prrt-3"].date == as_of + timedelta(days=56)


def test_L7_hold_then_resume_waits_and_suggests_the_reduced_dose(lutathera: Regimen) -> None:
    hold, resume = START + timedelta(days=30), D2 + timedelta(days=21)
    facts = [given("prrt-1", START), Fact(RecordType.HOLD, hold), Fact(RecordType.RESUME, resume)]
    held = keyed(build_calendar(lutathera, START, facts[:2], as_of=D2))
    assert held["prrt-2"].status is Status.HELD
    after = keyed(build_calendar(lutathera, START, facts, as_of=resume))
    assert resume.isoformat() == "2027-05-17"  # a Monday
    # L41: the order deadline is the Tuesday at least 14 days before; the first one not past
    # is Tuesday 2027-05-18, so the dose waits until 2027-06-01, not the day of the resume.
    assert after["prrt-2"].date == D("2027-06-01")
    assert after["order-2"].date == D("2027-05-18")
    assert after["prrt-2"].dose == "3.7 GBq"
    assert Flag.REDUCED_DOSE in after["prrt-2"].flags
    assert after["prrt-3"].dose == "7.4 GBq"


def test_L12_max_delay_counts_16_weeks_from_the_planned_date(lutathera: Regimen) -> None:
    """8 + 16 = 24 weeks after the previous dose, not 16 weeks after it."""
    facts = [given("prrt-1", START), Fact(RecordType.HOLD, START + timedelta(days=40))]
    for days in (112, 56 + 111):
        before = keyed(build_calendar(lutathera, START, facts, as_of=START + timedelta(days)))
        assert Flag.MAX_DELAY_EXCEEDED not in before["prrt-2"].flags
    at = keyed(build_calendar(lutathera, START, facts, as_of=START + timedelta(days=56 + 112)))
    assert Flag.MAX_DELAY_EXCEEDED in at["prrt-2"].flags
    assert at["prrt-2"].status is Status.HELD  # flagged for a clinician, never cancelled


def test_reduced_dose_flag_for_a_recorded_lower_activity(lutathera: Regimen) -> None:
    labs = given("labs-1", START - timedelta(days=20))
    full = keyed(
        build_calendar(lutathera, START, [labs, given("prrt-1", START, "200 mCi")], as_of=START)
    )
    assert full["prrt-1"].flags == ()
    assert full["prrt-1"].dose == "200 mCi"
    low = keyed(
        build_calendar(lutathera, START, [labs, given("prrt-1", START, "3700 MBq")], as_of=START)
    )
    # No toxicity was recorded: the full dose was expected (issue 23).
    assert low["prrt-1"].flags == (Flag.REDUCED_DOSE, Flag.DOSE_BELOW_EXPECTED)


def test_L15_L19_washout_conflict_for_a_LAR_given_too_close(lutathera: Regimen) -> None:
    late_lar = D2 - timedelta(days=20)
    facts = [given("prrt-1", START), given("ssa-1", late_lar)]
    events = keyed(build_calendar(lutathera, START, facts, as_of=late_lar))
    assert Flag.SSA_WASHOUT_CONFLICT in events["prrt-2"].flags
    assert Flag.SSA_WASHOUT_CONFLICT in events["ssa-1"].flags
    assert Flag.SSA_WASHOUT_CONFLICT not in events["prrt-3"].flags


def test_washout_conflict_from_another_course(lutathera: Regimen) -> None:
    events = keyed(build_calendar(lutathera, START, other_ssa=[START - timedelta(days=27)]))
    assert Flag.SSA_WASHOUT_CONFLICT in events["prrt-1"].flags
    ok = keyed(build_calendar(lutathera, START, other_ssa=[START - timedelta(days=28)]))
    assert Flag.SSA_WASHOUT_CONFLICT not in ok["prrt-1"].flags


def test_labs_missing_flag_on_a_due_dose(lutathera: Regimen) -> None:
    as_of = START - timedelta(days=3)
    events = keyed(build_calendar(lutathera, START, as_of=as_of))
    assert Flag.LABS_MISSING in events["prrt-1"].flags
    with_labs = keyed(
        build_calendar(lutathera, START, [given("labs-1", START - timedelta(days=20))], as_of=as_of)
    )
    assert with_labs["labs-1"].status is Status.GIVEN
    assert Flag.LABS_MISSING not in with_labs["prrt-1"].flags


def test_discontinued_course_cancels_what_is_left(lutathera: Regimen) -> None:
    stop = START + timedelta(days=30)
    facts = [given("prrt-1", START), Fact(RecordType.DISCONTINUED, stop)]
    events = keyed(build_calendar(lutathera, START, facts, as_of=stop))
    assert events["prrt-1"].status is Status.GIVEN
    assert {events[f"prrt-{k}"].status for k in (2, 3, 4)} == {Status.CANCELLED}
    assert not [e for e in events.values() if e.series == "ssa" and e.number > 4]
    # The EU variant (the default): 6 months after the last dose given (L40, issue 24).
    assert events["contraception"].date.month == 9


def test_maintenance_reanchors_on_the_last_injection(lutathera: Regimen) -> None:
    d4 = START + timedelta(days=3 * 56)
    late = d4 + timedelta(days=40)
    facts = [given(f"prrt-{k}", START + timedelta(days=56 * (k - 1))) for k in range(1, 5)]
    facts += [given("ssa-4", d4), given("ssa-5", late)]
    events = keyed(build_calendar(lutathera, START, facts, as_of=late))
    assert events["ssa-6"].date == late + timedelta(days=28)


def test_ssa_only_missed_injection(catalog: Catalog) -> None:
    lan = catalog.get("lanreotide")
    as_of = START + timedelta(days=28 + 10)
    events = keyed(build_calendar(lan, START, [given("ssa-1", START, "120 mg")], as_of=as_of))
    # 7 days' site tolerance passed: still overdue until given or skipped (S9).
    assert events["ssa-2"].status is Status.OVERDUE
    assert events["ssa-3"].date == as_of + timedelta(days=28)


def test_quantities_compare_across_units() -> None:
    assert Quantity.parse("200 mCi").base == Quantity.parse("7.4 GBq").base == Decimal(7400)
