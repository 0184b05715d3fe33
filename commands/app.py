"""What every command shares: the application context, the option types and decorators, the
one renderer call, and the one place that turns errors into a line on stderr and an exit code.

The clock is read in exactly one place (`today`), errors become one line on stderr and an exit
code in exactly one place (`PrrtGroup.main`), and heavy modules are imported inside commands so
that `prrt --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from schedule.calendars.publisher import Publisher
    from schedule.domain.closures import Closures
    from schedule.domain.course import Actor
    from schedule.domain.options import PlanOptions
    from schedule.domain.regimen import Catalog
    from schedule.domain.settings import Settings
    from schedule.output.columns import Row, TypedRow
    from schedule.output.render import Column
    from schedule.store.database import Store
    from schedule.store.reader import SqliteReader
    from schedule.tracking.tracker import Tracker

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERNAL = 70
EXIT_FILE = 6

# The ways out that the library's errors point to (`schedule.domain.errors.Hint`), worded for
# the command line; the library itself never names a command or an option.
HINTS = {
    "list-patients": "; 'prrt patient list' shows the patients",
    "add-course": "; add one with 'prrt course add'",
    "new-course-exists": "; to start a new course use 'prrt course add {patient}'",
    "new-course-other": "; add a new course with 'prrt course add {patient}'",
    "new-course-ended": "; start a new one with 'prrt course add {patient}'",
    "show-events": "; 'prrt show {patient}' lists the events",
    "correct-record": (
        "; if that is wrong, run 'prrt correct {patient} {record} --reason ...' first"
    ),
    "resume": "; 'prrt resume {patient}' ends it",
    "history": "; 'prrt history {patient}' lists them",
    "reissue-feed": (
        ": run 'prrt feed revoke {patient}', then 'prrt feed url {patient}' for a new one"
    ),
    "give-reason": "; give --reason TEXT",
    "override": '; if a clinician has a reason, add --override "REASON"',
    "drop-override": "; drop --override",
    "record-or-skip": (
        "; record it first ('prrt record {patient} {event} --date ...') or skip it "
        "('prrt skip {patient} {event} --reason ...')"
    ),
    "choose-course": "; add --course N",
    "name-toxicity": "; name it with --toxicity TYPE",
    "give-grade": "; give --grade 1 to 5",
    "past-start": ", or pass --past-start if it is meant",
    "create-database": (
        "; 'prrt --db {path} init' creates it, or give the database meant with --db (or $PRRT_DB)"
    ),
}


def now() -> datetime:
    """The only place the command line reads the clock (tests freeze it with freezegun)."""
    return datetime.now(UTC)


def today() -> date:
    """Today in the machine's local time zone."""
    return now().astimezone().date()


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
        from schedule.domain.errors import PrrtError

        code = 0
        try:
            from commands.failures import refuse_undecodable

            refuse_undecodable(sys.argv[1:] if args is None else args)
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
            fail_line(exc.message + (HINTS[exc.hint.value].format(**exc.data) if exc.hint else ""))
            code = exc.exit_code
        except BrokenPipeError:
            # The reader went away (`prrt plan ... | head`): stop quietly.
            sys.stderr.close()
            code = 0
        except OSError as exc:  # standard output or a file that cannot be written
            where = f" {exc.filename}" if exc.filename else " standard output"
            fail_line(f"cannot read or write{where}: {exc.strerror or exc}")
            code = EXIT_FILE
        except Exception as exc:  # a bug: still no traceback for the user unless asked
            if os.environ.get("PRRT_DEBUG"):
                raise
            from commands.failures import database_failure

            message, code = database_failure(exc) or (
                f"internal error ({type(exc).__name__}: {exc}); "
                "run again with PRRT_DEBUG=1 to see the details, and report it",
                EXIT_INTERNAL,
            )
            fail_line(message)
        sys.exit(code)


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

# The commands that may create a database that does not exist yet.
CREATING_COMMANDS = frozenset({"init", "patient add", "import roster"})


def _command_path() -> str:
    """The running command without the program's name: "patient add", "due"."""
    ctx = click.get_current_context(silent=True)
    return " ".join(ctx.command_path.split()[1:]) if ctx is not None else ""


