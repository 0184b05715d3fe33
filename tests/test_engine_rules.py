"""The calendar engine, one test per clinical rule it encodes (ids from the clinical reference)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from schedule.domain.dates import add_months
from schedule.domain.errors import InputError
from schedule.domain.model import Event, Kind, Status
from schedule.domain.options import PlanOptions
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.engine.calendar import build_calendar

START = date(2027, 3, 1)  # a Monday


def by_key(events: tuple[Event, ...]) -> dict[str, Event]:
    keys = [e.key for e in events]
    assert len(keys) == len(set(keys)), "event keys must be unique"
    return {e.key: e for e in events}


@pytest.fixture
def plan(lutathera: Regimen) -> dict[str, Event]:
    return by_key(build_calendar(lutathera, START))


def test_L3_L6_four_full_doses(plan: dict[str, Event]) -> None:
    doses = [e for e in plan.values() if e.series == "prrt"]
    assert [e.key for e in doses] == ["prrt-1", "prrt-2", "prrt-3", "prrt-4"]
    assert {e.dose for e in doses} == {"7.4 GBq"}
    assert all(e.kind is Kind.DOSE and e.status is Status.PLANNED for e in doses)


def test_L4_every_8_weeks_with_a_one_week_window(plan: dict[str, Event]) -> None:
    targets = [plan[f"prrt-{k}"].date for k in range(1, 5)]
    assert targets == [START + timedelta(days=56 * k) for k in range(4)]
    for k in range(1, 5):
        dose = plan[f"prrt-{k}"]
        assert dose.window_start == dose.date - timedelta(days=7)
        assert dose.window_end == dose.date + timedelta(days=7)


def test_L15_last_long_acting_ssa_4_weeks_before_dose_1(plan: dict[str, Event]) -> None:
    deadline = plan["ssa-washout-1"]
    assert deadline.kind is Kind.DEADLINE
    assert deadline.date == START - timedelta(days=28)
    assert "ssa-washout-2" not in plan


def test_L17_short_acting_octreotide_stops_24h_before_each_dose(plan: dict[str, Event]) -> None:
    for k in range(1, 5):
        assert plan[f"short-acting-stop-{k}"].date == plan[f"prrt-{k}"].date - timedelta(days=1)


def test_L18_LAR_30mg_on_the_dose_day_or_the_next(plan: dict[str, Event]) -> None:
    for k in range(1, 5):
        lar, dose = plan[f"ssa-{k}"], plan[f"prrt-{k}"]
        assert (lar.date, lar.window_start, lar.window_end) == (
            dose.date,
            dose.date,
            dose.date + timedelta(days=1),
        )
        assert lar.dose == "30 mg"
        assert lar.drug is not None
        assert "Octreotide LAR" in lar.drug


def test_L19_one_LAR_per_cycle_and_none_within_4_weeks_before_a_dose(
    plan: dict[str, Event],
) -> None:
    ssa = sorted(e.date for e in plan.values() if e.series == "ssa")
    for k in range(1, 5):
        day = plan[f"prrt-{k}"].date
        assert not [s for s in ssa if 0 < (day - s).days < 28]
        between = [s for s in ssa if day <= s < day + timedelta(days=56)]
        assert len(between) == (1 if k < 4 else 2)  # after dose 4, maintenance starts at +28


def test_L20_LAR_every_28_days_until_18_months_after_start(plan: dict[str, Event]) -> None:
    maintenance = sorted(
        (e for e in plan.values() if e.series == "ssa" and e.number > 4), key=lambda e: e.date
    )
    days = [plan["ssa-4"].date] + [e.date for e in maintenance]
    assert all((b - a).days == 28 for a, b in itertools.pairwise(days))
    end = add_months(START, 18)
    assert maintenance[-1].date <= end < maintenance[-1].date + timedelta(days=28)
    assert [e.key for e in maintenance] == [f"ssa-{n}" for n in range(5, 5 + len(maintenance))]


def test_L28_labs_window_28_to_14_days_before_each_dose(plan: dict[str, Event]) -> None:
    for k in range(1, 5):
        labs, dose = plan[f"labs-{k}"], plan[f"prrt-{k}"]
        assert labs.kind is Kind.LAB
        assert labs.date == dose.date - timedelta(days=28)
        assert labs.end == dose.date - timedelta(days=14)
        assert labs.window_end == dose.date - timedelta(days=1)  # late until the day before


def test_L41_order_by_the_tuesday_14_days_before_and_free_cancel_10_days_before(
    plan: dict[str, Event],
) -> None:
    for k in range(1, 5):
        order, dose = plan[f"order-{k}"], plan[f"prrt-{k}"]
        assert order.date.weekday() == 1  # Tuesday
        assert 14 <= (dose.date - order.date).days < 21
        assert order.end == order.date
        assert plan[f"cancel-{k}"].date == dose.date - timedelta(days=10)


def test_L41_order_deadline_when_the_dose_is_on_a_tuesday(lutathera: Regimen) -> None:
    tuesday = date(2027, 3, 2)
    events = by_key(build_calendar(lutathera, tuesday))
    assert events["order-1"].date == tuesday - timedelta(days=14)


def test_L31_hydration_day_before_to_day_after(plan: dict[str, Event]) -> None:
    hydration, dose = plan["hydration-2"], plan["prrt-2"]
    assert (hydration.date, hydration.end) == (
        dose.date - timedelta(days=1),
        dose.date + timedelta(days=1),
    )


def test_L32_L33_eu_precautions_7_and_15_days(plan: dict[str, Event]) -> None:
    dose = plan["prrt-1"]
    assert plan["precautions-1"].kind is Kind.PRECAUTION
    assert (plan["precautions-1"].date, plan["precautions-1"].end) == (
        dose.date,
        dose.date + timedelta(days=7),
    )
    assert plan["precautions-children-1"].end == dose.date + timedelta(days=15)


def test_L36_us_precautions_variant(lutathera: Regimen) -> None:
    events = by_key(build_calendar(lutathera, START, options=PlanOptions(precautions="us")))
    assert events["precautions-1"].end == START + timedelta(days=3)
    assert "precautions-children-1" not in events


def test_precaution_variant_from_site_settings(lutathera: Regimen) -> None:
    events = by_key(build_calendar(lutathera, START, settings=Settings(precautions="us")))
    assert events["precautions-1"].end == START + timedelta(days=3)


def test_unknown_precaution_variant_is_refused(lutathera: Regimen) -> None:
    with pytest.raises(InputError, match="choose eu or us"):
        build_calendar(lutathera, START, options=PlanOptions(precautions="uk"))


def test_L39_contraception_and_breastfeeding_end_dates(lutathera: Regimen) -> None:
    # The US variant (issue 24: the EU one says 6 months for both sexes, L40).
    plan = by_key(build_calendar(lutathera, START, options=PlanOptions(precautions="us")))
    last = plan["prrt-4"].date
    assert plan["contraception-women"].date == add_months(last, 7)
    assert plan["contraception-men"].date == add_months(last, 4)
    assert plan["breastfeeding"].date == add_months(last, 2) + timedelta(days=15)


def test_R12_L30_restaging_and_follow_up_labs(plan: dict[str, Event]) -> None:
    last = plan["prrt-4"].date
    # The 3-month scan (with the SSTR PET) lands 1 day before the nearest monthly injection
    # in its window (R12, issue 24); the 6-month CT/MRI stays on its day.
    ssa = [e.date for e in plan.values() if e.series == "ssa"]
    assert plan["scan-1"].date + timedelta(days=1) in ssa
    assert abs((plan["scan-1"].date - add_months(last, 3)).days) <= 14
    assert plan["scan-2"].date == add_months(last, 6)
    assert plan["scan-1"].kind is Kind.SCAN
    labs = [plan[f"followup-labs-{n}"].date for n in range(1, 5)]
    assert labs == [add_months(last, m) for m in (1, 3, 6, 12)]


def test_events_are_in_date_order(lutathera: Regimen) -> None:
    events = build_calendar(lutathera, START)
    assert [e.date for e in events] == sorted(e.date for e in events)


def test_R1_pluvicto_six_doses_every_6_weeks(catalog: Catalog) -> None:
    events = build_calendar(catalog.get("pluvicto"), START)
    doses = [e for e in events if e.kind is Kind.DOSE]
    assert [e.key for e in doses] == [f"rlt-{k}" for k in range(1, 7)]
    assert [(b.date - a.date).days for a, b in itertools.pairwise(doses)] == [42] * 5
    assert all(e.window_end - e.date == timedelta(days=7) for e in doses)
    assert not [e for e in events if e.series == "ssa"]


def test_S1_octreotide_lar_every_28_days_open_ended(catalog: Catalog) -> None:
    events = build_calendar(
        catalog.get("octreotide-lar"), START, options=PlanOptions(until=date(2027, 12, 31))
    )
    doses = [e for e in events if e.kind is Kind.DOSE]
    assert doses[0].date == START
    assert doses[-1].date <= date(2027, 12, 31)
    assert all((b.date - a.date).days == 28 for a, b in itertools.pairwise(doses))
    assert len(doses) == 11


def test_S2_short_acting_overlap_after_first_LAR(catalog: Catalog) -> None:
    events = by_key(build_calendar(catalog.get("octreotide-lar"), START))
    overlap = events["short-acting-overlap-1"]
    assert (overlap.date, overlap.end) == (START, START + timedelta(days=14))
    assert "short-acting-overlap-2" not in events


def test_S10_ssa_late_tolerance_is_a_site_setting(catalog: Catalog) -> None:
    lan = catalog.get("lanreotide")
    default = build_calendar(lan, START)[0]
    strict = build_calendar(lan, START, settings=Settings(ssa_late_tolerance_days=2))[0]
    assert default.window_end == START + timedelta(days=7)
    assert strict.window_end == START + timedelta(days=2)


@pytest.mark.parametrize("interval", [28, 42, 56])
def test_S5_S7_lanreotide_interval_choices(catalog: Catalog, interval: int) -> None:
    events = build_calendar(
        catalog.get("lanreotide"), START, options=PlanOptions(interval_days=interval)
    )
    assert (events[1].date - events[0].date).days == interval


def test_lanreotide_refuses_an_interval_it_does_not_offer(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="allows an interval of 28, 42, 56 days, not 30"):
        build_calendar(catalog.get("lanreotide"), START, options=PlanOptions(interval_days=30))


def test_calendar_month_option_clamps_the_31st(catalog: Catalog) -> None:
    events = build_calendar(
        catalog.get("lanreotide"),
        date(2027, 1, 31),
        options=PlanOptions(calendar_month=True, until=date(2027, 6, 30)),
    )
    assert [e.date for e in events] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
    ]
