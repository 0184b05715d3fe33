"""Issue 14: clinic reports. A small clinic recorded through the command line (SQLite and
PostgreSQL), every number of the report checked against values computed by hand below, the
JSON and CSV shapes, the HTML page (parsed, one chart per section, the week over capacity, only
greys in the charts) and the refusals."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from commands.report import REPORT_TABLES
from schedule.reports.tables import TABLES

TODAY = "2026-11-23"  # a Monday, ISO week 2026-W48: the clock, and the report's as-of date
SPAN = ("--from", "2026-08-01", "--weeks", "4")  # to: the as-of date


@pytest.fixture
def clinic(prrt, config_dir: Path):  # type: ignore[no-untyped-def]
    """One chair of 2 hours on weekdays, none at weekends: 5 x 1 x 2 = 10 chair-hours a week.

    A  Lutathera from 2026-08-03: labs-1 2026-07-13 (21 d before dose 1: in window, L28);
       prrt-1 and ssa-1 given on 2026-08-03 (on target). prrt-2 due 08-03 + 56 = 09-28
       (window 09-21..10-05, L4), given 10-07: 9 days late, outside the window; its labs-2 on
       08-24 are 44 days before it (more than 28: too early, labs-stale). ssa-2 given with
       it on 10-07 (its target is the day prrt-2 was given). prrt-3 planned 10-07 + 56 =
       2026-12-02 (W49) with ssa-3 the same day.
    B  Lutathera from 2026-10-05: prrt-1 given on target without labs (labs not done), its
       ssa-1 never recorded (window 10-05..10-06: missed). On hold 2026-10-19, resumed
       2026-11-09: 21 days. prrt-2 stays at 10-05 + 56 = 2026-11-30 (W49): its order
       deadline, the Tuesday on or before 11-16, is 11-10, after the resume.
    C  Lutathera from 2026-12-09 (W50): nothing recorded.
    D  Lutathera from 2026-11-16, on hold since that day and still: prrt-1 (due 11-16) and
       ssa-1 (waiting for it, as of 11-23) are held: open; the hold is 11-23 - 11-16 = 7 days.
    E  Octreotide LAR from 2026-10-05 (window 0 days before, 7 after: S10 site settings,
       ssa_early_tolerance_days = 0 here):
       ssa-1 given 10-04, 1 day early (with an override); ssa-2 due 10-04 + 28 = 11-01,
       given 11-11: 10 days late; ssa-3 planned 11-11 + 28 = 2026-12-09 (W50).
    """
    (config_dir / "config.toml").write_text(
        "[site]\nchairs = 1\nchair_hours = 2\nchairs_by_weekday = { saturday = 0, sunday = 0 }\n"
        "ssa_early_tolerance_days = 0\n",
        encoding="utf-8",
    )
    steps = [
        ("patient", "add", "A", "--regimen", "lutathera", "--start", "2026-08-03", "--past-start"),
        ("record", "A", "labs-1", "--date", "2026-07-13"),
        ("record", "A", "prrt-1", "--date", "2026-08-03"),
        ("record", "A", "ssa-1", "--date", "2026-08-03"),
        ("record", "A", "labs-2", "--date", "2026-08-24"),
        ("record", "A", "prrt-2", "--date", "2026-10-07"),
        ("record", "A", "ssa-2", "--date", "2026-10-07"),
        ("patient", "add", "B", "--regimen", "lutathera", "--start", "2026-10-05", "--past-start"),
        ("record", "B", "prrt-1", "--date", "2026-10-05"),
        ("hold", "B", "--reason", "grade 3 thrombocytopenia", "--date", "2026-10-19"),
        ("resume", "B", "--date", "2026-11-09"),
        ("patient", "add", "C", "--regimen", "lutathera", "--start", "2026-12-09"),
        ("patient", "add", "D", "--regimen", "lutathera", "--start", "2026-11-16"),
        ("hold", "D", "--reason", "grade 2 nausea", "--date", "2026-11-16"),
        (
            "patient",
            "add",
            "E",
            "--regimen",
            "octreotide-lar",
            "--start",
            "2026-10-05",
            "--past-start",
        ),
        ("record", "E", "ssa-1", "--date", "2026-10-04", "--override", "travelling"),
        ("record", "E", "ssa-2", "--date", "2026-11-11"),
    ]
    with freeze_time(TODAY):
        for step in steps:
            result = prrt(*step)
            assert result.exit_code == 0, (step, result.stderr)
    return prrt


def report(prrt, *args: str):  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        return prrt("report", *args)


def _dose(regimen: str, series: str, month: str, **counts: int) -> dict[str, Any]:
    zero = dict.fromkeys(("on_time", "early", "late", "missed", "skipped", "open"), 0)
    return {"regimen": regimen, "series": series, "month": month, **zero, **counts}


DOSES = [
    _dose("lutathera", "prrt", "2026-08", on_time=1),  # A prrt-1
    _dose("lutathera", "prrt", "2026-09", late=1),  # A prrt-2, due 09-28, given 10-07
    _dose("lutathera", "prrt", "2026-10", on_time=1),  # B prrt-1
    _dose("lutathera", "prrt", "2026-11", open=1),  # D prrt-1, held
    _dose("lutathera", "ssa", "2026-08", on_time=1),  # A ssa-1
    _dose("lutathera", "ssa", "2026-10", on_time=1, missed=1),  # A ssa-2; B ssa-1
    _dose("lutathera", "ssa", "2026-11", open=1),  # D ssa-1, held with prrt-1
    _dose("octreotide-lar", "ssa", "2026-10", early=1),  # E ssa-1, 1 day early
    _dose("octreotide-lar", "ssa", "2026-11", late=1),  # E ssa-2, 10 days late
]
_NO_BUCKETS = dict.fromkeys(
    ("before_target", "on_target", "late_1_7", "late_8_14", "late_15_28", "late_over_28"), 0
)
DAYS_LATE = [
    # A prrt-1 0, A prrt-2 9, B prrt-1 0: sorted 0 0 9; median 0; p90 at 0.9 x (3 - 1) = 1.8:
    # 0 + 0.8 x (9 - 0) = 7.2.
    {"regimen": "lutathera", "series": "prrt", "given": 3, **_NO_BUCKETS, "on_target": 2,
     "late_8_14": 1, "median": 0, "p90": 7.2},
    # A ssa-1 0, A ssa-2 0.
    {"regimen": "lutathera", "series": "ssa", "given": 2, **_NO_BUCKETS, "on_target": 2,
     "median": 0, "p90": 0},
    # E ssa-1 -1, ssa-2 10: median (-1 + 10) / 2 = 4.5; p90 at 0.9: -1 + 0.9 x 11 = 8.9.
    {"regimen": "octreotide-lar", "series": "ssa", "given": 2, **_NO_BUCKETS,
     "before_target": 1, "late_8_14": 1, "median": 4.5, "p90": 8.9},
]  # fmt: skip
HOLDS = [
    {"regimen": "lutathera", "patient_id": "B", "course": 1, "start": "2026-10-19",
     "end": "2026-11-09", "ended_by": "resume", "days": 21},  # 12 days of October + 9
    {"regimen": "lutathera", "patient_id": "D", "course": 1, "start": "2026-11-16",
     "end": None, "ended_by": "open", "days": 7},  # open: counted to the as-of date 11-23
]  # fmt: skip
_NO_LABS = {"in_window": 0, "too_early": 0, "too_late": 0, "not_done": 0}
LABS = [
    {"regimen": "lutathera", "month": "2026-08", "doses_given": 1, **_NO_LABS, "in_window": 1},
    {"regimen": "lutathera", "month": "2026-09", "doses_given": 1, **_NO_LABS, "too_early": 1},
    {"regimen": "lutathera", "month": "2026-10", "doses_given": 1, **_NO_LABS, "not_done": 1},
]


def _week(
    week: str, monday: str, inf: int, inj: int, hours: float, over_days: int
) -> dict[str, Any]:
    return {
        "week": week, "monday": monday, "infusions": inf, "injections": inj,
        "chair_hours": hours, "capacity": 10, "closed_days": 0, "days_over": over_days,
        "over_capacity": hours > 10,
    }  # fmt: skip


LOAD = [
    _week("2026-W48", "2026-11-23", 0, 0, 0, 0),  # D's doses are held: no chair
    # B prrt-2 11-30 and A prrt-3 12-02: 2 x 5 h (L26) + their LAR 2 x 0.5 h (30 minutes)
    # = 11 > 10: over; each of those days needs 5.5 > 2 h.
    _week("2026-W49", "2026-11-30", 2, 2, 11, 2),
    # C prrt-1 12-09 5 h + C ssa-1 0.5 h + E ssa-3 0.5 h, all on 12-09: 6 <= 10.
    _week("2026-W50", "2026-12-07", 1, 2, 6, 1),
    _week("2026-W51", "2026-12-14", 0, 0, 0, 0),
]


def test_every_number_matches_the_hand_computed_values(clinic) -> None:  # type: ignore[no-untyped-def]
    result = report(clinic, *SPAN, "-f", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "from": "2026-08-01",
        "to": "2026-11-23",
        "as_of": "2026-11-23",
        "weeks": 4,
        "unreadable_courses": 0,
        "tables": {
            "doses": DOSES,
            "days_late": DAYS_LATE,
            "holds": HOLDS,
            "labs": LABS,
            "load": LOAD,
        },
    }


def test_the_report_agrees_with_missed(clinic) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        listed = json.loads(clinic("missed", "--kind", "dose", "-f", "json").stdout)
    reported = json.loads(report(clinic, *SPAN, "-f", "json", "--table", "doses").stdout)
    assert [(r["patient_id"], r["event"]) for r in listed] == [("B", "ssa-1")]
    assert [(r["regimen"], r["series"], r["missed"]) for r in reported if r["missed"]] == [
        ("lutathera", "ssa", 1)  # B's LAR after its first dose: the one `missed` lists
    ]


def test_one_table_as_csv_and_json(clinic) -> None:  # type: ignore[no-untyped-def]
    result = report(clinic, *SPAN, "-f", "csv", "--table", "holds")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "regimen,patient_id,course,start,end,ended_by,days\n"
        "lutathera,B,1,2026-10-19,2026-11-09,resume,21\n"
        "lutathera,D,1,2026-11-16,,open,7\n"
    )
    result = report(clinic, *SPAN, "-f", "json", "--table", "load")
    assert json.loads(result.stdout) == LOAD
    result = report(clinic, *SPAN, "-f", "csv", "--table", "days_late")
    assert result.stdout.splitlines() == [
        "regimen,series,given,before_target,on_target,late_1_7,late_8_14,late_15_28,"
        "late_over_28,median,p90",
        "lutathera,prrt,3,0,2,0,1,0,0,0,7.2",
        "lutathera,ssa,2,0,2,0,0,0,0,0,0",
        "octreotide-lar,ssa,2,1,0,0,1,0,0,4.5,8.9",
    ]


def test_all_tables_as_one_csv_with_a_table_column(clinic) -> None:  # type: ignore[no-untyped-def]
    result = report(clinic, *SPAN, "-f", "csv")
    assert (result.exit_code, result.stderr) == (0, "")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "table,regimen,series,month,on_time,early,late,missed,skipped,open,given,before_target,"
        "on_target,late_1_7,late_8_14,late_15_28,late_over_28,median,p90,patient_id,course,"
        "start,end,ended_by,days,doses_given,in_window,too_early,too_late,not_done,week,monday,"
        "infusions,injections,chair_hours,capacity,closed_days,days_over,over_capacity"
    )
    counts = {name: sum(r["table"] == name for r in rows) for name in TABLES}
    assert counts == {"doses": 9, "days_late": 3, "holds": 2, "labs": 3, "load": 4}
    over = [r for r in rows if r["table"] == "load" and r["over_capacity"] == "True"]
    assert [(r["week"], r["chair_hours"], r["capacity"]) for r in over] == [
        ("2026-W49", "11", "10")
    ]
    assert {r["month"] for r in rows if r["table"] == "load"} == {""}  # other tables' columns


def test_the_summary_fits_80_columns(clinic) -> None:  # type: ignore[no-untyped-def]
    result = report(clinic, *SPAN)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "Clinic report 2026-08-01 to 2026-11-23, as of 2026-11-23\n"
        # 4 on time: A prrt-1, ssa-1, ssa-2, B prrt-1; late A prrt-2, E ssa-2; open D x 2.
        "Doses due: 10: 4 on time, 1 early, 2 late, 1 missed, 0 skipped, 2 open.\n"
        # -1 0 0 0 0 9 10: median 0; p90 at 0.9 x 6 = 5.4: 9 + 0.4 x 1 = 9.4.
        "Days from target to given: median 0, 90th percentile 9.4 (7 doses given).\n"
        "Toxicity holds: 2 (1 still open), median 14 days, longest 21 days.\n"
        "Labs before doses given: 1 of 3 in window (1 too early, 0 too late, 1 not done).\n"
        "Weeks over capacity in the 4 weeks from 2026-11-23: 2026-W49 (11 of 10 chair-\n"
        "  hours).\n"
        "\n"
        "REGIMEN         SERIES  ON TIME  EARLY  LATE  MISSED  SKIPPED  OPEN\n"
        "lutathera       prrt    2        0      1     0       0        1\n"
        "lutathera       ssa     2        0      0     1       0        1\n"
        "octreotide-lar  ssa     0        1      1     0       0        0\n"
        "\n"
        "WEEK      MONDAY      INFUSIONS  INJECTIONS  HOURS  CAPACITY  FLAGS\n"
        "2026-W48  2026-11-23  0          0           0      10\n"
        "2026-W49  2026-11-30  2          2           11     10        over-capacity\n"
        "2026-W50  2026-12-07  1          2           6      10\n"
        "2026-W51  2026-12-14  0          0           0      10\n"
    )
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


class _Page(HTMLParser):
    """The start tags with their attributes, and the text of each row of the load table."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[tuple[str | None, list[str]]] = []
        self._in_load = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "table":
            self._in_load = found.get("id") == "table-load"
        if tag == "tr" and self._in_load:
            self.rows.append((found.get("class"), []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_load = False

    def handle_data(self, data: str) -> None:
        if self._in_load and self.rows and data.strip():
            self.rows[-1][1].append(data.strip())


def test_the_html_page(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.html"
    result = report(clinic, *SPAN, "-o", str(target))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"wrote the report (4 charts) to {target}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    tags = [t for t, _ in page.tags]
    assert text.startswith("<!DOCTYPE html>\n")
    assert page.tags[0] == ("html", {"lang": "en"})
    assert tags.count("svg") == text.count("<svg") == 4  # doses, days late, holds, load
    assert tags.count("figure") == tags.count("figcaption") == 4
    assert tags.count("table") == tags.count("caption") == 5
    assert tags.count("h1") == 1
    assert tags.count("h2") == 6
    assert "script" not in tags
    assert "<script" not in text
    assert not [a for _, attrs in page.tags for a in ("href", "src") if a in attrs]
    assert "@media print" in text
    assert "<li>Weeks over capacity in the 4 weeks from 2026-11-23: 2026-W49 (11 of 10" in text
    # The week over capacity is flagged in its row, in words and not only by its shading.
    over = [cells for cls, cells in page.rows if cls == "over"]
    assert over == [["2026-W49", "2026-11-30", "2", "2", "11", "10", "0", "2", "OVER CAPACITY"]]
    load_svg = re.findall(r"<svg.*?</svg>", text, re.S)[3]
    assert "2026-W49" in load_svg
    assert "OVER" in load_svg
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # four charts on one page, no id twice


def test_the_charts_print_in_black_and_white(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.html"
    assert report(clinic, *SPAN, "-o", str(target)).exit_code == 0
    charts = "".join(re.findall(r"<svg.*?</svg>", target.read_text(encoding="utf-8"), re.S))
    paints = re.findall(r"(?:fill|stroke|stop-color|color)\s*[:=]\s*\"?([^;\"\s]+)", charts)
    assert paints
    for paint in paints:
        if paint in ("none", "currentColor") or paint.startswith("url(#"):
            continue
        digits = paint.lstrip("#").lower()
        assert re.fullmatch(r"[0-9a-f]{6}|[0-9a-f]{3}", digits), paint
        channels = {digits[i : i + 2] for i in (0, 2, 4)} if len(digits) == 6 else set(digits)
        assert len(channels) == 1, f"{paint} is not a grey"
    assert "<pattern" in charts  # the outcomes are told apart by hatching too
    assert 'fill="url(#' in charts or "fill: url(#" in charts


def test_the_default_span_is_the_twelve_months_to_the_as_of_date(clinic) -> None:  # type: ignore[no-untyped-def]
    result = report(clinic, "-f", "json", "--as-of", "2026-10-31")
    data = json.loads(result.stdout)
    assert (data["from"], data["to"], data["as_of"], data["weeks"]) == (
        "2025-11-01", "2026-10-31", "2026-10-31", 12,
    )  # fmt: skip
    # As of 10-31, E's ssa-2 (due 11-01) is not due yet and out of the span; D not started.
    months = {(r["regimen"], r["series"], r["month"]) for r in data["tables"]["doses"]}
    assert ("octreotide-lar", "ssa", "2026-11") not in months
    # Open holds count to the as-of date: B's hold 10-19 .. 10-31 is 12 days, still open.
    assert data["tables"]["holds"] == [{**HOLDS[0], "end": None, "ended_by": "open", "days": 12}]
    assert len(data["tables"]["load"]) == 12
    assert data["tables"]["load"][0]["week"] == "2026-W44"


def test_the_table_names_of_the_command_are_the_librarys() -> None:
    assert REPORT_TABLES == TABLES


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--from", "2026-11-24"), 2,
         "prrt: --from 2026-11-24 is after --to (the as-of date, 2026-11-23) "
         "(see 'prrt report --help')\n"),
        (("--from", "2026-10-01", "--to", "2026-09-30"), 2,
         "prrt: --from 2026-10-01 is after --to 2026-09-30 (see 'prrt report --help')\n"),
        (("--from", "2026-02-30"), 2,
         "prrt: Invalid value for '--from': '2026-02-30' is not a real calendar date; use "
         "YYYY-MM-DD (e.g. 2027-03-01) (see 'prrt report --help')\n"),
        (("--from", "2020-01-01"), 2,
         "prrt: --from and --to span at most five years (see 'prrt report --help')\n"),
        (("--weeks", "0"), 2,
         "prrt: Invalid value for '--weeks': 0 is not in the range 1<=x<=104. "
         "(see 'prrt report --help')\n"),
        (("-f", "csv", "-o", "OUT"), 2,
         "prrt: -o writes the HTML report; --format csv or json prints numbers "
         "(see 'prrt report --help')\n"),
        (("--table", "load"), 2,
         "prrt: --table goes with --format csv or json (see 'prrt report --help')\n"),
        (("--table", "load", "-o", "OUT"), 2,
         "prrt: --table goes with --format csv or json (see 'prrt report --help')\n"),
        (("--table", "patients", "-f", "csv"), 2,
         "prrt: Invalid value for '--table': 'patients' is not one of 'doses', 'days_late', "
         "'holds', 'labs', 'load'. (see 'prrt report --help')\n"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(
    clinic, tmp_path: Path, args: tuple[str, ...], code: int, message: str | None
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.html"
    args = tuple(str(target) if a == "OUT" else a for a in args)
    result = report(clinic, *args)
    assert (result.exit_code, result.stdout) == (code, "")
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("prrt: ")
    if message is not None:
        assert result.stderr == message
    assert not target.exists()
    assert not list(tmp_path.glob("*.html"))


def test_a_folder_or_a_device_is_never_replaced(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "out"
    folder.mkdir()
    result = report(clinic, *SPAN, "-o", str(folder))
    assert (result.exit_code, result.stdout) == (6, "")  # as every output (issue 28)
    assert (
        result.stderr == f"prrt: cannot write {folder}: it is a folder; give the path of a file\n"
    )
    assert list(folder.iterdir()) == []
    result = report(clinic, *SPAN, "-o", "/dev/null")
    assert result.exit_code == 6
    assert result.stderr == (
        "prrt: cannot write /dev/null: it is not a regular file; give the path of a file\n"
    )
