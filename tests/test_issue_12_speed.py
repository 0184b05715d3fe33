"""Issue 12: what the speed work must not change. The CSV reader keeps each row's own line
(blank lines and line breaks inside quoted cells counted) and refuses what it cannot place;
the worklists built with a cutoff at their horizon list exactly what a full build lists."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedule.domain.course import Course, Patient
from schedule.domain.errors import InputError
from schedule.domain.model import Fact, RecordType
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.engine.views import course_views
from schedule.tracking.csvfiles import read_rows

COLUMNS = ("patient_id", "event", "date", "note")


def rows_of(tmp_path: Path, text: str) -> list[tuple[int, dict[str, str]]]:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return read_rows(path, COLUMNS, 3)


def test_rows_keep_their_own_line_numbers(tmp_path: Path) -> None:
    text = (
        "patient_id,event,date,note\r\n"
        "A1,ssa-1,2026-01-05,\r\n"
        "\r\n"
        'A1,ssa-2,2026-02-02,"two\r\nlines"\r\n'
        "A1,ssa-3,2026-03-02\r\n"
    )
    assert rows_of(tmp_path, text) == [
        (2, {"patient_id": "A1", "event": "ssa-1", "date": "2026-01-05", "note": ""}),
        (4, {"patient_id": "A1", "event": "ssa-2", "date": "2026-02-02", "note": "two\r\nlines"}),
        (6, {"patient_id": "A1", "event": "ssa-3", "date": "2026-03-02", "note": ""}),
    ]


def test_semicolons_and_formula_quotes_are_read_back(tmp_path: Path) -> None:
    text = "patient_id;event;date;note\nA1;ssa-1;2026-01-05;'=1+1\n"
    assert rows_of(tmp_path, text) == [
        (2, {"patient_id": "A1", "event": "ssa-1", "date": "2026-01-05", "note": "=1+1"})
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "in.csv: the file is empty; it needs a header line"),
        ("\n\n", "in.csv: the file is empty; it needs a header line"),
        (
            "patient_id,event,date\nA1,ssa-1,2026-01-05\nA1,ssa-2,2026-02-02,x,y\n",
            "in.csv: line 3: has 5 cells but the header names 3 columns",
        ),
        (
            "patient_id,event,date,date\nA1,ssa-1,2026-01-05,2026-01-06\n",
            "in.csv: line 1: date: column given twice",
        ),
        (
            'patient_id,event,date\nA1,"ssa-1,2026-01-05\n',
            "in.csv: line 2: is not a readable CSV file (unexpected end of data)",
        ),
    ],
)
def test_unreadable_files_are_refused_with_their_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InputError) as refused:
        rows_of(tmp_path, text)
    assert refused.value.message == f"{tmp_path}/{message}"


def _history(start: date, gaps: list[int], given: list[bool]) -> list[Fact]:
    """Lutathera doses and their LAR given every `gap` days, the monthly LAR after them."""
    facts, day = [], start
    for k, (gap, done) in enumerate(zip(gaps, given, strict=False), start=1):
        if done:
            series = "prrt" if k <= 4 else None
            if series:
                facts.append(Fact(RecordType.GIVEN, day, f"prrt-{k}"))
            facts.append(Fact(RecordType.GIVEN, day, f"ssa-{k}"))
        day += timedelta(days=gap)
    return facts


@settings(max_examples=60, deadline=None)
@given(
    offset=st.integers(min_value=-60, max_value=700),
    gaps=st.lists(st.integers(min_value=26, max_value=70), min_size=1, max_size=14),
    given_flags=st.lists(st.booleans(), min_size=14, max_size=14),
    regimens=st.lists(
        st.sampled_from(["lutathera", "lanreotide", "octreotide-lar"]), min_size=1, max_size=2
    ),
    within=st.integers(min_value=0, max_value=40),
)
def test_a_cutoff_at_the_horizon_changes_nothing_up_to_it(
    catalog: Catalog,
    offset: int,
    gaps: list[int],
    given_flags: list[bool],
    regimens: list[str],
    within: int,
) -> None:
    as_of = date(2026, 11, 21)
    horizon = as_of + timedelta(days=within)
    start = as_of - timedelta(days=offset)
    courses = [
        Course(i + 1, "P", i + 1, regimen, start + timedelta(days=40 * i))
        for i, regimen in enumerate(regimens)
    ]
    facts = {c.id: _history(c.start, gaps, given_flags) for c in courses}
    args = (catalog, Settings(), Patient("P"), courses, {}, as_of, True, horizon, facts)
    full = course_views(*args)
    cut = course_views(*args, cutoff=horizon)
    for whole, part in zip(full, cut, strict=True):
        wanted = [e for e in whole.events if e.window_start <= horizon or e.given_on]
        assert [e for e in part.events if e.window_start <= horizon or e.given_on] == wanted
