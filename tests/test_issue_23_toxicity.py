"""Issue 23: treatment changes as the labels write them. Holds record a toxicity and its CTCAE
grade; each regimen's dose-modification table decides the expected dose; recurrence and the
labels' stop rules raise `discontinue-per-label`; max-delay counts only toxicity delays; SSA
goes on during a hold (bridging); windows follow re-plans; explain cites the regimen's own rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.domain.model import Event, Fact, Flag, RecordType, Status
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.settings import Settings
from schedule.domain.units import Quantity
from schedule.engine.calendar import build_calendar
from tests.conftest import D

GIVEN, HOLD, RESUME = RecordType.GIVEN, RecordType.HOLD, RecordType.RESUME


def gave(key: str, day: str, dose: str | None = None) -> Fact:
    return Fact(GIVEN, D(day), key, Quantity.parse(dose) if dose else None)


def hold(day: str, toxicity: str | None = None, grade: int | None = None, note: str = "") -> Fact:
    return Fact(HOLD, D(day), None, note=note, toxicity=toxicity, grade=grade)


def resume(day: str, override: str | None = None) -> Fact:
    return Fact(RESUME, D(day), None, override=override)


def events(
    regimen: Regimen, start: str, facts: Sequence[Fact], as_of: str | None, **kw
) -> dict[str, Event]:  # type: ignore[no-untyped-def]
    built = build_calendar(regimen, D(start), facts, as_of=D(as_of) if as_of else None, **kw)
    return {e.key: e for e in built}


LUTATHERA_TWO = [
    gave("prrt-1", "2025-03-03", "7.4 GBq"),
    gave("ssa-1", "2025-03-03"),
    gave("prrt-2", "2025-04-28", "7.4 GBq"),
    gave("ssa-2", "2025-04-28"),
]


# -- expected dose, recurrence, stop rules (Lutathera: T1-T7, L7, L10, L11) --------------------


def test_lutathera_recurrence_at_the_reduced_dose_flags_discontinue_per_label(
    lutathera: Regimen,
) -> None:
    facts = [
        *LUTATHERA_TWO,
        hold("2025-05-20", "thrombocytopenia", 2),
        resume("2025-06-10"),
        gave("prrt-3", "2025-07-01", "3.7 GBq"),
        hold("2025-07-20", "thrombocytopenia", 2),
    ]
    found = events(lutathera, "2025-03-03", facts, "2025-08-01")
    assert found["prrt-4"].status is Status.HELD
    assert found["prrt-4"].dose == "3.7 GBq"
    assert Flag.DISCONTINUE_PER_LABEL in found["prrt-4"].flags
    assert Flag.DISCONTINUE_PER_LABEL not in found["prrt-3"].flags


def test_lutathera_full_dose_comes_back_after_a_reduced_dose_without_recurrence(
    lutathera: Regimen,
) -> None:
    facts = [
        *LUTATHERA_TWO,
        hold("2025-05-20", "thrombocytopenia", 3),
        resume("2025-06-10"),
        gave("prrt-3", "2025-07-01", "3.7 GBq"),
    ]
    found = events(lutathera, "2025-03-03", facts, "2025-07-02")
    assert (found["prrt-3"].dose, found["prrt-4"].dose) == ("3.7 GBq", "7.4 GBq")
    assert Flag.REDUCED_DOSE not in found["prrt-4"].flags


def test_a_hold_that_is_not_a_toxicity_keeps_the_full_dose_and_no_max_delay(
    lutathera: Regimen,
) -> None:
    facts = [*LUTATHERA_TWO, hold("2025-05-20", "other", note="patient's choice")]
    found = events(lutathera, "2025-03-03", facts, "2026-01-05")
    assert found["prrt-3"].dose == "7.4 GBq"
    assert found["prrt-3"].flags == ()


def test_max_delay_is_not_flagged_for_a_dose_simply_never_recorded(lutathera: Regimen) -> None:
    facts = LUTATHERA_TWO[:2]
    found = events(lutathera, "2025-03-03", facts, "2026-01-05")
    assert found["prrt-2"].status is Status.MISSED
    assert Flag.MAX_DELAY_EXCEEDED not in found["prrt-2"].flags


def test_max_delay_is_flagged_when_a_toxicity_hold_delays_the_dose_16_weeks(
    lutathera: Regimen,
) -> None:
    facts = [*LUTATHERA_TWO, hold("2025-05-20", "anaemia", 3)]
    planned = D("2025-04-28") + timedelta(days=56)
    just_short = events(lutathera, "2025-03-03", facts, str(planned + timedelta(days=111)))
    over = events(lutathera, "2025-03-03", facts, str(planned + timedelta(days=112)))
    assert Flag.MAX_DELAY_EXCEEDED not in just_short["prrt-3"].flags
    assert Flag.MAX_DELAY_EXCEEDED in over["prrt-3"].flags


def test_a_toxicity_no_row_names_changes_no_dose(lutathera: Regimen) -> None:
    """Grade 2 anaemia has no row in Lutathera's table (T2 starts at grade 3)."""
    facts = [*LUTATHERA_TWO, hold("2025-05-20", "anaemia", 2), resume("2025-06-10")]
    found = events(lutathera, "2025-03-03", facts, "2025-06-11")
    assert found["prrt-3"].dose == "7.4 GBq"


