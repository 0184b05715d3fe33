"""Issue 30: a lean calendar leaves out the care after the course whose window opens past its
cutoff without working out each item's days (`maintenance._surely_beyond`), from a day the
window cannot open before. Property-based: that day is never later than the one
`_after_event` works out, so an item left out is one `_after_event` leaves out too."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from schedule.domain.dates import add_months
from schedule.domain.model import Fact, RecordType
from schedule.domain.options import PlanOptions
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.engine import maintenance
from schedule.engine.calendar import course_context

CATALOG = load_catalog()
ITEMS = [
    (regimen, item)
    for regimen_id in ("lutathera", "pluvicto", "lanreotide", "leuprolide-3m")
    for regimen in [CATALOG.get(regimen_id)]
    for item in regimen.after_course
]
# Lutathera's blood tests a month after the last dose (a window of 7 days before): from the
# 31st of January a month is 28 days, the least there is.
MONTH, MONTH_BEFORE = next(
    (i, a.window.before)
    for i, (_, a) in enumerate(ITEMS)
    if a.months == 1 and a.window and a.window.before
)


@given(day=st.dates(date(1990, 1, 1), date(2090, 1, 1)), months=st.integers(0, 120))
def test_a_month_added_is_at_least_28_days(day: date, months: int) -> None:
    assert add_months(day, months) >= day + timedelta(days=28 * months)


@settings(max_examples=500, deadline=None)
@example(
    which=MONTH,
    last=date(2027, 1, 31),
    near=-MONTH_BEFORE,
    recorded=False,
    early=7,
)
@given(
    which=st.integers(0, len(ITEMS) - 1),
    last=st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    near=st.integers(-40, 80),  # days from the item's least day to the cutoff
    recorded=st.booleans(),
    early=st.integers(0, 30),
)
def test_an_item_surely_beyond_the_cutoff_is_one_the_engine_leaves_out(
    which: int, last: date, near: int, recorded: bool, early: int
) -> None:
    regimen, item = ITEMS[which]
    cutoff = last + timedelta(days=28 * item.months + item.days + near)
    facts = [Fact(RecordType.GIVEN, cutoff + timedelta(days=5), item.key)] if recorded else []
    ctx = course_context(
        regimen, last - timedelta(days=200), facts, cutoff, PlanOptions(until=cutoff),
        Settings(ssa_early_tolerance_days=early), False, cutoff, True, False,
    )  # fmt: skip
    if maintenance._surely_beyond(ctx, item, last):
        assert maintenance._after_event(ctx, item, last) is None
