from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import pandas  # noqa: F401  # imported before any test freezes time: its first import under freezegun crashes
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from schedule.domain.course import Actor
from schedule.domain.regimen import Catalog, Regimen
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.store.database import Store
from schedule.tracking.tracker import Tracker

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def lutathera(catalog: Catalog) -> Regimen:
    return catalog.get("lutathera")


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, private configuration folder, so no test reads the user's own."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("PRRT_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def run(config_dir: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI in-process; stdout and stderr come back separately."""
    from cli import cli

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def prrt(run, db_url: str):  # type: ignore[no-untyped-def]
    """The CLI on the test's database (SQLite, then PostgreSQL), as user `coordinator`."""

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return run("--db", db_url, "--user", "coordinator", *args)

    return invoke


D = date.fromisoformat


# -- databases: every store test runs on SQLite and on a real PostgreSQL server --------------

PG_BASE = os.environ.get("PRRT_TEST_PG_URL", "postgresql+psycopg://127.0.0.1:5432/test")


def _pg_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    import psycopg

    dsn = PG_BASE.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


_PG_STATE: dict[str, str | None] = {}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        # An empty database, as 'prrt init' leaves it: the commands that only read refuse a
        # file that does not exist, and the creating ones say when they create one (tested
        # on their own paths in test_issue_10_worklists.py).
        path = str(tmp_path / "prrt.db")
        Store.open(path, "2026-11-01T00:00:00Z", create=True).close()
        yield path
        return
    if "problem" not in _PG_STATE:
        _PG_STATE["problem"] = _pg_problem()
    if _PG_STATE["problem"]:
        pytest.skip(f"PostgreSQL not reachable at {PG_BASE}: {_PG_STATE['problem']}")
    yield from private_schema()


def private_schema() -> Iterator[str]:
    """A URL of a new, empty schema on the PostgreSQL server; dropped when resumed."""
    import uuid

    import psycopg

    schema = f"prrt_test_{uuid.uuid4().hex[:12]}"
    dsn = PG_BASE.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_BASE else "?"
    yield f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url, "2026-11-01T00:00:00Z")
    yield opened
    opened.close()


@pytest.fixture
def tracker(store: Store, catalog: Catalog) -> Tracker:
    return Tracker(store, catalog, Settings())


def actor(who: str = "tester", when: str = "2026-11-21T09:00:00+00:00") -> Actor:
    return Actor(who, datetime.fromisoformat(when))


ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def start_server(db_url: str, *options: str) -> tuple[subprocess.Popen[str], int]:
    """`prrt serve` in its own process on a free loopback port, with `options`; its port."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "--db", db_url, "serve", "--port", "0", *options],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.search(r"serving feeds on http://127\.0\.0\.1:(\d+)/", line)
    if not found:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(line)
    return process, int(found.group(1))


def add_broken_course(db_url: str, patient_id: str = "BAD") -> None:
    """A patient whose course starts on 9999-12-31, written by other means than prrt (which
    refuses such a date): its calendar cannot be computed."""
    from schedule.store import tables

    store = Store.open(db_url, "x")
    with store.write() as tx:
        tx.conn.execute(tables.patients.insert().values(id=patient_id, created_at="x"))
        tx.conn.execute(
            tables.courses.insert().values(
                patient_id=patient_id, number=1, regimen="lutathera", start=date(9999, 12, 31),
                calendar_month=False, created_at="x",
            )
        )  # fmt: skip
    store.close()


def sample_clinic(run, path: Path) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic (`samples/`: its roster and doses) in a new SQLite file at `path`."""
    db = str(path)
    assert run("--db", db, "init").exit_code == 0
    for kind in ("roster", "doses"):
        done = run("--db", db, "import", kind, str(SAMPLES / f"{kind}.csv"))
        assert done.exit_code == 0, done.stderr
    return db


class ServedEvent(NamedTuple):
    """One event of a calendar file: its UID, SEQUENCE, LAST-MODIFIED, and every other line
    (what it says) but its DTSTAMP."""

    uid: str
    sequence: int
    modified: str
    rest: tuple[str, ...]


def served_calendars(run, db: str, folder: Path) -> dict[str, list[ServedEvent]]:  # type: ignore[no-untyped-def]
    """Each active patient's calendar file as `ics --all` writes it into `folder` (new), by
    file name: what every reader is served now, event by event, in order."""
    done = run("--db", db, "ics", "--all", "--dir", str(folder))
    assert done.exit_code == 0, done.stderr
    out: dict[str, list[ServedEvent]] = {}
    for path in sorted(folder.glob("*.ics")):
        events = out[path.name] = []
        for block in path.read_text(encoding="utf-8").split("BEGIN:VEVENT")[1:]:
            lines = block.split("END:VEVENT")[0].splitlines()
            field = {x.partition(":")[0]: x.partition(":")[2] for x in lines}
            rest = tuple(x for x in lines if x.partition(":")[0] not in _REVISION_FIELDS)
            events.append(
                ServedEvent(field["UID"], int(field["SEQUENCE"]), field["LAST-MODIFIED"], rest)
            )
    return out


_REVISION_FIELDS = ("UID", "SEQUENCE", "LAST-MODIFIED", "DTSTAMP")


def by_uid(calendars: dict[str, list[ServedEvent]]) -> dict[str, ServedEvent]:
    return {e.uid: e for events in calendars.values() for e in events}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local socket that accepts connections and never says anything."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for sock in [*held, listener]:
        sock.close()


class Loaded(NamedTuple):
    """`prrt` run by `cli.main` in a fresh interpreter (`loaded_after`)."""

    code: int  # its exit code
    stdout: str
    stderr: str  # what it wrote there itself
    modules: list[str]  # those asked about that it had imported by its end


def loaded_after(args: list[str], modules: tuple[str, ...]) -> Loaded:
    """`prrt ARGS` in a fresh interpreter: what it gave, and which of `modules` it had
    imported by its end, whatever its exit (the commands that must stay light)."""
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"sys.argv = ['prrt', *{args!r}]\n"
        "import cli\n"
        "code = 0\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"print(','.join(m for m in {modules!r} if m in sys.modules), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT,
        check=False,
    )  # fmt: skip
    *said, loaded = done.stderr.split("\n")[:-1] or [""]
    said_text = "".join(f"{line}\n" for line in said)
    return Loaded(done.returncode, done.stdout, said_text, [m for m in loaded.split(",") if m])
