"""Tracking on both databases: what is refused leaves nothing behind; corrections add."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from schedule.domain.course import Patient
from schedule.domain.errors import ConflictError, GuardError, Hint, InputError, UnknownError
from schedule.domain.model import Flag, RecordType, Status
from schedule.domain.options import PlanOptions
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.domain.toxicity import Toxicity
from schedule.output.columns import json_row
from schedule.output.render import render
from schedule.store import tables
from schedule.store.database import Store
from schedule.tracking.history import history_rows
from schedule.tracking.tracker import Tracker
from schedule.tracking.worklists import WORKLIST_COLUMNS, worklist_rows
from tests.conftest import actor

START = date(2026, 9, 7)
TODAY = date(2026, 11, 21)


def on(tracker: Tracker) -> tuple[Store, Catalog, Settings]:
    """What the worklists read: the tracker's store, regimens and site settings."""
    return tracker.store, tracker.catalog, tracker.settings


def counts(store: Store) -> tuple[int, int, int, int]:
    with store.read() as tx:
        return tuple(  # type: ignore[return-value]
            tx.conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (tables.patients, tables.courses, tables.records, tables.audit)
        )


@pytest.fixture
def p1(tracker: Tracker) -> str:
    # Cannot become pregnant: no pregnancy tests (issue 24) in what these tests assert.
    tracker.add_patient(Patient("P1", pregnancy="no"), "lutathera", START, PlanOptions(), actor())
    return "P1"


def calendar(tracker: Tracker, pid: str, as_of: date = TODAY) -> dict[str, object]:
    with tracker.store.read() as tx:
        views = tracker.patient_views(tx, pid, as_of)
    return {e.key: e for e in views[-1].events}


def test_add_patient_stores_facts_and_audit(tracker: Tracker, p1: str) -> None:
    assert counts(tracker.store) == (1, 1, 0, 2)
    with tracker.store.read() as tx:
        course = tx.courses(p1)[0]
        audit = tx.audit(p1)
    assert (course.number, course.regimen, course.start) == (1, "lutathera", START)
    assert [(a["action"], a["who"], a["at"]) for a in audit] == [
        ("patient-add", "tester", "2026-11-21T09:00:00Z"),
        ("course-add", "tester", "2026-11-21T09:00:00Z"),
    ]


def test_duplicate_patient_is_refused(tracker: Tracker, p1: str) -> None:
    with pytest.raises(ConflictError, match=r"^patient 'P1' already exists$") as refused:
        tracker.add_patient(Patient(p1), "lanreotide", START, PlanOptions(), actor())
    assert (refused.value.hint, refused.value.data) == (Hint.NEW_COURSE_EXISTS, {"patient": p1})
    assert counts(tracker.store) == (1, 1, 0, 2)


def test_record_marks_given_and_reanchors(tracker: Tracker, p1: str) -> None:
    tracker.record(p1, "prrt-1", START + timedelta(days=2), "7.4 GBq", "", actor(), TODAY)
    events = calendar(tracker, p1)
    assert events["prrt-1"].status is Status.GIVEN  # type: ignore[attr-defined]
    assert events["prrt-2"].date == START + timedelta(days=58)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("event", "day", "dose", "error", "message"),
    [
        ("prrt-9", START, None, UnknownError, "P1 has no event 'prrt-9' in course 1 (lutathera)"),
        (
            "hydration-1",
            START,
            None,
            InputError,
            "hydration-1 is a reminder: there is nothing to record",
        ),
        ("cancel-1", START, None, InputError, "cancel-1 is a deadline: there is nothing to record"),
        ("prrt-1", TODAY + timedelta(days=1), None, InputError, "is in the future"),
        (
            "prrt-1",
            START - timedelta(days=8),
            None,
            GuardError,
            "date 2026-08-30 is before prrt-1's window opens (2026-08-31; the course starts "
            "2026-09-07)",
        ),
        ("prrt-1", START, "30 mg", InputError, "does not fit prrt-1; give it in GBq, MBq or mCi"),
        ("prrt-1", START, "lots", InputError, "is not understood"),
        (
            "labs-1",
            START - timedelta(days=20),
            "1 mg",
            InputError,
            "labs-1 is a lab: it takes no dose",
        ),
    ],
)
def test_bad_records_are_refused_and_write_nothing(
    tracker: Tracker, p1: str, event: str, day: date, dose: str | None, error: type, message: str
) -> None:
    before = counts(tracker.store)
    with pytest.raises(error, match=re.escape(message)):
        tracker.record(p1, event, day, dose, "", actor(), TODAY)
    assert counts(tracker.store) == before


