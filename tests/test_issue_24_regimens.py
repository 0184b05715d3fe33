"""Issue 24: complete regimens. Pluvicto's care (labs R17, hydration R20, home precautions R19
as an `eu` and a `us` variant, men's contraception R18), the end dates after the course per
jurisdiction variant (Lutathera L39 `us`, L40 `eu`), hormone therapy for prostate cancer (GnRH
analogs and antagonist, H1-H4) with calendar-month intervals clamped at month ends and a loading
dose, GnRH beside Pluvicto with no SSA conflict, and the restaging scan 1 day before the nearest
monthly SSA injection (R12)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from schedule.domain.course import Course, Patient
from schedule.domain.dates import add_months
from schedule.domain.errors import RegimenFileError
from schedule.domain.model import Event, Fact, Flag, Kind, RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.regimen import Catalog, DoseKind
from schedule.domain.regimen_file import builtin_texts, parse_regimen
from schedule.domain.settings import Settings
from schedule.domain.units import Quantity
from schedule.engine.calendar import build_calendar
from schedule.engine.views import CourseView, course_views
from schedule.patientview.titles import discreet_title
from schedule.tracking.guards import amount_guard, full_amount, minimum_gap

START = date(2027, 3, 1)


def by_key(events: tuple[Event, ...]) -> dict[str, Event]:
    return {e.key: e for e in events}


def plan(
    catalog: Catalog, regimen: str, variant: str | None = None, **kw: object
) -> dict[str, Event]:
    options = PlanOptions(precautions=variant, **kw)  # type: ignore[arg-type]
    return by_key(build_calendar(catalog.get(regimen), START, options=options))


# -- Pluvicto's care ---------------------------------------------------------------------------


def test_R17_pluvicto_labs_before_each_dose_in_a_site_window(catalog: Catalog) -> None:
    regimen = catalog.get("pluvicto")
    labs = next(r for r in regimen.related if r.series == "labs")
    assert labs.kind is Kind.LAB
    assert (labs.start, labs.end) == (-14, -1)
    assert labs.source.startswith("R17")
    assert "serum creatinine, creatinine clearance" in labs.source
    assert "gives no window" in labs.source
    assert "site policy" in labs.source
    events = plan(catalog, "pluvicto")
    assert [events[f"labs-{k}"].date for k in (1, 2)] == [
        START - timedelta(days=14),
        date(2027, 3, 29),
    ]


def test_R20_pluvicto_hydration_around_each_dose(catalog: Catalog) -> None:
    hydration = next(r for r in catalog.get("pluvicto").related if r.series == "hydration")
    assert hydration.source.startswith("R20")
    event = plan(catalog, "pluvicto")["hydration-1"]
    assert (event.date, event.end) == (START - timedelta(days=1), START + timedelta(days=1))
    assert "pass urine often" in event.description


def test_R19_pluvicto_eu_precautions(catalog: Catalog) -> None:
    events = plan(catalog, "pluvicto", "eu")
    adults, children = events["precautions-1"], events["precautions-children-1"]
    assert (adults.date, adults.end) == (START, START + timedelta(days=7))
    assert children.end == START + timedelta(days=15)
    assert "For 2 days" in adults.description
    assert "for 3 days" in adults.description
    assert "for 7 days no sexual activity" in adults.description
    assert "from children for 7 days and from pregnant women for 15 days" in children.description
    items = dict(catalog.get("pluvicto").precautions)["eu"]
    assert all(i.source.startswith("R19") for i in items)


def test_pluvicto_us_precautions_give_no_invented_number(catalog: Catalog) -> None:
    events = plan(catalog, "pluvicto", "us")
    us = events["precautions-1"]
    assert (us.date, us.end) == (START, START)  # the dose day only: no sourced day count
    assert "precautions-children-1" not in events
    assert not any(ch.isdigit() for ch in us.description)
    (item,) = dict(catalog.get("pluvicto").precautions)["us"]
    assert "no number is given" in item.source


def test_R18_pluvicto_men_14_weeks_in_both_variants(catalog: Catalog) -> None:
    for variant in ("eu", "us"):
        events = plan(catalog, "pluvicto", variant)
        assert events["contraception-men"].date == events["rlt-6"].date + timedelta(weeks=14)
    item = next(a for a in catalog.get("pluvicto").after_course if a.series == "contraception-men")
    assert item.source.startswith("R18")
    assert item.variant is None


def test_pluvicto_restaging_scan_is_site_policy(catalog: Catalog) -> None:
    events = plan(catalog, "pluvicto")
    assert events["scan"].date == add_months(events["rlt-6"].date, 3)
    scan = next(a for a in catalog.get("pluvicto").after_course if a.series == "scan")
    assert "site policy" in scan.source
    assert "no label" in scan.source


# -- end dates per jurisdiction variant --------------------------------------------------------


def test_L39_lutathera_us_end_dates(catalog: Catalog) -> None:
    events = plan(catalog, "lutathera", "us")
    last = events["prrt-4"].date
    assert events["contraception-women"].date == add_months(last, 7)
    assert events["contraception-men"].date == add_months(last, 4)
    assert events["breastfeeding"].date == add_months(last, 2) + timedelta(days=15)
    assert "contraception" not in events


def test_L40_lutathera_eu_six_months_for_both_sexes(catalog: Catalog) -> None:
    for events in (plan(catalog, "lutathera", "eu"), plan(catalog, "lutathera")):  # eu: default
        last = events["prrt-4"].date
        assert events["contraception"].date == add_months(last, 6)
        assert "contraception-men" not in events
        assert "contraception-women" not in events
        assert events["breastfeeding"].date == add_months(last, 2) + timedelta(days=15)
    item = next(a for a in catalog.get("lutathera").after_course if a.series == "contraception")
    assert (item.variant, item.source[:4]) == ("eu", "L40:")


def test_the_sites_variant_chooses_the_end_dates(catalog: Catalog) -> None:
    events = by_key(
        build_calendar(catalog.get("lutathera"), START, settings=Settings(precautions="us"))
    )
    assert "contraception-men" in events
    assert "contraception" not in events


def test_an_after_course_variant_must_be_a_precaution_variant() -> None:
    text = """format = 1
