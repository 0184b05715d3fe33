"""Hypothesis over start dates in 2020-2040 (leap days included): invariants of the plan."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from schedule.domain.dates import add_months
from schedule.domain.model import Fact, Flag, Kind, RecordType
from schedule.domain.regimen import Regimen
from schedule.engine.calendar import build_calendar

starts = st.dates(date(2020, 1, 1), date(2040, 12, 31)) | st.sampled_from(
    [date(2020, 2, 29), date(2024, 2, 29), date(2028, 2, 29), date(2036, 2, 29), date(2040, 2, 29)]
)


@given(starts)
def test_four_doses_56_days_apart_when_on_time(lutathera: Regimen, start: date) -> None:
    doses = [e for e in build_calendar(lutathera, start) if e.series == "prrt"]
    assert [e.date for e in doses] == [start + timedelta(days=56 * k) for k in range(4)]


@given(starts, st.lists(st.integers(-7, 7), min_size=4, max_size=4))
def test_no_long_acting_ssa_in_the_28_days_before_any_dose(
    lutathera: Regimen, start: date, shifts: list[int]
) -> None:
    facts, day = [], start
    for k, shift in enumerate(shifts, 1):  # every dose given within its window, LAR the same day
        day = (
            max(day + timedelta(days=shift), start) if k == 1 else day + timedelta(days=56 + shift)
        )
        facts += [Fact(RecordType.GIVEN, day, f"prrt-{k}"), Fact(RecordType.GIVEN, day, f"ssa-{k}")]
    events = build_calendar(lutathera, start, facts, as_of=day)
    ssa = [e.effective_date for e in events if e.series == "ssa"]
    for dose in (e for e in events if e.series == "prrt"):
        assert not [s for s in ssa if 0 < (dose.effective_date - s).days < 28]
        assert not set(dose.flags) - {Flag.LABS_MISSING}  # no labs are recorded here


@given(starts)
def test_ssa_maintenance_ends_by_18_months(lutathera: Regimen, start: date) -> None:
    events = build_calendar(lutathera, start)
    ssa = [e for e in events if e.series == "ssa"]
    assert max(e.date for e in ssa) <= add_months(start, 18)
    assert [e.key for e in ssa] == [f"ssa-{n}" for n in range(1, len(ssa) + 1)]


@given(starts)
def test_every_event_key_is_unique_and_windows_hold_their_dates(
    lutathera: Regimen, start: date
) -> None:
    events = build_calendar(lutathera, start)
    assert len({e.key for e in events}) == len(events)
    for e in events:
        assert e.date <= e.end
        assert (e.window_start <= e.date and e.end <= e.window_end) or e.kind is Kind.LAB
