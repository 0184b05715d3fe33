"""Issue 30: `import doses` checks each row against a lean calendar that courses alike share
(`transfer._PatientState.lean`) and a row alike against it once (`_PatientCheck._check`),
sends the records back from its workers as plain values, and writes each audit row's text
straight. None of it may change an answer: the same rows accepted
or the same first refusal in the same words, the same records, the same audit text."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schedule.domain.course import Patient, Record
from schedule.domain.errors import PrrtError
from schedule.domain.model import RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.domain.toxicity import Toxicity
from schedule.engine import views
from schedule.engine.views import CourseView, course_views
from schedule.services import imports
from schedule.store import tables
from schedule.store.database import Store
from schedule.store.rows import (
    audit_text,
    packed_record,
    record_audit_text,
    record_detail,
    unpacked_record,
)
from schedule.tracking import latest, transfer
from schedule.tracking.doses_file import DoseRow, shared_proposals
from schedule.tracking.rules import Proposal
from schedule.tracking.tracker import Tracker
from schedule.tracking.transfer import check_doses
from tests.conftest import actor

TODAY = date(2026, 11, 21)
START = date(2025, 9, 1)
# Three Lutathera patients who began on one day, two on lanreotide, one Lutathera a week later,
# and one with two courses (never a shared calendar: the other course's SSA counts).
PATIENTS = {
    "A1": ("lutathera", START),
    "A2": ("lutathera", START),
    "A3": ("lutathera", START),
    "B1": ("lanreotide", START),
    "B2": ("lanreotide", START),
    "C1": ("lutathera", START + timedelta(days=7)),
    "D1": ("lutathera", START),
}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracker]:
    """The patients above in an SQLite file, D1 with a lanreotide course beside its own, and
    A3 with prrt-1 and ssa-1 already recorded."""
    db = tmp_path_factory.mktemp("clinic") / "clinic.db"
    store = Store.open(str(db), "2026-11-01T00:00:00Z")
    tracker = Tracker(store, load_catalog(), Settings())
    for pid, (regimen, start) in PATIENTS.items():
        tracker.add_patient(Patient(pid), regimen, start, PlanOptions(), actor())
    tracker.add_course("D1", "lanreotide", START, PlanOptions(), actor(), TODAY, past_start=True)
    for key, dose in (("prrt-1", "7.4 GBq"), ("ssa-1", "30 mg")):
        row = DoseRow(1, "A3", None, Proposal(RecordType.GIVEN, key, START, dose))
        with store.read() as tx:
            pending, _ = check_doses(tracker, tx, "x.csv", [row], TODAY)
        with store.write() as tx:
            tx.add_records_bulk(pending, actor(), "import-doses")
    yield tracker
    store.close()


def _plain_lean(self: Any, course: Any, end: date | None) -> CourseView:
    """The lean calendar as the import built it for every row before it was shared."""
    check = self.check
    return course_views(
        check.tracker.catalog, check.tracker.settings, self.patient, self.courses,
        self.records, check.today, False, end, self.facts, cutoff=end, lean=True,
    )[0]  # fmt: skip


def _answer(tracker: Tracker, rows: list[DoseRow], workers: int = 1) -> tuple[Any, ...]:
    """What checking `rows` gives: the records and the count already stored, or the refusal
    (its words, field, line and exit code)."""
    with tracker.store.read() as tx:
        try:
            pending, unchanged = check_doses(tracker, tx, "doses.csv", rows, TODAY, workers=workers)
        except PrrtError as exc:
            return ("refused", str(exc), exc.field, exc.data, type(exc).__name__, exc.exit_code)
    return ("stored", pending, unchanged)


_JITTER = [0, 0, 0, 0, 1, 2, 7, -3, -10, 14, 40]  # days off the rhythm: on time, late, early
_ODD = [None] * 12 + ["skip", "repeat", "reduced", "7.40", "hold", "override", "twice-noted"]


@st.composite
def histories(draw: st.DrawFn, pid: str) -> list[tuple[date, Proposal, int | None]]:
    """A patient's doses as a clinic would enter them, each now and then odd: skipped,
    entered twice, reduced, written 7.40 GBq, after a hold and its resume, past a guard with
    a reason, entered again with another note."""
    regimen, start = PATIENTS[pid]
    course = 1 if pid == "D1" and draw(st.integers(0, 9)) else None
    if regimen == "lutathera":
        plan = [(k * 56 - 56, (f"prrt-{k}", "7.4 GBq"), (f"ssa-{k}", "30 mg")) for k in range(1, 5)]
        plan += [(56 + 28 * k, (f"ssa-{k}", "30 mg")) for k in range(5, 11)]  # type: ignore[misc]
    else:
        plan = [(28 * k, (f"ssa-{k + 1}", "120 mg")) for k in range(12)]  # type: ignore[misc]
    out: list[tuple[date, Proposal, int | None]] = []
    late = 0
    for offset, *due in plan[: draw(st.integers(0, len(plan)))]:
        late += draw(st.sampled_from(_JITTER))
        day = start + timedelta(days=offset + late)
        if day > TODAY:
            break
        odd = draw(st.sampled_from(_ODD))
        if odd == "hold":
            out.append((day, Proposal(RecordType.HOLD, None, day, note="fatigue"), course))
            late += draw(st.sampled_from([0, 10, 30, 130]))
            day = min(start + timedelta(days=offset + late), TODAY)
            out.append((day, Proposal(RecordType.RESUME, None, day), course))
        for key, dose in due:
            if odd == "skip":
                proposal = Proposal(RecordType.SKIPPED, key, day, note="declined")
            else:
                if key.startswith("prrt"):
                    dose = {"reduced": "3.7 GBq", "7.40": "7.40 GBq"}.get(odd or "", dose)
                reason = "clinician agreed" if odd == "override" else None
                proposal = Proposal(RecordType.GIVEN, key, day, dose, override=reason)
            out.append((day, proposal, course))
            if odd in ("repeat", "twice-noted"):
                note = "again" if odd == "twice-noted" else ""
                out.append((day, Proposal(proposal.type, key, day, dose, note), course))
    return out


@st.composite
def dose_files(draw: st.DrawFn) -> list[DoseRow]:
    """Rows of a doses file: a few patients' histories, in date order (patients alike
    interleaved) or shuffled."""
    rows = [
        (day, pid, proposal, course)
        for pid in draw(st.lists(st.sampled_from(sorted(PATIENTS)), max_size=5, unique=True))
        for day, proposal, course in draw(histories(pid))
    ]
    if draw(st.integers(0, 9)) == 0:
        rows = draw(st.permutations(rows))
    else:
        rows.sort(key=lambda r: r[0])
    return [
        DoseRow(line, pid, course, proposal)
        for line, (_, pid, proposal, course) in enumerate(rows, start=2)
    ]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=dose_files())
def test_shared_lean_calendars_answer_as_one_built_for_each_row(
    clinic: Tracker, monkeypatch: pytest.MonkeyPatch, rows: list[DoseRow]
) -> None:
    fast = _answer(clinic, rows)
    with monkeypatch.context() as patched:
        patched.setattr(transfer._PatientState, "lean", _plain_lean)
        plain = _answer(clinic, rows)
    assert fast == plain
    event(f"{fast[0]}, {len(fast[1]) // 4 * 4}+ records" if fast[0] == "stored" else fast[1][:40])


def test_courses_alike_share_their_lean_calendars(
    clinic: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A1 and A2 began on one day and were given their doses on the same days: the second
    one's calendars are the first one's, and its rows (sharing their proposals, as a file's
    or a Bundle's do: `shared_proposals`) get the same records."""
    rows = shared_proposals([
        DoseRow(line, pid, None, Proposal(RecordType.GIVEN, key, START, dose))
        for line, (pid, key, dose) in enumerate(
            [(p, e, d) for p in ("A1", "A2") for e, d in (("prrt-1", "7.4 GBq"), ("ssa-1", "30 mg"))],
            start=2,
        )
    ])  # fmt: skip
    built: list[object] = []
    checked: list[object] = []
    real, check = views.build_lean, transfer.check_record
    monkeypatch.setattr(views, "build_lean", lambda *a, **k: built.append(1) or real(*a, **k))
    monkeypatch.setattr(transfer, "check_record", lambda *a: checked.append(1) or check(*a))
    answer = _answer(clinic, rows)
    assert answer[0] == "stored"
    assert [(pid, r.event, r.course_id) for pid, r in answer[1]] == [
        (pid, event, course_id(clinic, pid)) for pid in ("A1", "A2") for event in ("prrt-1", "ssa-1")
    ]  # fmt: skip
    assert len(built) == 2  # A1's two rows; A2's met the same calendars
    assert len(checked) == 2  # and were given the same records, for A2's own course


