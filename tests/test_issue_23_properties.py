"""Issue 23, property-based: random histories of doses given, holds with toxicities, resumes and
reschedules for each built-in radioligand regimen, against the invariants of the labels' tables:
no expected dose above the reduced amount after a toxicity that reduces, never more reductions
than the table allows, no long-acting SSA planned inside the washout before a planned dose, and
every flag explained by a rule of the same regimen."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from schedule.domain.course import Course, Patient, Record, facts_of
from schedule.domain.model import SSA_SERIES, RecordType, Status
from schedule.domain.modifications import Action
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.regimen_file import builtin_texts
from schedule.domain.settings import Settings
from schedule.domain.toxicity import Toxicity
from schedule.engine.calendar import build_calendar, dose_decisions
from schedule.engine.views import course_views
from schedule.tracking.flag_reasons import flag_reason
from schedule.tracking.reasons import Basis

REGIMENS = ("lutathera", "pluvicto")
TOXICITIES = [t.value for t in Toxicity]
START = date(2025, 1, 6)
SETTINGS = Settings()

steps = st.lists(
    st.tuples(
        st.sampled_from(["give", "give", "hold", "reschedule"]),
        st.integers(-5, 5),  # days off the target, for a dose given
        st.sampled_from(TOXICITIES),
        st.integers(1, 5),  # CTCAE grade
        st.integers(1, 120),  # days a hold lasts
        st.sampled_from(["expected", "expected", "full", "low"]),  # amount given
    ),
    min_size=1,
    max_size=12,
)


def history(regimen: Regimen, plan: list[tuple[str, int, str, int, int, str]]) -> list[Record]:
    """Records as a coordinator would make them, each step against the calendar so far."""
    records: list[Record] = []
    last = START
    for action, shift, toxicity, grade, length, amount in plan:
        events = build_calendar(regimen, START, facts_of(records))
        doses = [e for e in events if e.series == regimen.dose.series]
        pending = next((e for e in doses if e.status is Status.PLANNED), None)
        if pending is None:
            break
        if action == "hold":
            day = max(last, pending.date - timedelta(days=10))
            cause = None if toxicity == "other" else grade
            records.append(_record(records, RecordType.HOLD, day, toxicity=toxicity, grade=cause))
            last = day + timedelta(days=length)
            records.append(_record(records, RecordType.RESUME, last))
        elif action == "reschedule":
            day = max(last, pending.date) + timedelta(days=abs(shift) + 1)
            records.append(_record(records, RecordType.RESCHEDULED, day, pending.key))
        else:
            day = max(last, pending.date + timedelta(days=shift))
            dose = {"full": str(regimen.dose.amount), "low": "1 GBq"}.get(amount, pending.dose)
            records.append(_record(records, RecordType.GIVEN, day, pending.key, dose))
            if regimen.ssa is not None:
                records.append(_record(records, RecordType.GIVEN, day, f"ssa-{pending.number}"))
            last = day
    return records


def _record(
    records: list[Record],
    kind: RecordType,
    day: date,
    event: str | None = None,
    dose: str | None = None,
    toxicity: str | None = None,
    grade: int | None = None,
) -> Record:
    return Record(
        len(records) + 1, 1, kind, day, event, dose, "why", toxicity=toxicity, grade=grade
    )


def _reducing(regimen: Regimen, toxicity: str | None, grade: int | None) -> bool:
    table = regimen.modifications
    if toxicity == "other" or table is None or toxicity is None or grade is None:
        return toxicity != "other"
    found = table.row_for(Toxicity(toxicity), grade)
    return found is not None and found[1].action is Action.REDUCE


@given(st.sampled_from(REGIMENS), steps)
def test_expected_doses_follow_the_table(
    catalog: Catalog, regimen_id: str, plan: list[tuple[str, int, str, int, int, str]]
) -> None:
    regimen = catalog.get(regimen_id)
    records = history(regimen, plan)
    decisions = dose_decisions(regimen, START, facts_of(records))
    events = {e.key: e for e in build_calendar(regimen, START, facts_of(records))}
    holds = [r for r in records if r.type is RecordType.HOLD]
    previous: date | None = None
    reductions, reduced_before = 0, False
    assert regimen.dose.reduced is not None
    for key, decision in decisions.items():
        dose = events[key]
        before = [
            h
            for h in holds
            if (previous is None or h.day >= previous)
            and (dose.given_on is None or h.day < dose.given_on)
        ]
        if any(_reducing(regimen, h.toxicity, h.grade) for h in before):
            assert decision.amount.base <= regimen.dose.reduced.base
        if decision.reduced and not reduced_before:
            reductions += 1
        reduced_before = decision.reduced
        if dose.given_on is not None:
            previous = dose.given_on
        elif dose.status is not Status.SKIPPED:
            break  # later doses wait for this one
    table = regimen.modifications
    assert table is not None
    if table.max_reductions is not None:
        assert reductions <= table.max_reductions


@given(st.sampled_from(REGIMENS), steps)
def test_no_long_acting_ssa_planned_inside_the_washout_before_a_planned_dose(
    catalog: Catalog, regimen_id: str, plan: list[tuple[str, int, str, int, int, str]]
) -> None:
    regimen = catalog.get(regimen_id)
    if regimen.ssa is None:
        return
    events = build_calendar(regimen, START, facts_of(history(regimen, plan)))
    planned = (Status.PLANNED,)
    ssa = [e.date for e in events if e.series in SSA_SERIES and e.status in planned]
    for dose in (e for e in events if e.series == regimen.dose.series and e.status in planned):
        assert not [d for d in ssa if 0 < (dose.date - d).days < regimen.ssa.washout_days]


_ID = re.compile(r"\b[A-Z]+\d+\b")


def _rows_cited(regimen: Regimen) -> set[str]:
    text = dict(builtin_texts())[regimen.path]
    return set(_ID.findall(text))


@given(st.sampled_from(REGIMENS), steps, st.integers(0, 400))
def test_every_flag_is_explained_by_a_rule_of_its_own_regimen(
    catalog: Catalog, regimen_id: str, plan: list[tuple[str, int, str, int, int, str]], days: int
) -> None:
    regimen = catalog.get(regimen_id)
    records = history(regimen, plan)
    as_of = max([START, *(r.day for r in records)]) + timedelta(days=days)
    patient = Patient("P-1")
    course = Course(1, "P-1", 1, regimen.id, START)
    views = course_views(catalog, SETTINGS, patient, [course], {1: records}, as_of)
    allowed = _rows_cited(regimen)
    for event in views[0].events:
        for flag in event.flags:
            reason = flag_reason(Basis(views[0], views, event, SETTINGS, as_of), flag)
            cited = set(_ID.findall(" ".join(filter(None, (reason.source, reason.rule)))))
            assert cited <= allowed, (event.key, flag, reason)
