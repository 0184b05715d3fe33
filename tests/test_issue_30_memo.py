"""Issue 30: a worklist builds each calendar once for all the courses built from the same
(`course_views(memo=...)`), and each worker writes its own rows' text. Property-based: on
random patients sharing starts and histories (doses given late or reduced, skipped and moved
events, holds with and without a resume, discontinuations, labs and orders recorded, amounts
written alike but not the same), the calendars from the memo are those of the plain engine;
and the text of `missed` written by the workers is the one the renderer writes from the rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedule.domain.course import Course, Patient
from schedule.domain.model import Fact, RecordType
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.domain.units import Quantity
from schedule.engine.calendar import build_calendar
from schedule.engine.views import Memo, course_views
from schedule.output.formats import joined_texts
from schedule.output.render import render
from schedule.store import parallel
from schedule.store.fastpath import SqliteReader
from schedule.tracking.worklists import WORKLIST_COLUMNS, worklist_rows, worklist_texts
from tests.conftest import sample_clinic

AS_OF = date(2026, 11, 21)
STARTS = (AS_OF - timedelta(days=200), AS_OF - timedelta(days=61), AS_OF - timedelta(days=9))
REGIMENS = ("lutathera", "lanreotide", "octreotide-lar", "pluvicto")
# Amounts as a coordinator writes them: 7.4 and 7.40 GBq are equal, and written apart.
AMOUNTS = (None, "7.4 GBq", "7.40 GBq", "3.7 GBq", "30 mg", "120 mg", "20 mg")
SETTINGS = Settings()

Step = tuple[str, int, int, str | None, bool]  # kind, event, day, amount, flag
fact_steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["given", "given", "given", "skipped", "rescheduled", "hold", "resume", "stop"]
        ),
        st.integers(0, 40),  # which event of the plan (any kind: doses, labs, orders)
        # the day, from the start: histories often record on the same days
        st.one_of(st.sampled_from([0, 28, 56, 60, 112]), st.integers(-20, 260)),
        st.sampled_from(AMOUNTS),
        st.booleans(),  # a discontinuation that ends the care; a resume past the stop rule
    ),
    max_size=10,
)


def _facts(catalog: Catalog, regimen: str, start: date, steps: list[Step]) -> list[Fact]:
    """Facts in the order recorded, naming events of the course's plan."""
    keys = [e.key for e in build_calendar(catalog.get(regimen), start)]
    out = []
    for kind, which, day, amount, flag in steps:
        when = start + timedelta(days=day)
        key = keys[which % len(keys)]
        dose = Quantity.parse(amount) if amount else None
        if kind == "given":
            out.append(Fact(RecordType.GIVEN, when, key, dose))
        elif kind == "skipped":
            out.append(Fact(RecordType.SKIPPED, when, key))
        elif kind == "rescheduled":
            out.append(Fact(RecordType.RESCHEDULED, when, key))
        elif kind == "hold":
            out.append(Fact(RecordType.HOLD, when, toxicity="other", grade=3, note="why"))
        elif kind == "resume":
            out.append(Fact(RecordType.RESUME, when, override="a reason" if flag else None))
        else:
            out.append(Fact(RecordType.DISCONTINUED, when, end_care=flag))
    return out


courses_drawn = st.lists(
    st.tuples(
        st.sampled_from(REGIMENS),
        st.sampled_from(STARTS),
        st.integers(0, 3),  # which history of the pool
        st.sampled_from(["yes", "no", None]),  # pregnancy
        st.booleans(),  # a second course for the patient (the first course's twin)
    ),
    min_size=1,
    max_size=8,
)


def _variant(history: list[Step], at: int, other: Step) -> list[Step]:
    """The history with one step's kind, event, amount or flag changed, on the same day."""
    if not history:
        return [other]
    i = at % len(history)
    kind, which, amount, flag = (other[0], other[1], other[3], other[4])
    return [*history[:i], (kind, which, history[i][2], amount, flag), *history[i + 1 :]]