def test_a_window_follows_the_re_planned_dose_given_on_its_day(lutathera: Regimen) -> None:
    facts = [*LUTATHERA_TWO, hold("2025-05-20", "thrombocytopenia", 2), resume("2025-08-01")]
    planned = events(lutathera, "2025-03-03", facts, "2025-08-02")["prrt-3"]
    given = events(
        lutathera,
        "2025-03-03",
        [*facts, gave("prrt-3", str(planned.date), "3.7 GBq")],
        "2025-09-01",
    )["prrt-3"]
    assert (given.window_start, given.window_end) == (planned.window_start, planned.window_end)
    assert Flag.OUTSIDE_WINDOW not in given.flags


# -- Pluvicto: R3, R13-R16 ------------------------------------------------------------------


PLUVICTO_ONE = [gave("rlt-1", "2025-01-06", "7.4 GBq")]


def test_pluvicto_grade_2_myelosuppression_withholds_without_reducing(catalog: Catalog) -> None:
    facts = [*PLUVICTO_ONE, hold("2025-02-10", "neutropenia", 2), resume("2025-02-24")]
    found = events(catalog.get("pluvicto"), "2025-01-06", facts, "2025-02-25")
    assert found["rlt-2"].dose == "7.4 GBq"


def test_pluvicto_reduces_once_and_never_goes_back_up(catalog: Catalog) -> None:
    pluvicto = catalog.get("pluvicto")
    facts = [
        *PLUVICTO_ONE,
        hold("2025-02-10", "thrombocytopenia", 3),
        resume("2025-03-03"),
        gave("rlt-2", "2025-03-10", "5.9 GBq"),
        gave("rlt-3", "2025-04-21", "5.9 GBq"),
        hold("2025-05-01", "other", note="infection"),
        resume("2025-05-20"),
    ]
    found = events(pluvicto, "2025-01-06", facts, "2025-05-21")
    assert [found[f"rlt-{n}"].dose for n in range(2, 7)] == ["5.9 GBq"] * 5
    assert all(Flag.DISCONTINUE_PER_LABEL not in e.flags for e in found.values())


def test_pluvicto_recurrence_after_the_one_reduction_and_grade_3_renal_discontinue(
    catalog: Catalog,
) -> None:
    pluvicto = catalog.get("pluvicto")
    base = [
        *PLUVICTO_ONE,
        hold("2025-02-10", "anaemia", 3),
        resume("2025-03-03"),
        gave("rlt-2", "2025-03-10", "5.9 GBq"),
    ]
    again = events(
        pluvicto, "2025-01-06", [*base, hold("2025-04-01", "neutropenia", 4)], "2025-04-02"
    )
    assert Flag.DISCONTINUE_PER_LABEL in again["rlt-3"].flags
    renal = events(
        pluvicto, "2025-01-06", [*PLUVICTO_ONE, hold("2025-02-10", "renal", 3)], "2025-02-11"
    )
    assert Flag.DISCONTINUE_PER_LABEL in renal["rlt-2"].flags


def test_a_resume_with_a_clinicians_override_goes_on_past_the_stop_rule(catalog: Catalog) -> None:
    facts = [*PLUVICTO_ONE, hold("2025-02-10", "renal", 3)]
    on = events(
        catalog.get("pluvicto"),
        "2025-01-06",
        [*facts, resume("2025-03-01", "benefit")],
        "2025-03-02",
    )
    assert Flag.DISCONTINUE_PER_LABEL not in on["rlt-2"].flags