def course_id(tracker: Tracker, pid: str) -> int:
    with tracker.store.read() as tx:
        return tx.courses_by_patient()[pid][0].id


def test_records_come_back_from_the_workers_as_they_were(
    clinic: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked in two processes, the records (holds with a review day and a toxicity among
    them) are those one process gives."""
    import schedule.store.parallel as parallel

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(transfer, "_SLICE", 1)
    rows = [
        DoseRow(2, "A1", None, Proposal(RecordType.GIVEN, "prrt-1", START, "7.40 GBq", "ok")),
        DoseRow(3, "B1", None, Proposal(RecordType.GIVEN, "ssa-1", START, "120 mg")),
        DoseRow(4, "B1", None, Proposal(
            RecordType.HOLD, None, START + timedelta(days=3), None, "", review=TODAY,
            toxicity=Toxicity.GASTROINTESTINAL, grade=3)),
        DoseRow(5, "C1", None, Proposal(RecordType.SKIPPED, "prrt-1", START, None, "declined")),
    ]  # fmt: skip
    one, two = _answer(clinic, rows), _answer(clinic, rows, workers=2)
    assert one == two
    assert one[0] == "stored"
    assert [r.type for _, r in one[1]] == [
        RecordType.GIVEN, RecordType.GIVEN, RecordType.HOLD, RecordType.SKIPPED]  # fmt: skip
    record = Record(7, 3, RecordType.HOLD, START, None, None, "x", 2, "", "", "why", TODAY, True)
    assert unpacked_record(packed_record(record)) == Record(
        0, 3, RecordType.HOLD, START, None, None, "x", 2, override="why", review=TODAY,
        end_care=True,
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(),
    number=st.none() | st.integers(-(10**12), 10**12),
    day=st.dates(),
    flag=st.booleans(),
    kind=st.sampled_from(RecordType),
)
def test_an_audit_rows_text_is_the_encoders(
    text: str, number: int | None, day: date, flag: bool, kind: RecordType
) -> None:
    """Every field of a record, with any text (quotes, controls, accents, surrogates)."""
    record = Record(
        0, number or 1, kind, day, text or None, text, text, number, "", "", text or None,
        day if flag else None, flag, text or None, number,
    )  # fmt: skip
    assert record_audit_text(record) == audit_text(record_detail(record))


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("line", ["A,ssa-1,2025-01-06", "A,ssa-1,2025-13-06", "Z,ssa-1,2025-01-06"])
def test_an_import_leaves_the_collector_as_it_found_it(
    tmp_path: Path, enabled: bool, line: str
) -> None:
    """`import doses` runs without the cycle collector (`imports._uncollected`) and leaves it
    on or off as it was: when stored, and when a line is refused in the reading (a date) or
    in the checking (an unknown patient)."""
    store = Store.open(str(tmp_path / "c.db"), "2026-11-01T00:00:00Z")
    tracker = Tracker(store, load_catalog(), Settings())
    tracker.add_patient(Patient("A"), "lanreotide", date(2025, 1, 6), PlanOptions(), actor())
    doses = tmp_path / "doses.csv"
    doses.write_text(f"patient_id,event,date\n{line}\n")
    seen: list[bool] = []
    check = imports.check_doses

    def checking(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return check(*args, **kwargs)

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(imports, "check_doses", checking)
            try:
                result = imports.import_doses(tracker, doses, actor(), TODAY, dry_run=False)
            except PrrtError:
                assert line != "A,ssa-1,2025-01-06"
            else:
                assert (result.added, result.unchanged) == (1, 0)
        assert gc.isenabled() is enabled
        assert seen in ([], [False])  # none when the reading refused the file
    finally:
        (gc.enable if was else gc.disable)()
        store.close()


def test_the_latest_calendars_are_kept_and_the_oldest_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The import's memo keeps at least the latest `KEPT` values set and at most twice
    as many; a value met again is kept as if set anew."""
    monkeypatch.setattr(latest, "KEPT", 4)
    kept: latest.Latest[int] = latest.Latest()
    for n in range(10):
        kept[(n,)] = n
        held = [m for m in range(n + 1) if (m,) in kept or (m,) in kept.older]
        assert held[-4:] == list(range(max(0, n - 3), n + 1))  # the latest four, at least
        assert len(held) <= 8
    assert [kept.get((n,)) for n in range(4)] == [None] * 4  # the oldest: gone
    assert kept.get((4,), "gone") == 4  # in the older half, met again: newer now
    for n in range(10, 13):
        kept[(n,)] = n
    assert kept.get((4,)) == 4
    assert kept.get((5,)) is None


@pytest.mark.parametrize("sqlite", [True, False])
def test_values_made_ahead_are_the_records_own(sqlite: bool) -> None:
    """The write takes a record's row and audit text made while the workers checked others
    only for that very record; any other (one checked again at the write) is made then. On
    SQLite no audit text is made ahead: SQLite makes them from the records."""
    from schedule.store.bulk import Prepared
    from schedule.store.rows import record_row

    made = Prepared(actor(), sqlite=sqlite)
    given = Record(0, 1, RecordType.GIVEN, START, "prrt-1", "7.4 GBq")
    other = Record(0, 2, RecordType.GIVEN, START, "ssa-1", "30 mg")
    made.add(given)
    stamp, who = actor().stamp, actor().who

    def text(record: Record) -> str | None:
        return None if sqlite else record_audit_text(record)

    assert made.of(given) == (record_row(given, stamp, who, sqlite), text(given))
    assert made.of(other) == (record_row(other, stamp, who, sqlite), text(other))
    made.made[id(other)] = (given, *made.make(given))  # another record under its identity
    assert made.of(other) == (record_row(other, stamp, who, sqlite), text(other))


# Any text SQLite keeps (no lone surrogates), with what an audit text escapes often in it.
_TEXT = st.text(
    st.sampled_from('aZ ~"\\\x7f\n\té😀') | st.characters(blacklist_categories=("Cs",)),
    max_size=10,
)


class _Undone(Exception):
    """Ends a write transaction without keeping it."""


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drawn=st.lists(
        st.tuples(
            st.sampled_from(RecordType), st.none() | _TEXT, _TEXT, st.none() | _TEXT,
            st.none() | _TEXT, st.sampled_from([None, 1, 2]), st.none() | st.dates(), st.booleans(),
            st.none() | _TEXT, st.none() | st.integers(0, 10**9), st.dates(),
        ),
        min_size=1, max_size=6,
    )
)  # fmt: skip
def test_sqlite_writes_the_audit_rows_python_writes(
    clinic: Tracker, drawn: list[tuple[Any, ...]]
) -> None:
    """An import's audit rows, which SQLite makes from the records it has just added, are
    those the records' values give (`record_audit_text`), with any text (quotes, backslashes,
    controls, accents): the type as the action, the patient, the course, the record."""
    store = clinic.store
    with store.read() as tx:
        course = tx.courses("B1")[0]
    items = [
        ("B1", Record(
            0, course.id, kind, day, None if event is None else f"{event}~{n}", dose, note,
            corrects, "", "", override, review, end_care, toxicity, grade,
        ))
        for n, (kind, event, note, dose, override, corrects, review, end_care, toxicity, grade,
                day)
        in enumerate(drawn)
    ]  # fmt: skip
    who = actor()
    try:
        with store.write() as tx:
            top = tx.last_ids()[0]
            tx.add_records_bulk(items, who, "import-doses")
            audit = tables.audit
            query = (
                sa.select(audit.c.at, audit.c.who, audit.c.action, audit.c.patient_id,
                          audit.c.course_id, audit.c.record_id, audit.c.detail)
                .where(audit.c.record_id > top)
                .order_by(audit.c.id)
            )  # fmt: skip
            written = [tuple(row) for row in tx.conn.execute(query)]
            raise _Undone
    except _Undone:
        pass
    assert written == [
        (who.stamp, who.who, r.type.value, "B1", course.id, top + n, record_audit_text(r))
        for n, (_, r) in enumerate(items, 1)
    ]


