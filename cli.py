"""prrt: the command line. Each command parses, calls the library, and renders one way.

The clock is read in exactly one place (`today`), errors become one line on stderr and an exit
code in exactly one place (`PrrtGroup.main`), and heavy modules are imported inside commands so
that `prrt --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from schedule.calendars.publisher import Publisher
    from schedule.domain.course import Actor
    from schedule.domain.options import PlanOptions
    from schedule.domain.regimen import Catalog
    from schedule.domain.settings import Settings
    from schedule.output.render import Column
    from schedule.store.database import Store
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
            where = f" {exc.filename}" if exc.filename else ""
            fail_line(f"cannot read or write{where}: {exc.strerror or exc}")
            code = EXIT_FILE
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

    @property
    def db_target(self) -> str:
        if self._db:
            return self._db
        import platformdirs

        return str(Path(platformdirs.user_data_dir("prrt", appauthor=False)) / "prrt.db")

    @property
    def store(self) -> Store:
        if self._store is None:
            from schedule.domain.course import Actor
            from schedule.store.database import Store

            self._store = Store.open(self.db_target, Actor(self.user, now()).stamp)
        return self._store

    @cached_property
    def tracker(self) -> Tracker:
        from schedule.tracking.tracker import Tracker

        return Tracker(self.store, self.catalog, self.settings)

    @cached_property
    def user(self) -> str:
        if self._user:
            return self._user
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"

    def publisher(self, with_name: bool = False) -> Publisher:
        from schedule.calendars.publisher import Publisher

        return Publisher(self.store, self.catalog, self.settings, today(), now(), with_name)

    def actor(self) -> Actor:
        from schedule.domain.course import Actor

        return Actor(self.user, now())

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

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
    from schedule.output.render import render

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
@click.option(
    "--db",
    envvar="PRRT_DB",
    help="SQLite file or postgresql+psycopg:// URL [default: $PRRT_DB, else the user data folder].",
)
@click.option("--user", envvar="PRRT_USER", help="Name for the audit trail [default: login name].")
@click.pass_context
def cli(
    ctx: click.Context,
    regimen_files: tuple[Path, ...],
    config_dir: Path | None,
    db: str | None,
    user: str | None,
) -> None:
    """Dosing calendars for PRRT (Lutathera) and monthly somatostatin-analog injections.

    Not medical advice: prrt flags, clinicians decide.
    """
    app = App(regimen_files, config_dir, db, user)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.command()
@format_option
@click.pass_obj
def regimens(app: App, fmt: str) -> None:
    """List the regimens available (built-in and the site's)."""
    from schedule.output.regimens import REGIMEN_COLUMNS, REGIMEN_TABLE, regimen_rows

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
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="Write the patient's calendar (.ics) to this file ('-': standard output) instead.",
)
@click.option("--time", "appt_time", help="With --ics: dose appointments at HH:MM.")
@click.option("--tz", help="With --ics and --time: the IANA time zone, e.g. America/New_York.")
@format_option
@click.pass_obj
def plan(
    app: App,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
    until: date | None,
    ics_file: Path | None,
    appt_time: str | None,
    tz: str | None,
    fmt: str,
) -> None:
    """Print the treatment calendar of REGIMEN from a start date."""
    from schedule.engine.calendar import build_calendar

    if ics_file is None and (appt_time or tz):
        raise click.UsageError("--time and --tz apply to --ics only")
    options = plan_options(interval, precautions, until)
    chosen = app.catalog.get(regimen)
    events = build_calendar(chosen, start, options=options, settings=app.settings)
    if ics_file is not None:
        from schedule.calendars.entries import appointment_for
        from schedule.calendars.publisher import plan_calendar
        from schedule.domain.errors import InputError

        if bool(appt_time) != bool(tz):
            raise InputError("give --time and --tz together (a time needs its time zone)")
        slot = appointment_for(appt_time, tz)
        text = plan_calendar(chosen, start, events, app.settings, now(), slot)
        write_text(ics_file, text, f"wrote the calendar of {regimen} from {start} to {ics_file}")
        return
    from schedule.output.columns import EVENT_COLUMNS, event_row
    from schedule.output.render import EVENT_TABLE

    emit([event_row(e) for e in events], EVENT_COLUMNS, fmt, EVENT_TABLE)


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


def as_of_option(func: F) -> F:
    return click.option("--as-of", type=ISO_DATE, help="Statuses as of this day [default: today].")(
        func
    )