# -- SSA cover during a hold (L15, L19, L20) ---------------------------------------------------


def test_a_hold_keeps_long_acting_ssa_every_28_days_and_the_washout(lutathera: Regimen) -> None:
    """The issue's case: hold 2025-05-26 to 2025-08-01 after the LAR of 2025-04-28."""
    facts = [*LUTATHERA_TWO, hold("2025-05-26", "thrombocytopenia", 2), resume("2025-08-01")]
    found = events(lutathera, "2025-03-03", facts, None)  # the plan as it stands
    bridges = sorted((e for e in found.values() if e.series == "ssa-bridge"), key=lambda e: e.date)
    assert [b.date for b in bridges] == [D("2025-05-26"), D("2025-06-23"), D("2025-07-21")]
    dose = found["prrt-3"]
    assert (dose.date - bridges[-1].date).days >= 28
    assert Flag.SSA_WASHOUT_CONFLICT not in dose.flags


def test_a_bridging_injection_given_late_moves_the_dose_past_its_washout(
    lutathera: Regimen,
) -> None:
    facts = [
        *LUTATHERA_TWO,
        hold("2025-05-26", "thrombocytopenia", 2),
        gave("ssa-bridge-1", "2025-05-26"),
        gave("ssa-bridge-2", "2025-06-23"),
        gave("ssa-bridge-3", "2025-07-30"),
        resume("2025-08-01"),
    ]
    found = events(lutathera, "2025-03-03", facts, "2025-08-02")
    assert found["prrt-3"].date >= D("2025-08-27")
    assert Flag.SSA_WASHOUT_CONFLICT not in found["prrt-3"].flags


def test_an_open_hold_plans_the_next_bridging_injection_only(lutathera: Regimen) -> None:
    facts = [*LUTATHERA_TWO, hold("2025-05-26", "renal", 2)]
    found = events(lutathera, "2025-03-03", facts, "2025-05-26")
    assert [k for k in found if k.startswith("ssa-bridge")] == ["ssa-bridge-1"]
    given = events(
        lutathera, "2025-03-03", [*facts, gave("ssa-bridge-1", "2025-05-26")], "2025-06-20"
    )
    assert [k for k in given if k.startswith("ssa-bridge")] == ["ssa-bridge-1", "ssa-bridge-2"]
    assert given["ssa-bridge-2"].date == D("2025-06-23")
    assert Flag.SSA_WASHOUT_CONFLICT not in given["ssa-bridge-2"].flags


def test_a_second_holds_bridging_injection_leaves_the_first_hold_and_given_doses_alone(
    lutathera: Regimen,
) -> None:
    """A bridging injection recorded in a later hold belongs to that hold: a dose already
    given keeps its target and window, and no second injection is asked for."""
    first = [
        *LUTATHERA_TWO,
        hold("2025-05-26", "thrombocytopenia", 2),
        gave("ssa-bridge-1", "2025-05-26"),
        resume("2025-06-20"),
    ]
    before = events(lutathera, "2025-03-03", first, "2025-06-21")["prrt-3"]
    given = [*first, gave("prrt-3", str(before.date), "3.7 GBq"), gave("ssa-3", str(before.date))]
    second = [*given, hold(str(before.date + timedelta(days=21)), "renal", 2)]
    bridge = before.date + timedelta(days=28)
    found = events(
        lutathera, "2025-03-03", [*second, gave("ssa-bridge-2", str(bridge))], str(bridge)
    )
    assert (found["prrt-3"].date, found["prrt-3"].window_start) == (
        before.date,
        before.window_start,
    )
    assert Flag.OUTSIDE_WINDOW not in found["prrt-3"].flags
    assert found["ssa-bridge-1"].given_on == D("2025-05-26")
    assert found["ssa-bridge-2"].given_on == bridge
    assert found["ssa-bridge-3"].date == bridge + timedelta(days=28)  # not today


def test_after_course_care_waits_on_a_held_last_dose(lutathera: Regimen) -> None:
    facts = [
        *LUTATHERA_TWO,
        gave("prrt-3", "2025-06-23", "7.4 GBq"),
        gave("ssa-3", "2025-06-23"),
        hold("2025-07-20", "renal", 2),
    ]
    found = events(lutathera, "2025-03-03", facts, "2025-12-01")
    assert found["prrt-4"].status is Status.HELD
    assert found["followup-labs-1"].status is Status.HELD
    planned = sorted(
        e.date
        for e in found.values()
        if e.series in ("ssa", "ssa-bridge") and e.given_on is None and e.status is not Status.HELD
    )
    assert len(planned) == len(set(planned))  # never two injections on one day


