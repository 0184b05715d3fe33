"""Issue 30: a lean calendar with one record more is built again from the dose that record
changes (`engine.resume`), not from the first. Property-based: on random courses (Lutathera,
Pluvicto; lanreotide, octreotide LAR, leuprolide and degarelix, open series of injections that
stay overdue until a later one is given; with or without pregnancy tests; given doses, labs, orders and
injections, late, early, reduced or past a guard, skipped and moved events, holds, resumes and
discontinuations) with records added one at a time and cutoffs that move on or back, every
calendar is the one the engine builds from the first dose; and the usual case, a dose and its
injection given, is built from the step it changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from schedule.domain.model import Fact, RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.domain.units import Quantity
from schedule.engine import resume
from schedule.engine.calendar import build_calendar
from schedule.engine.resume import Lean, build_lean

AS_OF = date(2026, 11, 21)
START = date(2025, 12, 1)
CATALOG = load_catalog()
SETTINGS = Settings()
AMOUNTS = (None, "7.4 GBq", "7.40 GBq", "3.7 GBq", "30 mg", "120 mg")

records = st.lists(
    st.tuples(
        # mostly given; now and then what the series reads across its doses
        st.sampled_from(["given"] * 8 + ["skipped", "rescheduled", "hold", "resume", "stop"]),
        st.integers(0, 40),  # which event of the plan
        st.integers(-10, 20),  # days off its planned day
        st.sampled_from(AMOUNTS),
        st.booleans(),  # past a guard (an override); a discontinuation that ends the care
        st.integers(0, 60),  # days the cutoff moves on (0: the same; more: later)
        st.booleans(),  # the cutoff moves back instead
        st.sampled_from([0, 0, 0, -40, 30]),  # days an open series' end lies past the cutoff
    ),
    max_size=14,
)


def _fact(plan: list[tuple[str, date]], drawn: tuple[object, ...]) -> Fact:
    kind, which, off, amount, flag = drawn[:5]
    key, day = plan[int(which) % len(plan)]  # type: ignore[call-overload]
    when = day + timedelta(days=int(off))  # type: ignore[call-overload]
    dose = Quantity.parse(str(amount)) if amount else None
    if kind == "given":
        return Fact(RecordType.GIVEN, when, key, dose, override="a reason" if flag else None)
    if kind == "skipped":
        return Fact(RecordType.SKIPPED, when, key)
    if kind == "rescheduled":
        return Fact(RecordType.RESCHEDULED, when, key)
    if kind == "hold":
        return Fact(RecordType.HOLD, when, toxicity="other", grade=3, note="why")
    if kind == "resume":
        return Fact(RecordType.RESUME, when)
    return Fact(RecordType.DISCONTINUED, when, end_care=bool(flag))


def _whole(
    regimen_id: str, facts: list[Fact], cutoff: date, pregnancy: bool, until: date | None = None
) -> tuple:  # type: ignore[type-arg]
    """The lean calendar built from the first dose, as the import built every one before."""
    return build_calendar(
        CATALOG.get(regimen_id), START, facts, as_of=AS_OF,
        options=PlanOptions(until=until or cutoff), settings=SETTINGS, informational=False,
        cutoff=cutoff, lean=True, pregnancy_test=pregnancy,
    )  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(
    regimen_id=st.sampled_from(
        ["lutathera"] * 3
        + ["pluvicto", "lanreotide", "lanreotide", "octreotide-lar", "leuprolide-3m", "degarelix"]
    ),
    pregnancy=st.booleans(),
    first_cutoff=st.integers(0, 400),
    drawn=records,
)
def test_a_calendar_built_from_a_step_is_the_one_built_from_the_first_dose(
    regimen_id: str, pregnancy: bool, first_cutoff: int, drawn: list[tuple[object, ...]]
) -> None:
    regimen = CATALOG.get(regimen_id)
    plan = [(e.key, e.date) for e in build_calendar(regimen, START, informational=False)]
    facts: list[Fact] = []
    cutoff = START + timedelta(days=first_cutoff)
    after: Lean | None = None
    resumed = patched = 0
    until = cutoff
    for one in [None, *drawn]:
        if one is not None:
            facts.append(_fact(plan, one))
            moved = timedelta(days=int(one[5]))  # type: ignore[call-overload]
            cutoff = cutoff - moved if one[6] else cutoff + moved
            until = cutoff + timedelta(days=int(one[7]))  # type: ignore[call-overload]
        lean = build_lean(
            regimen, START, facts, as_of=AS_OF, options=PlanOptions(until=until),
            settings=SETTINGS, cutoff=cutoff, pregnancy_test=pregnancy, after=after,
        )  # fmt: skip
        assert lean.events == _whole(regimen_id, facts, cutoff, pregnancy, until)
        ctx = _ctx(lean)
        step = (
            resume._resume(after.trace, ctx, tuple(facts))
            if after is not None and resume._resumable(ctx)
            else None
        )
        if step is not None and after is not None:
            resumed += 1
            patched += resume._companion_patched(ctx, after.trace, facts[-1], step) is not None
        after = lean
    event(f"{regimen_id}: {'some' if resumed else 'none'} built from a step")
    if patched:
        event(f"{regimen_id}: a companion injection made again")


def _ctx(lean: Lean) -> resume.Context:
    """The context `lean` was built in (what `_resume` weighs)."""
    t = lean.trace
    return resume.course_context(
        t.regimen, t.start, t.facts, t.as_of, PlanOptions(until=t.until), t.settings, False,
        t.cutoff, True, t.pregnancy_test,
    )  # fmt: skip


def test_a_dose_and_its_injection_given_are_built_from_their_own_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """prrt-1 and ssa-1 given, then prrt-2 and ssa-2: each calendar after the first is built
    from the step of the dose its new record belongs to, or for the companion injection of a
    dose from the last step, and the same as from the first dose."""
    regimen = CATALOG.get("lutathera")
    froms: list[int | None] = []
    real = resume.dose_series

    def spy(ctx, steps=None, from_step=None, before=()):  # type: ignore[no-untyped-def]
        froms.append(from_step.k if from_step is not None else None)
        return real(ctx, steps, from_step, before)

    monkeypatch.setattr(resume, "dose_series", spy)
    given_on = [("prrt-1", 0), ("ssa-1", 0), ("prrt-2", 57), ("ssa-2", 57), ("ssa-5", 250)]
    facts: list[Fact] = []
    after = None
    for key, day in [(None, 0), *given_on]:
        if key is not None:
            facts.append(Fact(RecordType.GIVEN, START + timedelta(days=day), key))
        cutoff = START + timedelta(days=day + 70)
        after = build_lean(
            regimen, START, facts, as_of=AS_OF, options=PlanOptions(until=cutoff),
            settings=SETTINGS, cutoff=cutoff, pregnancy_test=False, after=after,
        )  # fmt: skip
        assert after.events == _whole("lutathera", facts, cutoff, False)
    # prrt-1, prrt-2: from their own step; ssa-1, ssa-2, companion injections: from where the
    # calendar before them stopped (doses 3 and 4, past its cutoff then), the injection made
    # again; ssa-5, after the doses: from where the calendar before it stopped (dose 4)
    assert froms == [None, 1, 3, 2, 4, 4]


def test_the_choices_a_step_is_kept_by_are_all_the_options_but_until() -> None:
    """`resume._choices` names every option the series reads (a new option must join it)."""
    from dataclasses import fields

    options = PlanOptions(interval_days=56, calendar_month=True, precautions="us", until=START)
    assert [f.name for f in fields(PlanOptions)] == [
        "interval_days", "calendar_month", "precautions", "until",
    ]  # fmt: skip
    assert resume._choices(options) == (56, True, "us")


@settings(max_examples=500, deadline=None)
@given(
    regimen_id=st.sampled_from(["lutathera", "pluvicto"]),
    pregnancy=st.booleans(),
    given_days=st.lists(st.tuples(st.integers(-6, 20), st.integers(-2, 3)), max_size=7),
    cutoff_after=st.integers(40, 120),
)
def test_a_companion_injection_given_is_made_again_in_the_calendar_as_it_was(
    regimen_id: str,
    pregnancy: bool,
    given_days: list[tuple[int, int]],
    cutoff_after: int,
) -> None:
    """An import's usual course: each dose, then its companion injection, given a few days
    off; each row's calendar (cut off some weeks past its day) built from the one before is
    the one built from the first dose, and those whose new record is an injection are built
    from the last step, that injection made again."""
    regimen = CATALOG.get(regimen_id)
    plan = {e.key: e.date for e in build_calendar(regimen, START, informational=False)}
    facts: list[Fact] = []
    after: Lean | None = None
    patched = 0
    series = regimen.dose.series
    rows = [(f"{what}-{n}", off + (late if what == "ssa" else 0))
            for n, (off, late) in enumerate(given_days, 1)
            for what in (series, "ssa") if f"{what}-{n}" in plan]  # fmt: skip
    for key, off in [(None, 0), *rows]:
        if key is not None:
            facts.append(Fact(RecordType.GIVEN, plan[key] + timedelta(days=off), key))
        day = facts[-1].date if facts else START
        cutoff = day + timedelta(days=cutoff_after)
        lean = build_lean(
            regimen, START, facts, as_of=AS_OF, options=PlanOptions(until=cutoff),
            settings=SETTINGS, cutoff=cutoff, pregnancy_test=pregnancy, after=after,
        )  # fmt: skip
        assert lean.events == _whole(regimen_id, facts, cutoff, pregnancy)
        if after is not None:
            ctx = _ctx(lean)
            step = resume._resume(after.trace, ctx, tuple(facts))
            if step is not None:
                patched += resume._companion_patched(ctx, after.trace, facts[-1], step) is not None
        after = lean
    event(f"{regimen_id}: {'some' if patched else 'no'} injection made again")