def course_option(func: F) -> F:
    return click.option(
        "--course",
        "course_number",
        type=click.IntRange(min=1),
        help="Course number [default: the latest].",
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


@cli.group()
def patient() -> None:
    """Add and list patients."""


@patient.command("add")
@click.argument("patient_id")
@course_spec_options
@click.option("--name", help="Shown to coordinators; in calendars only with --with-name.")
@click.option("--tz", help="IANA time zone for appointment times, e.g. Europe/Zurich.")
@click.option("--time", "appt_time", help="Usual appointment time, HH:MM.")
@click.pass_obj
def patient_add(
    app: App,
    patient_id: str,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
    name: str | None,
    tz: str | None,
    appt_time: str | None,
) -> None:
    """Add a patient with a first course."""
    from schedule.domain.course import Patient

    course = app.tracker.add_patient(
        Patient(patient_id, name, tz, appt_time),
        regimen,
        start,
        plan_options(interval, precautions),
        app.actor(),
    )
    click.echo(f"added {patient_id}: course {course.number}, {course.regimen} from {course.start}")


@patient.command("list")
@as_of_option
@format_option
@click.pass_obj
def patient_list(app: App, as_of: date | None, fmt: str) -> None:
    """List patients, one row per course, with what comes next."""
    from schedule.tracking.worklists import PATIENT_COLUMNS, PATIENT_TABLE, patient_rows

    rows = patient_rows(app.store, app.catalog, app.settings, as_of or today())
    emit(rows, PATIENT_COLUMNS, fmt, PATIENT_TABLE)


@cli.group()
def course() -> None:
    """Add a course (a retreatment, a new SSA) to a patient."""


@course.command("add")
@click.argument("patient_id")
@course_spec_options
@click.pass_obj
def course_add(
    app: App,
    patient_id: str,
    regimen: str,
    start: date,
    interval: int | str | None,
    precautions: str | None,
) -> None:
    """Start a new course for an existing patient."""
    course = app.tracker.add_course(
        patient_id, regimen, start, plan_options(interval, precautions), app.actor()
    )
    click.echo(
        f"added course {course.number} to {patient_id}: {course.regimen} from {course.start}"
    )


@cli.command()
@click.argument("patient_id")
@as_of_option
@format_option
@click.pass_obj
def show(app: App, patient_id: str, as_of: date | None, fmt: str) -> None:
    """A patient's calendar, with each event's status as of a day."""
    from schedule.tracking.worklists import SHOW_COLUMNS, SHOW_TABLE, show_rows

    rows = show_rows(app.store, app.catalog, app.settings, patient_id, as_of or today())
    emit(rows, SHOW_COLUMNS, fmt, SHOW_TABLE)


@cli.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--date", "day", required=True, type=ISO_DATE, help="Day it was given.")
@click.option("--dose", help="Amount given: GBq, MBq or mCi for radioligands, mg for injections.")
@click.option("--note", default="", help="A free-text note.")
@course_option
@click.pass_obj
def record(
    app: App,
    patient_id: str,
    event: str,
    day: date,
    dose: str | None,
    note: str,
    course_number: int | None,
) -> None:
    """Record EVENT (e.g. prrt-2, ssa-5, labs-3) as given."""
    number = app.tracker.record(
        patient_id, event, day, dose, note, app.actor(), today(), course_number
    )
    click.echo(f"recorded {event} for {patient_id} on {day} (record {number})")


@cli.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--reason", required=True, help="Why it is skipped.")
@course_option
@click.pass_obj
def skip(app: App, patient_id: str, event: str, reason: str, course_number: int | None) -> None:
    """Mark EVENT as skipped: it will not be given."""
    number = app.tracker.skip(patient_id, event, reason, app.actor(), today(), course_number)
    click.echo(f"skipped {event} for {patient_id} (record {number})")


@cli.command()
@click.argument("patient_id")
@click.argument("event")
@click.option("--date", "day", required=True, type=ISO_DATE, help="The new target day.")
@click.option("--reason", required=True, help="Why it moves.")
@course_option
@click.pass_obj
def reschedule(
    app: App, patient_id: str, event: str, day: date, reason: str, course_number: int | None
) -> None:
    """Move EVENT's target day; the later doses follow."""
    number = app.tracker.reschedule(
        patient_id, event, day, reason, app.actor(), today(), course_number
    )
    click.echo(f"rescheduled {event} for {patient_id} to {day} (record {number})")


@cli.command()
@click.argument("patient_id")
@click.option("--reason", required=True, help="The toxicity or other cause.")
@click.pass_obj
def hold(app: App, patient_id: str, reason: str) -> None:
    """Put the patient's course on hold (toxicity): the next dose waits."""
    number = app.tracker.hold(patient_id, reason, app.actor(), today())
    click.echo(f"{patient_id} is on hold from {today()} (record {number})")


@cli.command()
@click.argument("patient_id")
@click.option("--reason", default="", help="An optional note.")
@click.pass_obj
def resume(app: App, patient_id: str, reason: str) -> None:
    """End a hold; the next dose is flagged for the reduced activity."""
    number = app.tracker.resume(patient_id, reason, app.actor(), today())
    click.echo(f"{patient_id} resumed on {today()} (record {number})")


@cli.command()
@click.argument("patient_id")
@click.option("--reason", required=True, help="Why the course stops.")
@click.pass_obj
def discontinue(app: App, patient_id: str, reason: str) -> None:
    """Stop the patient's current course; what is left of it is cancelled."""
    number = app.tracker.discontinue(patient_id, reason, app.actor(), today())
    click.echo(f"discontinued {patient_id}'s course on {today()} (record {number})")


@cli.command()
@click.argument("patient_id")
@click.argument("record_id", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="What was wrong.")
@click.pass_obj
def correct(app: App, patient_id: str, record_id: int, reason: str) -> None:
    """Mark record RECORD_ID entered-in-error (it stays in the history)."""
    number = app.tracker.correct(patient_id, record_id, reason, app.actor(), today())
    click.echo(f"marked record {record_id} of {patient_id} entered-in-error (record {number})")


@cli.command()
@click.argument("patient_id")
@format_option
@click.pass_obj
def history(app: App, patient_id: str, fmt: str) -> None:
    """The audit trail of a patient: who changed what, and when."""
    from schedule.tracking.worklists import HISTORY_COLUMNS, HISTORY_TABLE, history_rows

    emit(history_rows(app.store, patient_id), HISTORY_COLUMNS, fmt, HISTORY_TABLE)


@cli.command()
@as_of_option
@click.option(
    "--within", type=click.IntRange(min=0, max=366), default=7, show_default=True,
    help="Also list what falls due in this many days.",
)  # fmt: skip
@format_option
@click.pass_obj
def due(app: App, as_of: date | None, within: int, fmt: str) -> None:
    """The worklist: what is due, late, or coming up, across all patients."""
    from schedule.tracking.worklists import WORKLIST_COLUMNS, WORKLIST_TABLE, worklist_rows

    workers = os.cpu_count() or 1
    rows = worklist_rows(
        app.store,
        app.catalog,
        app.settings,
        as_of or today(),
        missed=False,
        within=within,
        workers=workers,
    )
    emit(rows, WORKLIST_COLUMNS, fmt, WORKLIST_TABLE)


@cli.command()
@as_of_option
@click.option("--fail-if-any", is_flag=True, help="Exit 1 when anything is listed.")
@format_option
@click.pass_obj
def missed(app: App, as_of: date | None, fail_if_any: bool, fmt: str) -> int:
    """Every missed dose, lab or scan across all patients, most overdue first."""
    from schedule.tracking.worklists import WORKLIST_COLUMNS, WORKLIST_TABLE, worklist_rows

    day = as_of or today()
    workers = os.cpu_count() or 1
    rows = worklist_rows(app.store, app.catalog, app.settings, day, missed=True, workers=workers)
    emit(rows, WORKLIST_COLUMNS, fmt, WORKLIST_TABLE)
    return 1 if fail_if_any and rows else 0


@cli.command()
@click.argument("patient_id", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="File [default: standard output].",
)
@click.option("--all", "everyone", is_flag=True, help="Every active patient, one file each.")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --all: the folder for the PATIENT_ID.ics files.",
)
@click.option("--with-name", is_flag=True, help="Put the patient's name in the calendar's name.")
@click.pass_obj
def ics(
    app: App,
    patient_id: str | None,
    output: Path | None,
    everyone: bool,
    folder: Path | None,
    with_name: bool,
) -> None:
    """Write a patient's calendar as an .ics file for a phone (or --all into --dir).

    SEQUENCE is remembered per event, so an event that changed carries a higher one. An
    imported file does not update itself: give patients a feed ('prrt feed url') for that.
    """
    if everyone:
        if patient_id or output:
            raise click.UsageError("--all writes every patient into --dir; drop PATIENT_ID / -o")
        if folder is None:
            raise click.UsageError("--all needs --dir FOLDER")
        from schedule.calendars.folder import write_folder

        result = write_folder(app.publisher(with_name), folder, workers=os.cpu_count() or 1)
        click.echo(
            f"wrote {result.total} calendars to {folder}: {result.new} new, "
            f"{result.changed} changed, {result.unchanged} unchanged"
        )
        return
    if folder is not None:
        raise click.UsageError("--dir goes with --all; for one patient use -o FILE")
    if not patient_id:
        raise click.UsageError("give a PATIENT_ID, or --all --dir FOLDER")
    calendar = app.publisher(with_name).patient(patient_id)
    write_text(
        output,
        calendar.text,
        f"wrote the calendar of {patient_id} ({calendar.events} events) to {output}",
    )


