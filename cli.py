"""prrt: the command line. Each command parses, calls the library, and renders one way.

The clock is read in exactly one place (`today`), errors become one line on stderr and an exit
code in exactly one place (`PrrtGroup.main`), and heavy modules are imported inside commands so
that `prrt --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from schedule.regimen import Catalog
    from schedule.render import Column
    from schedule.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERNAL = 70


def today() -> date:
    """The only place the command line reads the clock (tests freeze it with freezegun)."""
    return date.today()


def fail_line(message: str) -> None:
    click.echo(f"prrt: {message}", err=True)


class PrrtGroup(click.Group):
    """Runs a command and turns every error into one line on stderr and an exit code."""

    def main(  # type: ignore[override]  # always exits, like click's standalone mode
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> None:
        from schedule.errors import PrrtError

        code = 0
        try:
            result = super().main(args, prog_name or "prrt", complete_var, False, **extra)
            code = result if isinstance(result, int) else 0
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            fail_line(exc.format_message().replace("\n", " ") + hint)
            code = exc.exit_code
        except click.ClickException as exc:
            fail_line(exc.format_message())
            code = exc.exit_code
        except click.Abort:
            fail_line("aborted")
            code = 1
        except PrrtError as exc:
            fail_line(exc.message)
            code = exc.exit_code
        except BrokenPipeError:
            # The reader went away (`prrt plan ... | head`): stop quietly.
            sys.stderr.close()
            code = 0
        except Exception as exc:  # a bug: still no traceback for the user unless asked
            if os.environ.get("PRRT_DEBUG"):
                raise
            fail_line(
                f"internal error ({type(exc).__name__}: {exc}); "
                "run again with PRRT_DEBUG=1 to see the details, and report it"
            )
            code = EXIT_INTERNAL
        sys.exit(code)


class IsoDate(click.ParamType[date]):
    """A `YYYY-MM-DD` date and nothing else."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        from schedule.dates import parse_iso_date
        from schedule.errors import DateError

        try:
            return parse_iso_date(str(value))
        except DateError as exc:
            return self.fail(exc.message, param, ctx)


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


class App:
    """What every command shares: settings, regimens, and (later) the store. Built lazily."""

    def __init__(self, regimen_files: Sequence[Path], config_dir: Path | None) -> None:
        self.regimen_files = tuple(regimen_files)
        self._config_dir = config_dir

    @cached_property
    def config_dir(self) -> Path:
        if self._config_dir is not None:
            return self._config_dir
        env = os.environ.get("PRRT_CONFIG_DIR")
        if env:
            return Path(env)
        import platformdirs

        return Path(platformdirs.user_config_dir("prrt", appauthor=False))

    @cached_property
    def settings(self) -> Settings:
        from schedule.errors import SettingsError
        from schedule.settings import Settings, parse_settings

        path = self.config_dir / "config.toml"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: cannot be read: {exc}") from None
        return parse_settings(text, str(path))

    @cached_property
    def catalog(self) -> Catalog:
        from schedule.regimen import load_catalog

        return load_catalog([self.config_dir / "regimens"], self.regimen_files)


def format_option(func: F) -> F:
    """The one set of output options every listing shares."""
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="table for people; csv and json follow the documented column contract.",
    )(func)


def emit(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, table: Sequence[Column]
) -> None:
    from schedule.render import render

    click.echo(render(rows, columns, fmt, table), nl=False)


@click.group(name="prrt", cls=PrrtGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prrt", prog_name="prrt")
@click.option(
    "--regimen-file",
    "regimen_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A regimen TOML file to add (repeatable); same id replaces a built-in regimen.",
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with config.toml and regimens/ [default: $PRRT_CONFIG_DIR, else the user's].",
)
@click.pass_context
def cli(ctx: click.Context, regimen_files: tuple[Path, ...], config_dir: Path | None) -> None:
    """Dosing calendars for PRRT (Lutathera) and monthly somatostatin-analog injections.

    Not medical advice: prrt flags, clinicians decide.
    """
    ctx.obj = App(regimen_files, config_dir)


@cli.command()
@format_option
@click.pass_obj
def regimens(app: App, fmt: str) -> None:
    """List the regimens available (built-in and the site's)."""
    from schedule.regimen_view import REGIMEN_COLUMNS, REGIMEN_TABLE, regimen_rows

    emit(regimen_rows(app.catalog), REGIMEN_COLUMNS, fmt, REGIMEN_TABLE)


@cli.command()
@click.argument("regimen")
@click.option("--start", required=True, type=ISO_DATE, help="Day of the first dose.")
@click.option(
    "--interval",
    type=Interval(),
    help="Days between doses, if the regimen offers a choice; or 'month'.",
)
@click.option(
    "--precautions", help="Radiation-precaution variant, e.g. eu or us [default: site setting]."
)
@click.option("--until", type=ISO_DATE, help="End of the projection for open-ended (SSA) regimens.")
@format_option
@click.pass_obj
def plan(
    app: App,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
    until: date | None,
    fmt: str,
) -> None:
    """Print the treatment calendar of REGIMEN from a start date."""
    from schedule.columns import EVENT_COLUMNS, event_row
    from schedule.engine import PlanOptions, build_calendar
    from schedule.render import EVENT_TABLE

    options = PlanOptions(
        interval_days=interval if isinstance(interval, int) else None,
        calendar_month=interval == "month",
        precautions=precautions,
        until=until,
    )
    events = build_calendar(app.catalog.get(regimen), start, options=options, settings=app.settings)
    emit([event_row(e) for e in events], EVENT_COLUMNS, fmt, EVENT_TABLE)


def main() -> None:
    cli.main(prog_name="prrt")


if __name__ == "__main__":
    main()
