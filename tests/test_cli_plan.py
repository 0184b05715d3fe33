"""`prrt plan` and `prrt regimens`: exact output, the column contract, and refused input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from schedule.output.columns import EVENT_COLUMNS

CONTRACT = [
    "event", "kind", "series", "number", "title", "drug", "dose", "date", "end",
    "window_start", "window_end", "status", "given_on", "flags",
]  # fmt: skip


def test_column_contract_is_the_documented_one() -> None:
    assert list(EVENT_COLUMNS) == CONTRACT


def test_plan_table_first_lines(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "lutathera", "--start", "2027-03-01")
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:8] == [
        "DATE        UNTIL       EVENT                   TITLE                                                                     DOSE     STATUS   FLAGS",
        "2027-02-01              ssa-washout-1           Last day for a monthly SSA injection before PRRT dose 1                            planned",
        "2027-02-01  2027-02-15  labs-1                  Blood tests before PRRT dose 1                                                     planned",
        "2027-02-09              order-1                 Order Lutathera for PRRT dose 1                                                    planned",
        "2027-02-19              cancel-1                Last day to cancel the order for PRRT dose 1 free of charge                        planned",
        "2027-02-28              short-acting-stop-1     Stop short-acting octreotide (24 h before PRRT dose 1)                             planned",
        "2027-02-28  2027-03-02  hydration-1             Drink plenty of fluids around PRRT dose 1                                          planned",
        "2027-03-01              prrt-1                  PRRT dose 1 of 4: Lutathera infusion                                      7.4 GBq  planned",
    ]


def test_plan_json_has_exactly_the_contract_keys(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "lutathera", "--start", "2027-03-01", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert all(list(row) == CONTRACT for row in rows)
    dose = next(r for r in rows if r["event"] == "prrt-2")
    assert dose == {
        "event": "prrt-2",
        "kind": "dose",
        "series": "prrt",
        "number": 2,
        "title": "PRRT dose 2 of 4: Lutathera infusion",
        "drug": "Lutathera (lutetium Lu 177 dotatate)",
        "dose": "7.4 GBq",
        "date": "2027-04-26",
        "end": "2027-04-26",
        "window_start": "2027-04-19",
        "window_end": "2027-05-03",
        "status": "planned",
        "given_on": None,
        "flags": [],
    }


def test_plan_csv_matches_json(run) -> None:  # type: ignore[no-untyped-def]
    as_csv = run("plan", "pluvicto", "--start", "2027-03-01", "-f", "csv").stdout
    as_json = json.loads(run("plan", "pluvicto", "--start", "2027-03-01", "-f", "json").stdout)
    reader = csv.DictReader(io.StringIO(as_csv))
    assert reader.fieldnames == CONTRACT
    rows = list(reader)
    assert len(rows) == len(as_json) == 32  # with Pluvicto's care (issue 24)
    doses = [r for r in rows if r["series"] == "rlt"]
    assert len(doses) == 6
    assert doses[5] == {
        "event": "rlt-6", "kind": "dose", "series": "rlt", "number": "6",
        "title": "Radioligand dose 6 of 6: Pluvicto infusion",
        "drug": "Pluvicto (lutetium Lu 177 vipivotide tetraxetan)", "dose": "7.4 GBq",
        "date": "2027-09-27", "end": "2027-09-27", "window_start": "2027-09-20",
        "window_end": "2027-10-04", "status": "planned", "given_on": "", "flags": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "2027-02-30",
            "'2027-02-30' is not a real calendar date; use YYYY-MM-DD (e.g. 2027-03-01)",
        ),
        ("03/04/2027", "'03/04/2027' is not a date in the form YYYY-MM-DD (e.g. 2027-03-01)"),
        ("next tuesday", "'next tuesday' is not a date in the form YYYY-MM-DD (e.g. 2027-03-01)"),
    ],
)
def test_bad_dates_are_refused_in_one_line(run, value: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "lutathera", "--start", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr == f"prrt: Invalid value for '--start': {problem} (see 'prrt plan --help')\n"
    )


def test_unknown_regimen(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "lutetium", "--start", "2027-03-01")
    assert result.exit_code == 3
    assert result.stderr == (
        "prrt: unknown regimen 'lutetium'; known regimens: degarelix, goserelin-12w, "
        "goserelin-28d, lanreotide, leuprolide-1m, leuprolide-3m, leuprolide-4m, leuprolide-6m, "
        "lutathera, octreotide-lar, pluvicto, triptorelin-12w, triptorelin-24w, triptorelin-4w\n"
    )


def test_interval_not_offered(run) -> None:  # type: ignore[no-untyped-def]
    result = run("plan", "lanreotide", "--start", "2027-03-01", "--interval", "30")
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr
        == "prrt: regimen 'lanreotide' allows an interval of 28, 42, 56 days, not 30\n"
    )


def test_lanreotide_every_56_days(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "plan",
        "lanreotide",
        "--start",
        "2027-03-01",
        "--interval",
        "56",
        "--until",
        "2027-06-30",
        "-f",
        "csv",
    )
    dates = [row["date"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert dates == ["2027-03-01", "2027-04-26", "2027-06-21"]


def test_us_precautions_option(run) -> None:  # type: ignore[no-untyped-def]
    rows = json.loads(
        run(
            "plan", "lutathera", "--start", "2027-03-01", "--precautions", "us", "-f", "json"
        ).stdout
    )
    precautions = next(r for r in rows if r["event"] == "precautions-1")
    assert (precautions["date"], precautions["end"]) == ("2027-03-01", "2027-03-04")


def test_regimens_listing(run) -> None:  # type: ignore[no-untyped-def]
    result = run("regimens")
    assert result.exit_code == 0
    assert result.stdout == (
        "ID               DOSES  DOSE      EVERY         NAME\n"
        "degarelix        open   80 mg     28 d          Degarelix (Firmagon) 240 mg then 80 mg\n"
        "goserelin-12w    open   10.8 mg   84 d          Goserelin implant (Zoladex) 10.8 mg\n"
        "goserelin-28d    open   3.6 mg    28 d          Goserelin implant (Zoladex) 3.6 mg\n"
        "lanreotide       open   120 mg    28/42/56 d    Lanreotide (Somatuline Depot) 120 mg\n"
        "leuprolide-1m    open   7.5 mg    1 mo / 28 d   Leuprolide depot (Lupron Depot) 7.5 mg, 1-month\n"
        "leuprolide-3m    open   22.5 mg   3 mo / 84 d   Leuprolide depot (Lupron Depot) 22.5 mg, 3-month\n"
        "leuprolide-4m    open   30 mg     4 mo / 112 d  Leuprolide depot (Lupron Depot) 30 mg, 4-month\n"
        "leuprolide-6m    open   45 mg     6 mo / 168 d  Leuprolide depot (Lupron Depot) 45 mg, 6-month\n"
        "lutathera        4      7.4 GBq   56 d          Lutathera (lutetium Lu 177 dotatate) PRRT\n"
        "octreotide-lar   open   30 mg     28 d          Octreotide LAR (Sandostatin LAR Depot) 30 mg\n"
        "pluvicto         6      7.4 GBq   42 d          Pluvicto (lutetium Lu 177 vipivotide tetraxetan)\n"
        "triptorelin-12w  open   11.25 mg  84 d          Triptorelin (Trelstar) 11.25 mg\n"
        "triptorelin-24w  open   22.5 mg   168 d         Triptorelin (Trelstar) 22.5 mg\n"
        "triptorelin-4w   open   3.75 mg   28 d          Triptorelin (Trelstar) 3.75 mg\n"
    )


def test_site_regimen_file_and_malformed_one(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nid = "x"\nname = "X"\n[dose]\nseries = "x"\n')
    result = run("--regimen-file", str(bad), "regimens")
    assert result.exit_code == 2
    assert result.stderr == f"prrt: {bad}: dose.amount: is missing\n"


def test_config_settings_choose_the_precaution_variant(run, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text('[site]\nprecautions = "us"\n')
    rows = json.loads(run("plan", "lutathera", "--start", "2027-03-01", "-f", "json").stdout)
    assert next(r for r in rows if r["event"] == "precautions-1")["end"] == "2027-03-04"
    (config_dir / "config.toml").write_text("[site]\nssa_late_tolerance_days = -1\n")
    result = run("plan", "lutathera", "--start", "2027-03-01")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "site.ssa_late_tolerance_days: must be a whole number from 0 to 90\n"
    )


def test_python_cli_py_works_the_same_and_shows_no_traceback(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    env = {"PRRT_CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(root / "cli.py"), "plan", "lutathera", "--start", "2027-13-01"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