def test_a_toxicity_that_began_after_the_delay_limit_delayed_nothing(lutathera: Regimen) -> None:
    facts = [*LUTATHERA_TWO[:2], hold("2026-01-05", "anaemia", 3)]
    found = events(lutathera, "2025-03-03", facts, "2026-01-06")
    assert Flag.MAX_DELAY_EXCEEDED not in found["prrt-2"].flags


def test_pluvicto_a_further_reduction_past_its_one_is_a_stop(catalog: Catalog) -> None:
    facts = [
        *PLUVICTO_ONE,
        hold("2025-02-10", "thrombocytopenia", 3),
        resume("2025-03-03"),
        gave("rlt-2", "2025-03-10", "5.9 GBq"),
        hold("2025-04-01", "gastrointestinal", 3),
    ]
    found = events(catalog.get("pluvicto"), "2025-01-06", facts, "2025-04-02")
    assert Flag.DISCONTINUE_PER_LABEL in found["rlt-3"].flags


def test_bridging_off_still_shows_and_counts_what_was_recorded(lutathera: Regimen) -> None:
    facts = [
        *LUTATHERA_TWO,
        hold("2025-05-26", "thrombocytopenia", 2),
        gave("ssa-bridge-1", "2025-07-20"),
        resume("2025-07-22"),
    ]
    found = events(
        lutathera, "2025-03-03", facts, "2025-07-23", settings=Settings(ssa_bridging=False)
    )
    assert found["ssa-bridge-1"].given_on == D("2025-07-20")
    assert (found["prrt-3"].date - D("2025-07-20")).days >= 28


def test_bridging_is_a_site_setting(lutathera: Regimen) -> None:
    facts = [*LUTATHERA_TWO, hold("2025-05-26", "thrombocytopenia", 2), resume("2025-08-01")]
    found = events(
        lutathera, "2025-03-03", facts, "2025-08-02", settings=Settings(ssa_bridging=False)
    )
    assert not [k for k in found if k.startswith("ssa-bridge")]


# -- through the command line, on SQLite and PostgreSQL ---------------------------------------


@pytest.fixture
def treated(prrt):  # type: ignore[no-untyped-def]
    """NET-1 on Lutathera from 2025-03-03 (cannot become pregnant: no pregnancy tests), two
    doses and their LARs given."""
    with freeze_time("2025-05-01"):
        assert (
            prrt(
                "patient",
                "add",
                "NET-1",
                "--regimen",
                "lutathera",
                "--start",
                "2025-03-03",
                "--past-start",
                "--pregnancy",
                "no",
            ).exit_code
            == 0
        )
        for key, day in (
            ("prrt-1", "2025-03-03"),
            ("ssa-1", "2025-03-03"),
            ("prrt-2", "2025-04-28"),
            ("ssa-2", "2025-04-28"),
        ):
            assert prrt("record", "NET-1", key, "--date", day).exit_code == 0
    return prrt


def test_cli_hold_stores_the_toxicity_and_grade_and_history_shows_them(treated) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        result = treated("hold", "NET-1", "--toxicity", "Thrombocytopenia", "--grade", "2")
        assert (result.exit_code, result.output) == (
            0,
            "NET-1 is on hold from 2025-05-20, for review on 2025-06-03 (record 5)\n",
        )
        rows = json.loads(treated("history", "NET-1", "--format", "json").output)
        table = treated("history", "NET-1").output.splitlines()
    assert table[-1].endswith("2025-05-20        grade 2 thrombocytopenia; review 2025-06-03")
    assert (rows[-1]["action"], rows[-1]["toxicity"], rows[-1]["grade"]) == (
        "hold",
        "thrombocytopenia",
        2,
    )
    with freeze_time("2025-05-21"):
        shown = json.loads(treated("show", "NET-1", "--format", "json").output)
        table = treated("show", "NET-1").output
    dose = next(r for r in shown if r["event"] == "prrt-3")
    assert (dose["status"], dose["reason"], dose["since"]) == (
        "held",
        "grade 2 thrombocytopenia",
        "2025-05-20",
    )
    assert "on hold since 2025-05-20: grade 2 thrombocytopenia" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--toxicity", "renal"),
            "prrt: a renal toxicity needs its CTCAE grade; give --grade 1 to 5\n",
        ),
        (
            ("--grade", "2", "--reason", "x"),
            "prrt: a grade belongs to a toxicity; name it with --toxicity TYPE\n",
        ),
        (
            ("--toxicity", "bone", "--grade", "2"),
            "prrt: unknown toxicity 'bone'; choose one of thrombocytopenia, anaemia, neutropenia, lymphopenia, other-haematological, renal, hepatic, xerostomia, gastrointestinal, other-non-haematological, other\n",
        ),
        (
            ("--toxicity", "renal", "--grade", "7"),
            "prrt: grade 7 is not a CTCAE grade; give 1 to 5\n",
        ),
        ((), "prrt: a reason is required; give --reason TEXT\n"),
    ],
)
def test_cli_hold_refuses_an_incomplete_cause_and_stores_nothing(treated, args, message) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        result = treated("hold", "NET-1", *args)
        assert (result.exit_code, result.stderr) == (2, message)
        assert len(json.loads(treated("history", "NET-1", "--format", "json").output)) == 6