def test_rows_that_propose_the_same_share_one_proposal(tmp_path: Path) -> None:
    """As a file's rows do (`parse_doses`), and those of FHIR resources once through
    `shared_proposals`: a check is kept by its proposal's identity."""
    from schedule.tracking.doses_file import parse_doses

    csv = tmp_path / "doses.csv"
    csv.write_text(
        "patient_id,event,date,dose\nA1,prrt-1,2025-09-01,7.4 GBq\nA2,prrt-1,2025-09-01,7.4 GBq\n"
        "A3,prrt-1,2025-09-01,7.40 GBq\n",
        encoding="utf-8",
    )
    a1, a2, a3 = parse_doses(csv)
    assert a1.proposal is a2.proposal
    assert a3.proposal is not a1.proposal
    made = [
        DoseRow(n, pid, None, Proposal(RecordType.GIVEN, "prrt-1", START, dose))
        for n, (pid, dose) in enumerate([("A1", "7.4 GBq"), ("A2", "7.4 GBq"), ("A3", "3.7 GBq")])
    ]
    b1, b2, b3 = shared_proposals(made)
    assert b1.proposal is b2.proposal
    assert b3.proposal is not b1.proposal
    assert [(r.line, r.patient_id, r.proposal) for r in (b1, b2, b3)] == [
        (r.line, r.patient_id, r.proposal) for r in made
    ]
