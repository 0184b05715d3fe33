"""The application context every command shares (`App`: the database, the site's settings and
regimens, the user), and the clock, read in exactly one place (`now`). The option types are in
`options.py`, the renderer call in `output.py`, the errors' one place in `errors.py`; heavy
modules are imported inside commands so that `prrt --help` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from commands.errors import fail_line

if TYPE_CHECKING:
    from schedule.domain.closures import Closures
    from schedule.domain.course import Actor
    from schedule.domain.regimen import Catalog
    from schedule.domain.settings import Settings
    from schedule.store.database import Store
    from schedule.store.fastpath import SqliteReader
    from schedule.store.pgreader import PostgresReader
    from schedule.store.transaction import Tx, Watch
    from schedule.tracking.tracker import Tracker
    from schedule.web.asgi import FeedServer


def now() -> datetime:
    """The only place the command line reads the clock (tests freeze it with freezegun)."""
    return datetime.now(UTC)


def today() -> date:
    """Today in the machine's local time zone."""
    return now().astimezone().date()


def feed_server() -> FeedServer:
    """The feed server's application in one of its worker processes (uvicorn calls this by
    name, `prrt serve`), on this module's clock."""
    from schedule.web.asgi import create

    return create(now)


# The commands that only read: they open an SQLite file read-only (it may be on read-only
# media) and never migrate it. Only `init` (or a command given --create) creates a database.
READING_COMMANDS = frozenset(
    {
        "show", "due", "missed", "explain", "history", "patient list", "export roster",
        "export doses", "backup", "days", "report", "ics", "handout",
    }
)  # fmt: skip


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
        self._reader: SqliteReader | PostgresReader | None = None

    @property
    def db_target(self) -> str:
        if self._db:
            return self._db
        import platformdirs

        return str(Path(platformdirs.user_data_dir("prrt", appauthor=False)) / "prrt.db")

    @property
    def store(self) -> Store:
        """The database. Only `init` (or a command given --create) creates a missing SQLite
        file, and says so on stderr; every other command refuses it (a mistyped --db would
        otherwise answer from an empty database, "nothing missed", or store where nobody
        reads). The commands that only read (`READING_COMMANDS`) open it read-only."""
        if self._store is None:
            from schedule.domain.course import Actor
            from schedule.store.database import Store

            command = _command_path()
            ctx = click.get_current_context(silent=True)
            create = command == "init" or bool(ctx and ctx.meta.get("prrt.create"))
            self._store = Store.open(
                self.db_target, Actor(self.user, now()).stamp, create=create,
                readonly=command in READING_COMMANDS,
            )  # fmt: skip
            if self._store.created is not None:
                fail_line(f"created a new database at {self._store.created}")
            # Every write remembers what its patients' calendars show (SEQUENCE, LAST-MODIFIED).
            self._store.watch = _LazyWatch(self)
        return self._store

    @property
    def reader(self) -> SqliteReader | PostgresReader | Store:
        """For the commands that only read (the worklists and the report, every patient's facts;
        the handout, one patient's): a reader that needs no SQLAlchemy import, on an SQLite
        file or a PostgreSQL database whose schema is current (`store.fastpath.SqliteReader`,
        `store.pgreader.PostgresReader`); else the store, which refuses a missing file, says
        why a server cannot be reached, and migrates an old schema."""
        if self._reader is None and self._store is None:
            from schedule.store.fastpath import SqliteReader

            self._reader = SqliteReader.open(self.db_target)
            if self._reader is None:
                from schedule.store.pgreader import PostgresReader

                self._reader = PostgresReader.open(self.db_target)
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
        from schedule.domain.settings import read_settings

        return read_settings(self.config_dir / "config.toml")

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


class _LazyWatch:
    """The calendars' memory (`schedule.calendars.memory.CalendarWatch`), imported and built
    when a write first touches a patient: a command that only reads never loads it."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._watch: Watch | None = None

    def _built(self) -> Watch:
        if self._watch is None:
            from schedule.calendars.memory import CalendarWatch

            app = self._app
            self._watch = CalendarWatch(app.catalog, app.settings, today, now, os.cpu_count() or 1)
        return self._watch

    def before(self, tx: Tx, patient_ids: Sequence[str]) -> dict[str, Any]:
        return self._built().before(tx, patient_ids)

    def after(self, tx: Tx, before: dict[str, Any]) -> None:
        self._built().after(tx, before)