class App:
    """What every command shares: settings, regimens, the store. Each is built when first used,
    and the store is closed when the command ends."""

    def __init__(
        self,
        regimen_files: Sequence[Path],
        config_dir: Path | None,
        db: str | None,
        user: str | None,
    ) -> None:
        self.regimen_files = tuple(regimen_files)
        self._config_dir = config_dir
        self._db = db
        self._user = user
        self._store: Store | None = None
        self._reader: SqliteReader | None = None

    @property
    def db_target(self) -> str:
        if self._db:
            return self._db
        import platformdirs

        return str(Path(platformdirs.user_data_dir("prrt", appauthor=False)) / "prrt.db")

    @property
    def store(self) -> Store:
        """The database. Only the commands that create (`CREATING_COMMANDS`) create a missing
        SQLite file, and say so on stderr; every other command refuses it (a mistyped --db
        would otherwise answer from an empty database: "nothing missed")."""
        if self._store is None:
            from schedule.domain.course import Actor
            from schedule.store.database import Store

            create = _command_path() in CREATING_COMMANDS
            self._store = Store.open(self.db_target, Actor(self.user, now()).stamp, create=create)
            if self._store.created is not None:
                fail_line(f"created a new database at {self._store.created}")
        return self._store

    @property
    def reader(self) -> Store | SqliteReader:
        """For the commands that only read every patient's facts (the worklists): on an SQLite
        file whose schema is current, a reader that needs no SQLAlchemy import
        (`store.reader`); else the store, which refuses a missing file and migrates an old
        one."""
        if self._reader is None and self._store is None:
            from schedule.store.reader import SqliteReader

            self._reader = SqliteReader.open(self.db_target)
        return self._reader or self.store

    @cached_property
    def tracker(self) -> Tracker:
        from schedule.tracking.tracker import Tracker

        closures = self.closures  # a malformed closures file is refused before the database
        # The store opens when the tracker first needs it, after the input is checked.
        return Tracker(lambda: self.store, self.catalog, self.settings, closures)

    @cached_property
    def user(self) -> str:
        """Who makes the changes, as the audit trail keeps it; checked like every input."""
        from schedule.domain.errors import InputError
        from schedule.domain.text import check_user

        if self._user:
            name = self._user
        else:
            import getpass

            try:
                name = getpass.getuser()
            except (KeyError, OSError):
                name = "unknown"
        try:
            return check_user(name)
        except InputError as exc:
            raise click.UsageError(exc.message + "; give another with --user NAME") from None

    def publisher(self, with_name: bool = False) -> Publisher:
        from schedule.calendars.publisher import Publisher

        return Publisher(self.store, self.catalog, self.settings, today(), now(), with_name)

    def actor(self) -> Actor:
        from schedule.domain.course import Actor

        return Actor(self.user, now())

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._reader is not None:
            self._reader.close()

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
        from schedule.domain.errors import SettingsError
        from schedule.domain.settings import Settings, parse_settings

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
        from schedule.domain.regimen_file import load_catalog

        return load_catalog([self.config_dir / "regimens"], self.regimen_files)

    def clinic_days(self, first: date, last: date) -> tuple[Closures, frozenset[date]]:
        """The closures, and the days from `first` to `last` over the infusion capacity (it
        takes every patient's calendar): for the clinic-closed and over-capacity flags."""
        from schedule.tracking.days import clinic_days, crowded_days

        closures = self.closures
        found = clinic_days(self.store, self.catalog, self.settings, closures, first, last, today())
        return closures, crowded_days(found)

    @cached_property
    def closures(self) -> Closures:
        """The clinic's closed days from `site.closures` (a path relative to the configuration
        folder unless absolute), expanded from last year to three years ahead."""
        from schedule.domain.closures import Closures

        if not self.settings.closures:
            return Closures()
        from schedule.calendars.closures import closure_span, read_closures

        path = Path(self.settings.closures).expanduser()
        return read_closures(
            path if path.is_absolute() else self.config_dir / path, *closure_span(today())
        )


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


def terminal_width() -> int | None:
    """The width to fit tables to: the terminal's when standard output is one (`COLUMNS`, when
    set, wins, as `shutil.get_terminal_size` reads it), else None: a pipe or a file gets every
    column in full, whatever `COLUMNS` says."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def emit(
    rows: Sequence[Row | TypedRow], columns: Sequence[str], fmt: str, table: Sequence[Column]
) -> None:
    from schedule.output.render import render

    if click.get_current_context().meta.get("prrt.excel"):
        if fmt == "json":
            raise click.UsageError("--excel writes CSV; it cannot be combined with --format json")
        click.echo(EXCEL_BOM + render(rows, columns, "csv", table), nl=False)
        return
    width = terminal_width() if fmt == "table" else None
    click.echo(render(rows, columns, fmt, table, width), nl=False)


def write_text(target: Path | None, text: str, done: str) -> None:
    """`text` to standard output (None or '-') byte for byte, or atomically to a file."""
    if target is None or str(target) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    from schedule.output.files import write_atomic

    write_atomic(target, text)
    click.echo(done)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while long work runs, when stderr is a terminal; nothing at all
    when it is a pipe or a file. The library calls what this yields with (done, to do); the bar
    appears at the first call, so work that turns out to be empty shows none."""
    if not sys.stderr.isatty():
        yield _no_progress
        return
    with ExitStack() as stack:
        bars: list[Any] = []

        def update(done: int, total: int) -> None:
            if not bars:
                bar = click.progressbar(length=total, label=label, file=sys.stderr)
                bars.append(stack.enter_context(bar))
            bar = bars[0]
            if done >= total or done - bar.pos >= max(1, total // 100):  # at most 100 redraws
                bar.update(done - bar.pos)

        yield update


def _no_progress(done: int, total: int) -> None:
    pass


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