id = "x"
name = "X"
[dose]
series = "x"
kind = "radioligand"
drug = "X"
title = "X {n}"
amount = { value = 7.4, unit = "GBq", source = "t" }
count = { value = 2, source = "t" }
interval = { days = 42, source = "t" }
window = { before = 7, after = 7, source = "t" }
[precautions]
default = "eu"
[[precautions.eu]]
series = "precautions"
at = 0
title = "P"
source = "t"
[[after_course]]
series = "c"
kind = "reminder"
variant = "uk"
months = 6
title = "C"
source = "t"
"""
    with pytest.raises(RegimenFileError, match=r"after_course.*variant: must be one of eu"):
        parse_regimen(text, "x.toml")


def test_months_and_calendar_month_together_are_refused() -> None:
    text = """format = 1
id = "x"
name = "X"
[dose]
series = "x"
kind = "hormone"
drug = "X"
title = "X {n}"
amount = { value = 1, unit = "mg", source = "t" }
interval = { months = 3, days = 84, calendar_month = true, source = "t" }
window = { before = 0, after = 0, source = "t" }
"""
    with pytest.raises(RegimenFileError, match=r"interval\.calendar_month: is implied by `months`"):
        parse_regimen(text, "x.toml")


# -- hormone therapy for prostate cancer -------------------------------------------------------

GNRH = {
    # id: (row, amount mg, interval days, calendar months)
    "leuprolide-1m": ("H2", "7.5", 28, 1),
    "leuprolide-3m": ("H2", "22.5", 84, 3),
    "leuprolide-4m": ("H2", "30", 112, 4),
    "leuprolide-6m": ("H2", "45", 168, 6),
    "goserelin-28d": ("H3", "3.6", 28, 0),
    "goserelin-12w": ("H3", "10.8", 84, 0),
    "triptorelin-4w": ("H4", "3.75", 28, 0),
    "triptorelin-12w": ("H4", "11.25", 84, 0),
    "triptorelin-24w": ("H4", "22.5", 168, 0),
    "degarelix": ("H1", "80", 28, 0),
}


@pytest.mark.parametrize("regimen_id", sorted(GNRH))
def test_H1_H4_gnrh_numbers_match_their_rows(catalog: Catalog, regimen_id: str) -> None:
    row, mg, days, months = GNRH[regimen_id]
    dose = catalog.get(regimen_id).dose
    assert dose.kind is DoseKind.HORMONE
    assert dose.series == "gnrh"
    assert dose.count is None
    assert dose.amount == Quantity(Decimal(mg), "mg")
    assert (dose.interval_days, dose.interval_months) == (days, months)
    assert dose.amount_source.startswith(row)
    assert dose.interval_source.startswith(row)
    assert "site policy" in dose.window.source
    assert dose.window.after is None


def test_H1_degarelix_loading_dose_then_80_mg_from_28_days(catalog: Catalog) -> None:
    dose = catalog.get("degarelix").dose
    assert dose.loading == Quantity(Decimal(240), "mg")
    assert dose.loading_source.startswith("H1")
    assert "two 120 mg" in dose.loading_source
    events = plan(catalog, "degarelix", until=START + timedelta(days=60))
    assert [(e.date, e.dose) for e in events.values()] == [
        (START, "240 mg"),
        (START + timedelta(days=28), "80 mg"),
        (START + timedelta(days=56), "80 mg"),
    ]
    monthly = plan(catalog, "degarelix", calendar_month=True, until=date(2027, 5, 31))
    assert [e.date for e in monthly.values()] == [START, date(2027, 4, 1), date(2027, 5, 1)]


def test_calendar_months_clamp_to_the_months_last_day(catalog: Catalog) -> None:
    regimen = catalog.get("leuprolide-3m")
    days = [
        e.date
        for e in build_calendar(
            regimen, date(2027, 1, 31), options=PlanOptions(until=date(2028, 2, 1))
        )
    ]
    assert days == [
        date(2027, 1, 31), date(2027, 4, 30), date(2027, 7, 31), date(2027, 10, 31),
        date(2028, 1, 31),
    ]  # fmt: skip
    one = build_calendar(
        catalog.get("leuprolide-1m"), date(2027, 1, 31), options=PlanOptions(until=date(2027, 5, 1))
    )
    assert [e.date for e in one] == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30),
    ]  # fmt: skip
    by_days = build_calendar(
        regimen, date(2027, 1, 31), options=PlanOptions(interval_days=84, until=date(2027, 6, 1))
    )
    assert [e.date for e in by_days] == [date(2027, 1, 31), date(2027, 4, 25)]  # the PI's 12 weeks


def test_plan_of_leuprolide_3m(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "leuprolide-3m", "--start", "2027-01-31", "--until", "2027-12-31")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "DATE        UNTIL  EVENT   TITLE                                           DOSE     STATUS   FLAGS\n"
        "2027-01-31         gnrh-1  Leuprolide depot 22.5 mg injection 1 (3-month)  22.5 mg  planned\n"
        "2027-04-30         gnrh-2  Leuprolide depot 22.5 mg injection 2 (3-month)  22.5 mg  planned\n"
        "2027-07-31         gnrh-3  Leuprolide depot 22.5 mg injection 3 (3-month)  22.5 mg  planned\n"
        "2027-10-31         gnrh-4  Leuprolide depot 22.5 mg injection 4 (3-month)  22.5 mg  planned\n"
    )


def test_a_gnrh_injection_has_the_discreet_injection_title(catalog: Catalog) -> None:
    regimen = catalog.get("triptorelin-12w")
    (first,) = [e for e in build_calendar(regimen, START) if e.number == 1]
    assert discreet_title(first, regimen) == "Clinic visit (injection)"


def _views(catalog: Catalog, *courses: tuple[str, date]) -> list[CourseView]:
    made = [Course(i, "P", i, regimen, start) for i, (regimen, start) in enumerate(courses, 1)]
    return course_views(catalog, Settings(), Patient("P"), made, {}, as_of=None)


def test_gnrh_beside_pluvicto_raises_no_ssa_conflict(catalog: Catalog) -> None:
    # Monthly leuprolide injections fall inside every Pluvicto dose's 4 weeks: no washout counts
    # them (they are no SSA), and two GnRH courses are no duplicate SSA either.
    views = _views(
        catalog, ("pluvicto", START), ("leuprolide-1m", date(2027, 1, 20)), ("degarelix", START)
    )
    flags = {f for v in views for e in v.events for f in e.flags}
    assert not flags & {Flag.SSA_WASHOUT_CONFLICT, Flag.DUPLICATE_SSA}
    # Beside Lutathera, whose washout counts long-acting SSA of other courses: monthly
    # octreotide conflicts, monthly leuprolide on the same days does not.
    lar = _views(catalog, ("lutathera", START), ("octreotide-lar", date(2027, 1, 20)))
    assert any(Flag.SSA_WASHOUT_CONFLICT in e.flags for v in lar for e in v.events)
    gnrh = _views(catalog, ("lutathera", START), ("leuprolide-1m", date(2027, 1, 20)))
    assert not any(Flag.SSA_WASHOUT_CONFLICT in e.flags for v in gnrh for e in v.events)


def test_dose_guards_for_gnrh(catalog: Catalog) -> None:
    (view,) = _views(catalog, ("degarelix", START))
    first, second = view.event("gnrh-1"), view.event("gnrh-2")
    assert first is not None
    assert second is not None
    assert full_amount(view.regimen, first) == (
        Quantity(Decimal(240), "mg"),
        view.regimen.dose.loading_source,
    )
    settings = Settings()
    assert amount_guard(view, first, Quantity(Decimal(240), "mg"), settings, START) == []
    (refused,) = amount_guard(view, second, Quantity(Decimal(240), "mg"), settings, START)
    assert "more than 10% above the full 80 mg of gnrh-2 (H1;" in str(refused)
    (leuprolide,) = _views(catalog, ("leuprolide-3m", START))
    gap, why = minimum_gap(leuprolide.regimen, leuprolide, "gnrh", settings)
    assert gap == 84 - 7
    assert why.startswith("every 84 days less the 7-day window: H2")


def test_a_loading_dose_recorded_below_its_amount_is_reduced(catalog: Catalog) -> None:
    fact = Fact(RecordType.GIVEN, START, "gnrh-1", dose=Quantity(Decimal(80), "mg"))
    events = by_key(build_calendar(catalog.get("degarelix"), START, [fact], as_of=START))
    assert Flag.REDUCED_DOSE in events["gnrh-1"].flags
    full = Fact(RecordType.GIVEN, START, "gnrh-1", dose=Quantity(Decimal(240), "mg"))
    events = by_key(build_calendar(catalog.get("degarelix"), START, [full], as_of=START))
    assert events["gnrh-1"].flags == ()


# -- restaging before an SSA injection ---------------------------------------------------------


def test_R12_the_restaging_scan_lands_1_day_before_the_nearest_ssa(catalog: Catalog) -> None:
    events = plan(catalog, "lutathera")
    scan = events["scan-1"]
    planned = add_months(events["prrt-4"].date, 3)
    ssa = [
        e.date
        for e in events.values()
        if e.series == "ssa"
        and planned - timedelta(days=13) <= e.date <= planned + timedelta(days=15)
    ]
    nearest = min(ssa, key=lambda d: abs((d - timedelta(days=1) - planned).days))
    assert scan.date == nearest - timedelta(days=1)
    assert scan.date != planned  # it moved
    assert (scan.window_start, scan.window_end) == (
        planned - timedelta(days=14),
        planned + timedelta(days=14),
    )
    # The 6-month CT/MRI (no SSTR PET) keeps its day.
    assert events["scan-2"].date == add_months(events["prrt-4"].date, 6)
    item = next(a for a in catalog.get("lutathera").after_course if a.key == "scan-1")
    assert item.before_ssa == 1
    assert item.source.startswith("R12")


def test_R12_with_no_ssa_in_the_window_the_scan_keeps_its_day(catalog: Catalog) -> None:
    # A site's copy whose monthly injections end after 1 month: none near the scan.
    assert catalog.get("lutathera").path == "<built-in>/lutathera.toml"
    source = dict(builtin_texts())["<built-in>/lutathera.toml"]
    no_maintenance = source.replace("until_months = 18", "until_months = 1")
    regimen = parse_regimen(no_maintenance, "copy.toml")
    events = by_key(build_calendar(regimen, START))
    assert events["scan-1"].date == add_months(events["prrt-4"].date, 3)


def test_pluvicto_interim_blood_counts_are_a_site_setting(catalog: Catalog) -> None:
    """R17: blood counts "before and during treatment"; the label names no days, so interim
    counts 3 to 4 weeks after each dose are planned only where the site asks for them."""
    pluvicto = catalog.get("pluvicto")
    off = [e for e in build_calendar(pluvicto, START) if e.series == "interim-labs"]
    on = [
        e
        for e in build_calendar(pluvicto, START, settings=Settings(interim_blood_counts=True))
        if e.series == "interim-labs"
    ]
    assert off == []
    assert [(e.key, e.window_start - START) for e in on[:2]] == [
        ("interim-labs-1", timedelta(days=21)),
        ("interim-labs-2", timedelta(days=42 + 21)),
    ]
    related = next(r for r in pluvicto.related if r.series == "interim-labs")
    assert related.setting == "interim_blood_counts"
    assert related.source.startswith("R17:")


def test_a_related_event_names_a_true_or_false_site_setting_only() -> None:
    from schedule.domain.errors import RegimenFileError
    from schedule.domain.regimen_file import builtin_texts, parse_regimen

    text = dict(builtin_texts())["<built-in>/pluvicto.toml"]
    bad = text.replace('setting = "interim_blood_counts"', 'setting = "horizon_days"')
    with pytest.raises(
        RegimenFileError,
        match=r"related\[1\]\.setting: must name a true/false site setting \(interim_blood_counts, ssa_bridging\), not 'horizon_days'",
    ):
        parse_regimen(bad, "site/pluvicto.toml")