@cli.group()
def feed() -> None:
    """Subscription links that keep a patient's phone calendar up to date."""


@feed.command("url")
@click.argument("patient_id")
@click.option(
    "--base",
    help="The server's address as phones reach it, e.g. https://calendar.example.org "
    "[default: site.feed_base_url].",
)
@click.option("--with-name", is_flag=True, help="Put the patient's name in the calendar's name.")
@click.option(
    "--qr",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="Also write the link as a QR code: FILE.png, FILE.svg, or '-' for the terminal.",
)
@click.pass_obj
def feed_url(app: App, patient_id: str, base: str | None, with_name: bool, qr: Path | None) -> None:
    """Issue PATIENT_ID's webcal:// link (shown once: only a hash of it is stored)."""
    from schedule.calendars.feeds import feed_url as make_url
    from schedule.calendars.feeds import issue

    base = base or app.settings.feed_base_url
    if not base:
        raise click.UsageError(
            "give --base URL (where phones reach 'prrt serve') or set site.feed_base_url"
        )
    make_url(base, "x" * 32)  # a bad base fails here, before any token exists
    if qr is not None and str(qr) != "-" and qr.suffix.lower() not in (".png", ".svg"):
        raise click.UsageError("--qr takes a .png or .svg file, or '-' for the terminal")

    def deliver(token: str) -> None:
        url = make_url(base, token)
        if qr is not None:
            write_qr(url, qr)
        click.echo(url)

    issue(app.store, patient_id, with_name, app.actor(), deliver)