def test_cli_records_the_expected_dose_and_refuses_above_it(treated) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        treated("hold", "NET-1", "--toxicity", "thrombocytopenia", "--grade", "2")
    with freeze_time("2025-06-10"):
        treated("resume", "NET-1")
    with freeze_time("2025-07-01"):
        shown = json.loads(treated("show", "NET-1", "--format", "json").output)
        dose = next(r for r in shown if r["event"] == "prrt-3")
        assert (dose["dose"], dose["flags"]) == ("3.7 GBq", ["reduced-dose", "labs-missing"])
        day = dose["date"]
        full = treated("record", "NET-1", "prrt-3", "--date", day, "--dose", "7.4 GBq")
        assert full.exit_code == 4
        assert full.stderr.startswith(
            "prrt: dose 7.4 GBq is more than 10% above the expected 3.7 GBq of prrt-3 (reduced after grade 2 thrombocytopenia (hold of 2025-05-20): T1, L7, L11;"
        )
        slip = treated("record", "NET-1", "prrt-3", "--date", day, "--dose", "0.74 GBq")
        assert slip.exit_code == 4
        assert "likely a unit or typing slip" in slip.stderr
        assert (
            treated("record", "NET-1", "prrt-3", "--date", day, "--dose", "3.7 GBq").exit_code == 0
        )
        low = treated("record", "NET-1", "ssa-3", "--date", day, "--dose", "7.4 mg")
        assert low.exit_code == 0
        shown = {
            r["event"]: r for r in json.loads(treated("show", "NET-1", "--format", "json").output)
        }
    assert shown["ssa-3"]["flags"] == ["dose-below-expected"]
    with freeze_time("2025-07-01"):
        explained = treated("explain", "NET-1", "ssa-3").output.splitlines()
    assert explained[-1] == (
        "flag dose-below-expected: ssa-3 recorded as 7.4 mg; the full amount is 30 mg (L18); "
        "more than 10% below the expected amount, site setting dose_tolerance_percent"
    )
    assert shown["prrt-3"]["flags"] == ["reduced-dose", "labs-missing"]


def test_cli_recurrence_is_on_due_and_missed_until_a_clinician_decides(treated) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        treated("hold", "NET-1", "--toxicity", "thrombocytopenia", "--grade", "2")
    with freeze_time("2025-06-10"):
        treated("resume", "NET-1")
    with freeze_time("2025-07-01"):
        day = next(
            r["date"]
            for r in json.loads(treated("show", "NET-1", "--format", "json").output)
            if r["event"] == "prrt-3"
        )
    with freeze_time(day):
        assert (
            treated("record", "NET-1", "prrt-3", "--date", day, "--dose", "3.7 GBq").exit_code == 0
        )
        held = treated("hold", "NET-1", "--toxicity", "thrombocytopenia", "--grade", "3")
        assert held.exit_code == 0
        assert held.output.splitlines()[1] == (
            f"prrt-4 meets the label's stop rule: grade 3 thrombocytopenia (hold of {day}) "
            "recurred after restarting at the reduced dose: permanent discontinuation (T1, L7, "
            "L11); a clinician confirms it with 'prrt discontinue NET-1 --reason ...', or goes "
            "on with 'prrt resume NET-1 --override REASON'"
        )
        for listing in ("due", "missed"):
            rows = json.loads(treated(listing, "--format", "json").output)
            assert [r["event"] for r in rows if "discontinue-per-label" in r["flags"]] == ["prrt-4"]
        refused = treated("resume", "NET-1")
        assert refused.exit_code == 4
        assert "meets the label's stop rule: grade 3 thrombocytopenia" in refused.stderr
        assert (
            "recurred after restarting at the reduced dose: permanent discontinuation (T1, L7, L11)"
            in refused.stderr
        )
        explained = treated("explain", "NET-1", "prrt-4").output
        assert "flag discontinue-per-label: grade 3 thrombocytopenia" in explained
        assert (
            treated(
                "resume", "NET-1", "--override", "tumour response; haematologist agrees"
            ).exit_code
            == 0
        )
        rows = json.loads(treated("due", "--format", "json").output)
    assert not [r for r in rows if "discontinue-per-label" in r["flags"]]