@settings(max_examples=80, deadline=None)
@given(
    courses_drawn,
    fact_steps,
    st.lists(st.tuples(st.integers(0, 9), fact_steps.filter(bool)), min_size=3, max_size=3),
    st.booleans(),
)
def test_calendars_from_the_memo_are_the_engines(
    catalog: Catalog,
    drawn: list[tuple[str, date, int, str | None, bool]],
    base: list[Step],
    changes: list[tuple[int, list[Step]]],
    missed: bool,
) -> None:
    """Courses that share a regimen, a start and a history share their calendar; each is
    the one the engine builds for it alone, patient by patient, as `missed` (nothing past
    today) and `due` (up to a horizon) build them. The histories differ from one another in
    one record only (its kind, event, amount or flag; not its day)."""
    histories = [base, *(_variant(base, at, other[0]) for at, other in changes)]
    memo: Memo = {}
    until = AS_OF if missed else AS_OF + timedelta(days=10)
    next_id = 1
    for n, (regimen, start, which, pregnancy, twin) in enumerate(drawn):
        patient = Patient(f"P{n}", pregnancy=pregnancy)
        courses = [Course(next_id, patient.id, 1, regimen, start)]
        if twin:
            courses.append(Course(next_id + 1, patient.id, 2, "lanreotide", start))
        facts = {c.id: _facts(catalog, c.regimen, c.start, histories[which]) for c in courses}
        next_id += len(courses)

        shared = _views(catalog, patient, courses, facts, until, memo)
        assert shared == _views(catalog, patient, courses, facts, until, None)


def _views(
    catalog: Catalog,
    patient: Patient,
    courses: list[Course],
    facts: dict[int, list[Fact]],
    until: date,
    memo: Memo | None,
) -> list[object]:
    """The events of each course as a worklist builds them (the engine's refusal, if any)."""
    try:
        found = course_views(
            catalog, SETTINGS, patient, courses, {}, AS_OF, False, until, facts, cutoff=until,
            memo=memo,
        )  # fmt: skip
    except (OverflowError, ValueError) as exc:
        return [type(exc).__name__]
    return [v.events for v in found]


def test_amounts_written_apart_are_kept_apart(catalog: Catalog) -> None:
    """7.4 GBq and 7.40 GBq are equal amounts; a calendar shows each as recorded, so they
    never share a calendar."""
    memo: Memo = {}
    start = STARTS[0]
    shown = []
    for n, value in enumerate(["7.4", "7.40"]):
        amount = Quantity(Decimal(value), "GBq", f"{value} GBq")
        course = Course(n + 1, f"P{n}", 1, "lutathera", start)
        facts = {n + 1: [Fact(RecordType.GIVEN, start, "prrt-1", amount)]}
        (view,) = course_views(
            catalog, SETTINGS, Patient(f"P{n}"), [course], {}, AS_OF, False, AS_OF, facts,
            cutoff=AS_OF, memo=memo,
        )  # fmt: skip
        event = view.event("prrt-1")
        assert event is not None
        shown.append(event.dose)
    assert shown == ["7.4 GBq", "7.40 GBq"]
    assert len(memo) == 2


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("workers", [1, 2])
def test_missed_written_by_the_workers_is_the_rendered_list(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog: Catalog, fmt: str, workers: int
) -> None:
    """The text each worker writes for its rows, merged in the list's order, is the text of
    the whole list rendered from its rows; in worker processes as in one."""
    reader = SqliteReader.open(sample_clinic(run, tmp_path / "sample.db"))
    assert reader is not None
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)  # the sample clinic is small
    try:
        rows = worklist_rows(reader, catalog, SETTINGS, AS_OF, True, workers=workers)
        texts = worklist_texts(reader, catalog, SETTINGS, AS_OF, True, fmt, workers)
    finally:
        reader.close()
    assert rows
    expected = render(rows, WORKLIST_COLUMNS, fmt, ())
    assert joined_texts(texts, WORKLIST_COLUMNS, fmt) == expected


def test_missed_written_by_the_workers_on_the_command_line(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, catalog: Catalog
) -> None:
    """`prrt missed` in csv and json is the list rendered from its rows; `--excel` is that CSV
    after a byte order mark, and is refused with JSON as before; `--fail-if-any` counts the
    rows written."""
    from commands.options import EXCEL_BOM
    from schedule.services.worklists import missed_list

    db = sample_clinic(run, tmp_path / "sample.db")
    reader = SqliteReader.open(db)
    assert reader is not None
    try:
        found = missed_list(reader, catalog, SETTINGS, None, AS_OF)
    finally:
        reader.close()
    assert found.text is None
    assert found.count == len(found.rows) > 0
    day = AS_OF.isoformat()
    for fmt in ("csv", "json"):
        done = run("--db", db, "missed", "--as-of", day, "-f", fmt)
        assert done.exit_code == 0, done.stderr
        assert done.stdout == render(found.rows, found.columns, fmt, found.table)
    csv_text = render(found.rows, found.columns, "csv", found.table)
    assert run("--db", db, "missed", "--as-of", day, "--excel").stdout == EXCEL_BOM + csv_text
    refused = run("--db", db, "missed", "--as-of", day, "--excel", "-f", "json")
    assert refused.exit_code == 2
    assert "--excel writes CSV" in refused.stderr
    assert run("--db", db, "missed", "--as-of", day, "--fail-if-any", "-f", "csv").exit_code == 1
