"""Issue 30: the report's charts are SVG written element by element (matplotlib cost most of
`report -o`'s second). The same charts as before: their series, greys and hatches, the counts
on the bars, the dashed capacity line with markers, legends, titles, axis labels and tick
labels, text kept as text in DejaVu Sans; read back with an independent XML parser."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, sample_clinic
from hypothesis import given
from hypothesis import strategies as st

from schedule.reports.charts import CHARTS, TITLES, all_charts
from schedule.reports.collect import Span
from schedule.reports.plot import nice_ticks, tick_text
from schedule.reports.svg import grey, hatch_pattern, text_width
from schedule.reports.tables import BUCKETS, Report

SVG = "{http://www.w3.org/2000/svg}"
SPAN = Span(date(2026, 8, 1), date(2026, 11, 23), date(2026, 11, 23), 3)


def _report(empty: bool = False) -> Report:
    outcomes = ("on_time", "early", "late", "missed", "skipped", "open")
    doses = [
        {"month": "2026-08", **dict(zip(outcomes, (9, 0, 1, 1, 0, 0), strict=True))},
        {"month": "2026-09", **dict(zip(outcomes, (6, 0, 0, 0, 0, 0), strict=True))},
        {"month": "2026-10", **dict(zip(outcomes, (1, 2, 0, 5, 0, 0), strict=True))},
    ]
    late = [dict(zip(BUCKETS, (0, 52, 6, 0, 0, 1), strict=True))]
    holds = [
        {"patient_id": "NET<5>&", "course": 1, "days": 119, "ended_by": "open"},
        {"patient_id": "B", "course": 2, "days": 21, "ended_by": "resume"},
    ]
    load = [
        {"week": "2026-W48", "chair_hours": 6, "capacity": 10, "over_capacity": False},
        {"week": "2026-W49", "chair_hours": 11, "capacity": 10, "over_capacity": True},
        {"week": "2026-W50", "chair_hours": 5.5, "capacity": 8, "over_capacity": False},
    ]
    tables = {"doses": doses, "days_late": late, "holds": holds, "load": load}
    frames = {n: pd.DataFrame([] if empty else rows) for n, rows in tables.items()}
    return Report(SPAN, frames, 0)


def _parsed(report: Report) -> dict[str, ET.Element]:
    return {name: ET.fromstring(text) for name, text in all_charts(report).items()}


def _texts(chart: ET.Element) -> list[str]:
    return [t.text or "" for t in chart.iter(f"{SVG}text")]


def _counts(chart: ET.Element) -> list[str]:
    """What is written on the bars (in 7-point text)."""
    return [t.text or "" for t in chart.iter(f"{SVG}text") if t.get("font-size") == "7"]


def test_each_chart_is_svg_with_its_title_series_labels_and_counts() -> None:
    charts = _parsed(_report())
    assert list(charts) == list(CHARTS)
    for name, chart in charts.items():
        assert chart.tag == f"{SVG}svg"
        assert (chart.get("width"), chart.get("height")) == ("504pt", "216pt")  # 7 x 3 in
        assert chart.get("aria-label") == TITLES[name]
        assert _texts(chart)[-1] != ""
        fonts = {g.get("font-family") for g in chart.iter(f"{SVG}g")}
        assert fonts == {"'DejaVu Sans', sans-serif"}
    doses = _texts(charts["doses"])
    assert TITLES["doses"] in doses
    assert {"on time", "early", "late", "missed", "doses"} <= set(doses)  # legend, axis label
    assert {"2026-08", "2026-09", "2026-10"} <= set(doses)  # the months, turned
    assert sorted(_counts(charts["doses"])) == ["1", "1", "1", "2", "5", "6", "9"]
    late = _texts(charts["days_late"])
    assert {"before", "target", "on", "1-7 d", "over", "28 d late", "doses given"} <= set(late)
    assert _counts(charts["days_late"]) == ["52", "6", "1"]
    assert {"0", "10", "60"} <= set(late)  # ticks
    holds = _texts(charts["holds"])
    assert {"NET<5>& course 1", "B course 2"} <= set(holds)
    assert _counts(charts["holds"]) == ["119 d (still open)", "21 d"]
    assert {"days on hold", "0", "20", "160"} <= set(holds)
    load = _texts(charts["load"])
    assert {"capacity", "chair-hours planned", "over capacity", "chair-hours"} <= set(load)
    assert {"2026-W48", "2026-W49", "2026-W50"} <= set(load)
    assert _counts(charts["load"]) == ["6", "11", "OVER", "5.5"]  # OVER above its count


def test_the_month_and_week_labels_are_turned_45_degrees() -> None:
    for name, labels in (("doses", "2026-0"), ("load", "2026-W")):
        chart = _parsed(_report())[name]
        turned = [t for t in chart.iter(f"{SVG}text") if (t.text or "").startswith(labels)]
        assert turned
        assert all(
            re.fullmatch(r"rotate\(-45 [\d.]+ [\d.]+\)", t.get("transform", "")) for t in turned
        )
        assert {t.get("text-anchor") for t in turned} == {"end"}


def _directions(pattern: ET.Element) -> set[str]:
    """'rising' and/or 'falling': the lines of a hatch pattern."""
    path = pattern.find(f"{SVG}path")
    assert path is not None
    found = set()
    for x1, y1, x2, y2 in re.findall(r"M(\S+) (\S+) L(\S+) (\S+)", path.get("d", "")):
        slope = (float(y2) - float(y1)) / (float(x2) - float(x1))
        found.add("rising" if slope < 0 else "falling")  # y runs down in SVG
    return found


def test_the_series_are_told_apart_by_grey_and_hatch() -> None:
    charts = _parsed(_report())
    expected = {
        "doses": {("#d9d9d9", "falling"), ("#999999", "rising"), ("#404040", "both")},
        "days_late": {("#cccccc", "rising")},
        "holds": {("#ffffff", "rising")},  # a hold still open
        "load": {("#4d4d4d", "both")},  # a week over capacity
    }
    for name, chart in charts.items():
        seen = set()
        for pattern in chart.iter(f"{SVG}pattern"):
            ground = pattern.find(f"{SVG}rect")
            assert ground is not None
            lines = _directions(pattern)
            seen.add((ground.get("fill"), "both" if len(lines) == 2 else lines.pop()))
        assert seen == expected[name], name
    fills = {r.get("fill") for r in charts["doses"].iter(f"{SVG}rect")}
    assert "#ffffff" in fills  # on time: white, unhatched


def test_the_capacity_is_a_dashed_step_line_with_a_marker_each_week() -> None:
    chart = _parsed(_report())["load"]
    dashed = [p for p in chart.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 2  # the line, and its legend's handle
    steps = re.findall(r"[ML](\S+) (\S+)", dashed[0].get("d", ""))
    assert len(steps) == 2 + 2 * 2  # each week, with a step half-way between two
    assert len(list(chart.iter(f"{SVG}circle"))) == 3 + 1  # a dot a week, one in the legend


def test_ids_are_unique_on_the_page_and_every_reference_stays_in_its_chart() -> None:
    charts = all_charts(_report())
    ids = [i for text in charts.values() for i in re.findall(r'\bid="([^"]+)"', text)]
    assert len(ids) == len(set(ids))
    for name, text in charts.items():
        own = set(re.findall(r'\bid="([^"]+)"', text))
        assert all(i.startswith(f"{name}-") for i in own)
        used = set(re.findall(r"url\(#([^)]+)\)", text))
        assert used
        assert used <= own


def test_the_same_report_gives_the_same_bytes() -> None:
    assert all_charts(_report()) == all_charts(_report())


def test_empty_tables_give_charts_that_say_so() -> None:
    charts = _parsed(_report(empty=True))
    said = {
        "doses": "no doses due in this span",
        "days_late": "no dose given in this span",
        "holds": "no toxicity hold in this span",
        "load": "no weeks",
    }
    for name, chart in charts.items():
        assert _texts(chart) == [TITLES[name], said[name]]


def test_the_report_page_imports_no_matplotlib_nor_sqlalchemy_and_repeats_its_bytes(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db = sample_clinic(run, tmp_path / "s.db")
    pages = []
    for name in ("one.html", "two.html"):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(ROOT / "cli.py"), "--db", db, "report",
             "--as-of", "2026-11-23", "-o", str(tmp_path / name)],
            capture_output=True, text=True, cwd=ROOT, check=True,
        )  # fmt: skip
        assert "matplotlib" not in done.stderr
        assert "sqlalchemy" not in done.stderr  # an SQLite file is read through sqlite3
        pages.append((tmp_path / name).read_bytes())
    assert pages[0] == pages[1]
    charts = re.findall(rb"<svg.*?</svg>", pages[0], re.S)
    assert len(charts) == 4
    for chart in charts:
        ET.fromstring(chart)


@pytest.mark.parametrize(
    ("top", "bins", "ticks"),
    [
        (11.55, 8, [0, 2, 4, 6, 8, 10]),  # the doses chart of the sample clinic, as matplotlib
        (63.4, 8, [0, 10, 20, 30, 40, 50, 60]),
        (161.65, 9, [0, 20, 40, 60, 80, 100, 120, 140, 160]),
        (6.0, 8, [0, 1, 2, 3, 4, 5, 6]),
        (0.0, 8, [0]),
    ],
)
def test_ticks_at_round_numbers(top: float, bins: int, ticks: list[float]) -> None:
    assert nice_ticks(top, bins) == ticks


@given(st.floats(min_value=0.01, max_value=1e6), st.integers(min_value=1, max_value=9))
def test_ticks_are_even_steps_of_one_two_two_and_a_half_or_five(top: float, bins: int) -> None:
    ticks = nice_ticks(top, bins)
    assert ticks[0] == 0
    assert ticks[-1] <= top * (1 + 1e-9)
    assert len(ticks) - 1 <= bins
    if len(ticks) > 1:
        step = ticks[1]
        mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
        assert round(mantissa, 6) in (1, 2, 2.5, 5)
        assert all(abs(b - a - step) <= step * 1e-6 for a, b in itertools.pairwise(ticks))
    assert len(set(tick_text(ticks))) == len(ticks)


def test_greys_and_widths_as_matplotlib_and_dejavu_have_them() -> None:
    assert [grey(g) for g in (1.0, 0.85, 0.6, 0.3, 0.25, 0.0)] == [
        "#ffffff", "#d9d9d9", "#999999", "#4d4d4d", "#404040", "#000000",
    ]  # fmt: skip
    assert text_width("0", 10) == pytest.approx(6.36)  # DejaVu Sans: 1303 of 2048 units
    assert text_width("W", 10, bold=True) > text_width("W", 10)
    assert text_width("é", 10) > 0
    assert 'id="x-hatch-1"' in hatch_pattern("x-hatch-1", "#ffffff", "////")