def test_pluvicto_explain_cites_its_own_rows(prrt) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-01-06"):
        prrt(
            "patient",
            "add",
            "PC-1",
            "--regimen",
            "pluvicto",
            "--start",
            "2025-01-06",
            "--past-start",
        )
        prrt("record", "PC-1", "rlt-1", "--date", "2025-01-06", "--dose", "7.4 GBq")
    with freeze_time("2025-02-10"):
        prrt("hold", "PC-1", "--toxicity", "anaemia", "--grade", "3")
    with freeze_time("2025-04-01"):
        explained = prrt("explain", "PC-1", "rlt-2").output
    assert "consider permanent discontinuation" in explained
    assert "flag max-delay-exceeded" in explained
    assert "R14" in explained
    assert "R2, R16" in explained
    assert not any(f"L{n}" in explained for n in range(1, 50))


def test_the_export_and_import_carry_a_holds_toxicity(treated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        treated(
            "hold", "NET-1", "--toxicity", "renal", "--grade", "2", "--reason", "creatinine up 45%"
        )
        out = tmp_path / "records.csv"
        assert treated("export", "doses", "-o", str(out)).exit_code == 0
    text = out.read_text()
    assert text.splitlines()[0].endswith(",toxicity,grade")
    assert "creatinine up 45%,1,hold,,2025-06-03,,renal,2" in text


def test_a_discontinued_course_on_hold_plans_no_more_bridging(lutathera: Regimen) -> None:
    facts = [
        *LUTATHERA_TWO,
        hold("2025-05-26", "renal", 2),
        Fact(RecordType.DISCONTINUED, D("2025-06-30"), None, note="progression"),
    ]
    found = events(lutathera, "2025-03-03", facts, "2025-12-01")
    bridges = [e for e in found.values() if e.series == "ssa-bridge"]
    # What was pending ends with the course (its care after it goes on: maintenance).
    assert [(e.key, e.status) for e in bridges] == [("ssa-bridge-1", Status.CANCELLED)]


def test_a_bridging_injection_that_no_longer_fits_before_the_dose_is_no_longer_due(
    lutathera: Regimen,
) -> None:
    """Given today, it would fall inside the washout before the re-planned dose: it stays
    missed (to be skipped), not overdue on `due`."""
    facts = [*LUTATHERA_TWO, hold("2025-05-26", "renal", 2), resume("2025-09-01")]
    found = events(lutathera, "2025-03-03", facts, "2025-09-01")
    bridges = [e for e in found.values() if e.series == "ssa-bridge"]
    assert [(e.key, e.status) for e in bridges] == [("ssa-bridge-1", Status.MISSED)]
    assert (found["prrt-3"].date - D("2025-09-01")).days < 28


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--grade", "2"), "prrt: a grade belongs to a toxicity; name it with --toxicity TYPE\n"),
        (
            ("--toxicity", "other", "--grade", "3", "--reason", "infection"),
            "prrt: a hold for another cause (other) takes no grade\n",
        ),
    ],
)
def test_cli_hold_names_the_grade_problem_first(treated, args, message) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        result = treated("hold", "NET-1", *args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_cli_a_discontinuation_is_not_dated_before_the_last_dose_given(treated) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-05-20"):
        result = treated("discontinue", "NET-1", "--reason", "x", "--date", "2025-01-01")
        rows = json.loads(treated("history", "NET-1", "--format", "json").output)
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: date 2025-01-01 is before the last dose given (2025-04-28); a course stops on "
        "or after it\n",
    )
    assert [r["action"] for r in rows].count("discontinued") == 0