def test_labs_can_be_recorded_before_the_course_start(tracker: Tracker, p1: str) -> None:
    tracker.record(p1, "labs-1", START - timedelta(days=20), None, "", actor(), TODAY)
    assert calendar(tracker, p1)["labs-1"].status is Status.GIVEN  # type: ignore[attr-defined]


def test_unknown_patient(tracker: Tracker) -> None:
    with pytest.raises(UnknownError, match="unknown patient 'nobody'"):
        tracker.record("nobody", "prrt-1", START, None, "", actor(), TODAY)


def test_duplicate_record_then_correct_then_record_again(tracker: Tracker, p1: str) -> None:
    first = tracker.record(p1, "prrt-1", START, "7.4 GBq", "", actor(), TODAY)
    with pytest.raises(
        ConflictError, match=rf"already recorded as given on 2026-09-07 \(record {first}\)"
    ):
        tracker.record(p1, "prrt-1", START + timedelta(days=1), None, "", actor(), TODAY)
    fix = tracker.correct(p1, first, "wrong patient", actor("nurse"), TODAY)
    assert calendar(tracker, p1)["prrt-1"].status is not Status.GIVEN  # type: ignore[attr-defined]
    again = tracker.record(p1, "prrt-1", START + timedelta(days=1), None, "", actor(), TODAY)
    with tracker.store.read() as tx:
        records = tx.records()[1]
    assert [(r.id, r.type, r.corrects) for r in records] == [
        (first, RecordType.GIVEN, None),
        (fix, RecordType.ENTERED_IN_ERROR, first),
        (again, RecordType.GIVEN, None),
    ]  # nothing erased
    with pytest.raises(ConflictError, match="already marked entered-in-error"):
        tracker.correct(p1, first, "again", actor(), TODAY)
    history = history_rows(tracker.store, p1)
    assert [h["action"] for h in history] == [
        "patient-add", "course-add", "given", "entered-in-error", "given",
    ]  # fmt: skip
    assert history[3]["who"] == "nurse"
    assert history[3]["corrects"] == first


def test_reduced_dose_recorded_in_mbq_is_flagged(tracker: Tracker, p1: str) -> None:
    tracker.record(p1, "labs-1", START - timedelta(days=20), None, "", actor(), TODAY)
    tracker.record(p1, "prrt-1", START, "3700 MBq", "", actor(), TODAY)
    flags = calendar(tracker, p1)["prrt-1"].flags  # type: ignore[attr-defined]
    assert flags == (Flag.REDUCED_DOSE, Flag.DOSE_BELOW_EXPECTED)  # no toxicity: full expected


def test_skip_reschedule_hold_resume_discontinue(tracker: Tracker, p1: str) -> None:
    tracker.record(p1, "prrt-1", START, None, "", actor(), TODAY)
    new_day = TODAY + timedelta(days=5)
    tracker.reschedule(p1, "prrt-2", new_day, "patient away", actor(), TODAY)
    assert calendar(tracker, p1)["prrt-2"].date == new_day  # type: ignore[attr-defined]
    held = tracker.hold(p1, "", actor(), TODAY, toxicity=Toxicity.THROMBOCYTOPENIA, grade=3)
    assert held[1] == date(2026, 12, 5)
    with pytest.raises(ConflictError, match="already on hold"):
        tracker.hold(p1, "again", actor(), TODAY)
    assert calendar(tracker, p1)["prrt-2"].status is Status.HELD  # type: ignore[attr-defined]
    tracker.resume(p1, "platelets recovered", actor(), TODAY + timedelta(days=1))
    resumed = calendar(tracker, p1, TODAY + timedelta(days=1))["prrt-2"]
    # Resumed Sunday 2026-11-22: the first order deadline not past is Tuesday 11-24 (L41).
    assert resumed.date == date(2026, 12, 8)  # type: ignore[attr-defined]
    assert resumed.dose == "3.7 GBq"
    assert Flag.REDUCED_DOSE in resumed.flags
    tracker.skip(p1, "prrt-2", "clinician decision", actor(), TODAY + timedelta(days=1))
    tracker.discontinue(p1, "progression", actor(), TODAY + timedelta(days=2))
    stop = TODAY + timedelta(days=2)
    with pytest.raises(ConflictError, match=r"was discontinued on 2026-11-23$") as ended:
        tracker.record(p1, "prrt-3", stop, None, "", actor(), stop)
    assert (ended.value.hint, ended.value.field) == (Hint.NEW_COURSE_ENDED, "patient_id")
    with pytest.raises(InputError, match="a reason is required"):
        tracker.skip(p1, "prrt-3", " ", actor(), TODAY)


