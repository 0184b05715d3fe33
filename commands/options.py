"""The option types and decorators the commands share: dates, intervals, `--format`, `--as-of`,
`--course` and a plan's options."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from schedule.domain.options import PlanOptions

F = TypeVar("F", bound=Callable[..., Any])


class IsoDate(click.ParamType[date]):
    """A `YYYY-MM-DD` date and nothing else."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        from schedule.domain.dates import parse_iso_date
        from schedule.domain.errors import DateError

        try:
            return parse_iso_date(str(value))
        except DateError as exc:
            return self.fail(exc.message, param, ctx)


class DayDate(IsoDate):
    """A `YYYY-MM-DD` date, or `today` or `yesterday` (any case), as the clock says today
    (read in `app.today`, the one place)."""

    name = "YYYY-MM-DD|today|yesterday"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        word = str(value).strip().lower() if isinstance(value, str) else ""
        if word in ("today", "yesterday"):
            from commands.app import today

            return today() - timedelta(days=word == "yesterday")
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            return self.fail(f"{exc.message}, or today or yesterday", param, ctx)


class Interval(click.ParamType[int | str]):
    """An interval in days (one the regimen allows) or `month` for calendar months."""

    name = "DAYS|month"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | str:
        text = str(value).strip().lower()
        if text == "month":
            return "month"
        if text.isdigit() and int(text) > 0:
            return int(text)
        return self.fail(f"{value!r} is not a number of days or 'month'", param, ctx)


ISO_DATE = IsoDate()
DAY_DATE = DayDate()

# The commands that may create a database that does not exist yet.


def format_option(func: F) -> F:
    """The one set of output options every listing shares."""
    func = click.option(
        "--excel",
        is_flag=True,
        expose_value=False,
        callback=_remember_excel,
        help="CSV with a UTF-8 byte-order mark, so Excel shows accents (implies --format csv).",
    )(func)
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="table for people; csv and json follow the documented column contract.",
    )(func)


EXCEL_BOM = "\ufeff"  # the UTF-8 byte-order mark by which Excel knows a CSV file is UTF-8


def _remember_excel(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """`--excel` is read by `emit`, so that no command has to pass it along."""
    ctx.meta["prrt.excel"] = value
    return value


def as_of_option(func: F) -> F:
    return click.option("--as-of", type=ISO_DATE, help="Statuses as of this day [default: today].")(
        func
    )


def course_option(func: F) -> F:
    return click.option(
        "--course",
        "course_number",
        type=click.IntRange(min=1, max=10_000),
        help="Course number [default: the patient's one active course].",
    )(func)


def plan_options(
    interval: int | str | None, precautions: str | None, until: date | None = None
) -> PlanOptions:
    """The engine's options from `--interval DAYS|month`, `--precautions` and `--until`."""
    from schedule.domain.options import PlanOptions

    return PlanOptions(
        interval_days=interval if isinstance(interval, int) else None,
        calendar_month=interval == "month",
        precautions=precautions,
        until=until,
    )


def course_spec_options(func: F) -> F:
    func = click.option("--precautions", help="Radiation-precaution variant (eu or us).")(func)
    func = click.option(
        "--interval",
        type=Interval(),
        help="Days between doses if the regimen offers a choice, or 'month'.",
    )(func)
    func = click.option("--start", required=True, type=ISO_DATE, help="Day of the first dose.")(
        func
    )
    return click.option("--regimen", required=True, help="Regimen id ('prrt regimens').")(func)


def create_option(func: F) -> F:
    """`--create`: this command may create the SQLite database when the file does not exist
    (otherwise only `prrt init` creates one, so a mistyped --db is refused, not a new file)."""
    return click.option(
        "--create",
        is_flag=True,
        expose_value=False,
        callback=_remember_create,
        help="Create the database (--db) if it does not exist yet, as 'prrt init' does.",
    )(func)


def _remember_create(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """`--create` is read where the database is opened (`App.store`)."""
    ctx.meta["prrt.create"] = value
    return value
