from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedule.domain.dates import add_months, on_or_before_weekday, parse_iso_date
from schedule.domain.errors import DateError


@pytest.mark.parametrize(
    "text",
    [
        "2027-02-30",
        "03/04/2027",
        "next tuesday",
        "2027-3-1",
        "20270301",
        "2027-W09-1",
        "",
        "2027-13-01",
    ],
)
def test_only_real_iso_dates_are_accepted(text: str) -> None:
    with pytest.raises(DateError, match="YYYY-MM-DD"):
        parse_iso_date(text)


def test_leap_day_is_a_date() -> None:
    assert parse_iso_date("2028-02-29") == date(2028, 2, 29)
    with pytest.raises(DateError, match="not a real calendar date"):
        parse_iso_date("2027-02-29")


@given(st.dates(date(2020, 1, 1), date(2040, 12, 31)), st.integers(0, 60))
def test_add_months_clamps_and_never_skips_a_month(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)


def test_31st_clamps_to_month_end() -> None:
    starts = [add_months(date(2027, 1, 31), m) for m in range(4)]
    assert starts == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


@given(st.dates(date(2020, 1, 1), date(2040, 12, 31)))
def test_weekday_on_or_before(day: date) -> None:
    result = on_or_before_weekday(day, "tuesday")
    assert result.weekday() == 1
    assert 0 <= (day - result).days < 7