def test_retreatment_course_and_cross_course_washout(tracker: Tracker) -> None:
    tracker.add_patient(Patient("P2"), "lanreotide", date(2026, 6, 1), PlanOptions(), actor())
    for k in range(1, 7):
        tracker.record(
            "P2",
            f"ssa-{k}",
            date(2026, 6, 1) + timedelta(days=28 * (k - 1)),
            "120 mg",
            "",
            actor(),
            TODAY,
        )
    last_ssa = date(2026, 6, 1) + timedelta(days=140)
    added = tracker.add_course(
        "P2", "lutathera", last_ssa + timedelta(days=20), PlanOptions(), actor(), TODAY
    )
    assert added.course.number == 2
    assert added.ended is None
    events = calendar(tracker, "P2")
    assert Flag.SSA_WASHOUT_CONFLICT in events["prrt-1"].flags  # type: ignore[attr-defined]
    with tracker.store.read() as tx:
        lanreotide = {e.key: e for e in tracker.patient_views(tx, "P2", TODAY)[0].events}
    # The lanreotide injection 20 days before PRRT dose 1 carries the conflict on its own row,
    # and the next one, 8 days after the LAR of dose 1, is a second long-acting SSA at once.
    assert Flag.SSA_WASHOUT_CONFLICT in lanreotide["ssa-6"].flags  # type: ignore[attr-defined]
    assert Flag.DUPLICATE_SSA in lanreotide["ssa-7"].flags  # type: ignore[attr-defined]
    assert Flag.DUPLICATE_SSA in events["ssa-1"].flags  # type: ignore[attr-defined]
    with pytest.raises(
        ConflictError,
        match=r"P2 has 2 active courses: 1 \(lanreotide from 2026-06-01\), 2 \(lutathera from 2026-11-08\); name the one meant$",
    ) as which:
        tracker.record("P2", "ssa-7", TODAY, None, "", actor(), TODAY)
    assert which.value.hint is Hint.CHOOSE_COURSE
    with pytest.raises(UnknownError, match="has no course 3; courses: 1, 2"):
        tracker.record("P2", "ssa-7", TODAY, None, "", actor(), TODAY, course_number=3)


def test_worklists(tracker: Tracker) -> None:
    tracker.add_patient(Patient("A"), "lanreotide", date(2026, 9, 1), PlanOptions(), actor())
    tracker.add_patient(Patient("B"), "lanreotide", date(2026, 10, 20), PlanOptions(), actor())
    tracker.add_patient(Patient("C"), "lanreotide", date(2026, 10, 25), PlanOptions(), actor())
    tracker.record("A", "ssa-1", date(2026, 9, 1), None, "", actor(), TODAY)
    as_of = date(2026, 10, 20)
    missed = [json_row(r) for r in worklist_rows(*on(tracker), as_of, missed=True)]
    assert [(r["patient_id"], r["event"], r["days_late"]) for r in missed] == [("A", "ssa-2", 21)]
    due = [json_row(r) for r in worklist_rows(*on(tracker), as_of, missed=False, within=7)]
    # A's missed injection stays on the list until given or skipped (S9); C's window opened
    # 7 days before its target (site setting ssa_early_tolerance_days).
    assert [(r["patient_id"], r["event"], r["status"], r["days_late"]) for r in due] == [
        ("A", "ssa-2", "overdue", 21),
        ("B", "ssa-1", "due", 0),
        ("C", "ssa-1", "due", -5),
    ]
    # --within N: what is late or has its target within N days, its window open or not
    # (issue 28): C's target is 5 days away.
    assert [json_row(r) for r in worklist_rows(*on(tracker), as_of, False, within=5)] == due
    assert [json_row(r) for r in worklist_rows(*on(tracker), as_of, False, within=4)] == due[:2]
    listed = worklist_rows(*on(tracker), as_of, missed=False, within=7)
    assert json.loads(render(listed, WORKLIST_COLUMNS, "json", ()))[0]["flags"] == []


def test_worklists_in_forked_workers_match_one_process(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schedule.store import parallel

    for i in range(7):
        start = date(2026, 6, 1) + timedelta(days=9 * i)
        tracker.add_patient(
            Patient(f"W{i}"), "lanreotide" if i % 2 else "lutathera", start, PlanOptions(), actor()
        )
        tracker.record(f"W{i}", "ssa-1" if i % 2 else "prrt-1", start, None, "", actor(), TODAY)
    as_of = date(2026, 11, 23)
    serial_missed = worklist_rows(*on(tracker), as_of, missed=True, workers=1)
    serial_due = worklist_rows(*on(tracker), as_of, missed=False, within=30, workers=1)
    assert serial_missed
    assert serial_due
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    assert worklist_rows(*on(tracker), as_of, missed=True, workers=3) == serial_missed
    assert worklist_rows(*on(tracker), as_of, missed=False, within=30, workers=2) == serial_due
    # The store still works in this process after the workers are gone.
    tracker.record("W0", "labs-2", as_of - timedelta(days=1), None, "", actor(), as_of)