def write_qr(url: str, target: Path) -> None:
    import segno

    code = segno.make(url, error="m")
    if str(target) == "-":
        code.terminal(out=sys.stdout, compact=True)
        return
    import io

    from schedule.output.files import write_atomic_bytes

    buffer = io.BytesIO()
    code.save(buffer, kind=target.suffix.lower()[1:], scale=8, border=4)
    write_atomic_bytes(target, buffer.getvalue())


@feed.command("revoke")
@click.argument("patient_id")
@click.pass_obj
def feed_revoke(app: App, patient_id: str) -> None:
    """Make PATIENT_ID's link dead at once; 'prrt feed url' issues a new one."""
    from schedule.calendars.feeds import revoke

    revoked = revoke(app.store, patient_id, app.actor())
    click.echo(f"revoked the feed link of {patient_id} ({len(revoked)} link)")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.pass_obj
def serve(app: App, host: str, port: int, threads: int) -> None:
    """Serve patients' calendar feeds (GET /feeds/TOKEN.ics) until stopped.

    Put it behind a TLS reverse proxy for phones outside the clinic's network.
    """
    from waitress.server import create_server

    from schedule.calendars.server import FeedApp

    application = FeedApp(app.store, app.catalog, app.settings, now)
    server = create_server(application, host=host, port=port, threads=threads)
    address = f"http://{host}:{getattr(server, 'effective_port', port)}"
    click.echo(f"prrt: serving feeds on {address}/feeds/TOKEN.ics; Ctrl-C stops", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@cli.group("import")
def import_group() -> None:
    """Import a roster of patients or the doses given, from CSV (all or nothing)."""


def _report_import(what: str, result: Any) -> None:
    verb = "would import" if result.dry_run else "imported"
    click.echo(f"{verb} {result.added} {what}; {result.unchanged} already stored")


@import_group.command("roster")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.pass_obj
def import_roster(app: App, file: Path, dry_run: bool) -> None:
    """Patients from CSV: patient_id,regimen,start[,name,tz,time]."""
    from schedule.tracking.transfer import import_roster as run

    _report_import("patients", run(app.tracker, file, app.actor(), dry_run))


@import_group.command("doses")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; store nothing.")
@click.pass_obj
def import_doses(app: App, file: Path, dry_run: bool) -> None:
    """Doses given from CSV: patient_id,event,date[,dose,note,course]."""
    from schedule.tracking.transfer import import_doses as run

    _report_import("records", run(app.tracker, file, app.actor(), today(), dry_run))


@cli.group("export")
def export_group() -> None:
    """Write stored data out as CSV."""


@export_group.command("doses")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File [default: stdout].",
)
@click.pass_obj
def export_doses(app: App, output: Path | None) -> None:
    """Every recorded dose, lab and scan, as CSV that 'prrt import doses' reads back."""
    from schedule.output.render import render
    from schedule.tracking.transfer import DOSES_COLUMNS
    from schedule.tracking.transfer import export_doses as rows

    text = render(rows(app.store), DOSES_COLUMNS, "csv", ())
    if output is None:
        click.echo(text, nl=False)
    else:
        from schedule.output.files import write_atomic

        write_atomic(output, text)


def main() -> None:
    cli.main(prog_name="prrt")


if __name__ == "__main__":
    main()
