"""Issue 16: every failure to write is one line with a documented exit code; only regular files
are replaced; files holding patient data are private whatever the umask; `ics --all` writes
inside its folder whatever an ID holds; the database's own words (and parameters) never show."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy.exc import IntegrityError

from commands.failures import database_failure
from schedule.domain.course import Patient
from schedule.domain.options import PlanOptions
from schedule.domain.settings import Settings
from schedule.store import tables
from schedule.store.database import Store
from schedule.tracking.tracker import Tracker
from tests.conftest import ROOT, actor

pytestmark = pytest.mark.usefixtures("config_dir")
SECRET = "Maria Secret"


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """The most permissive umask: whatever prrt creates is private by its own doing."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def add_p1(prrt) -> None:  # type: ignore[no-untyped-def]
    result = prrt(
        "patient",
        "add",
        "P1",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
        "--name",
        SECRET,
    )
    assert result.exit_code == 0, result.stderr
    assert prrt("record", "P1", "labs-1", "--date", "2026-10-20").exit_code == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@freeze_time("2026-11-21 10:00:00")
def test_files_with_patient_data_are_created_private(
    prrt, tmp_path: Path, umask_zero: None
) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    out = tmp_path / "out"
    out.mkdir()
    assert prrt("export", "doses", "-o", str(out / "doses.csv")).exit_code == 0
    assert prrt("ics", "P1", "-o", str(out / "p1.ics")).exit_code == 0
    plan = prrt("plan", "lutathera", "--start", "2027-03-01", "--ics", str(out / "plan.ics"))
    assert plan.exit_code == 0
    for qr in ("link.png", "link.svg"):
        result = prrt("feed", "url", "P1", "--base", "https://x.example", "--qr", str(out / qr))
        assert result.exit_code == 0, result.stderr
        assert prrt("feed", "revoke", "P1").exit_code == 0
    assert prrt("ics", "--all", "--dir", str(tmp_path / "calendars")).exit_code == 0
    # Replacing a file that was readable by all leaves a private one.
    (out / "p1.ics").chmod(0o644)
    assert prrt("ics", "P1", "-o", str(out / "p1.ics")).exit_code == 0
    modes = {p.relative_to(tmp_path).as_posix(): mode(p) for p in sorted(tmp_path.rglob("*"))}
    assert modes == {
        "calendars": 0o700,
        "calendars/.prrt-calendars.json": 0o600,
        "calendars/P1.ics": 0o600,
        "out": 0o777,
        "out/doses.csv": 0o600,
        "out/link.png": 0o600,
        "out/link.svg": 0o600,
        "out/p1.ics": 0o600,
        "out/plan.ics": 0o600,
        **{k: v for k, v in modes.items() if k.startswith(("config", "prrt.db"))},
    }


@freeze_time("2026-11-21 10:00:00")
def test_only_regular_files_are_replaced(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "null-link.csv"
    link.symlink_to("/dev/null")
    for target in ("/dev/null", str(fifo), str(link)):
        for args in (
            ("export", "doses", "-o", target),
            ("ics", "P1", "-o", target),
            ("plan", "lutathera", "--start", "2027-03-01", "--ics", target),
        ):
            result = prrt(*args)
            assert (result.exit_code, result.stdout, result.stderr) == (
                6,
                "",
                f"prrt: cannot write {target}: it is not a regular file; give the path of a file\n",
            ), args
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@freeze_time("2026-11-21 10:00:00")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "doses", "-o", "/nonexistent/x.csv"),
         "prrt: cannot write /nonexistent/x.csv: No such file or directory\n"),
        (("ics", "P1", "-o", "{tmp}/file/x.ics"),
         "prrt: cannot write {tmp}/file/x.ics: Not a directory\n"),
        (("ics", "--all", "--dir", "/proc/x"),
         "prrt: cannot write /proc/x: No such file or directory\n"),
        (("ics", "--all", "--dir", "{tmp}/file/sub"),
         "prrt: cannot write {tmp}/file/sub: Not a directory\n"),
        (("ics", "P1", "-o", "{tmp}/" + "x" * 300 + ".ics"),
         "prrt: cannot write {tmp}/" + "x" * 300 + ".ics: File name too long\n"),
    ],
)  # fmt: skip
def test_files_that_cannot_be_written_exit_6(prrt, tmp_path: Path, args, message: str) -> None:  # type: ignore[no-untyped-def]
    add_p1(prrt)
    (tmp_path / "file").write_text("")
    result = prrt(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert (result.exit_code, result.stdout, result.stderr) == (
        6,
        "",
        message.replace("{tmp}", str(tmp_path)),
    )


def test_standard_output_that_cannot_be_written_exits_6(db_url: str, config_dir: Path) -> None:
    command = [sys.executable, str(ROOT / "cli.py"), "--db", db_url]
    created = subprocess.run(
        [
            *command,
            "patient",
            "add",
            "P1",
            "--regimen",
            "lutathera",
            "--start",
            "2026-11-02",
            "--past-start",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    with open("/dev/full", "w") as full:
        for args in (["due"], ["show", "P1"], ["export", "doses"]):
            result = subprocess.run(
                [*command, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
            )
            assert (result.returncode, result.stderr) == (
                6,
                "prrt: cannot read or write standard output: No space left on device\n",
            ), args


# -- ics --all and IDs that are not plain ----------------------------------------------------


HOSTILE = ("../escape", "sub/dir", "..", ".hidden", "back\\slash", "nul\x00", "")


@freeze_time("2026-11-21 10:00:00")
def test_ics_all_never_writes_outside_its_folder(
    prrt, db_url: str, tmp_path: Path, catalog
) -> None:  # type: ignore[no-untyped-def]
    absolute = f"/tmp/prrt-issue-16-{os.getpid()}"  # an absolute path short enough to store
    ids = [*HOSTILE, absolute] if db_url.endswith(".db") else [*HOSTILE[:5], absolute]
    store = Store.open(db_url, "x")
    tracker = Tracker(store, catalog, Settings())
    with store.write() as tx:  # past the input checks, which refuse every one of these IDs
        for pid in ids:
            tx.add_patient(Patient(pid, None, None, None), actor())
            course = tracker.new_course(pid, "lutathera", date(2026, 11, 2), PlanOptions())
            tx.add_course(course, actor())
    store.close()
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(tmp_path / "cal")}
    for _ in range(2):
        result = prrt("ics", "--all", "--dir", str(tmp_path / "cal"))
        assert result.exit_code == 0, result.stderr
    after = {p for p in tmp_path.rglob("*") if not p.is_relative_to(tmp_path / "cal")}
    assert after == before
    assert not (tmp_path / "escape.ics").exists()
    assert not Path(f"{absolute}.ics").exists()
    names = sorted(p.name for p in (tmp_path / "cal").iterdir())
    expected = {
        "../escape": "%2E%2E%2Fescape.ics",
        "sub/dir": "sub%2Fdir.ics",
        "..": "%2E%2E.ics",
        ".hidden": "%2Ehidden.ics",
        "back\\slash": "back%5Cslash.ics",
        "nul\x00": "nul%00.ics",
        "": "%.ics",
        absolute: absolute.replace("/", "%2F") + ".ics",
    }
    assert names == sorted([".prrt-calendars.json", *(expected[pid] for pid in ids)])
    assert (
        result.stdout
        == f"wrote 0 calendars to {tmp_path / 'cal'}: 0 new, 0 changed; {len(ids)} unchanged\n"
    )


# -- the database's own errors ---------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_a_broken_constraint_is_a_conflict_and_shows_no_parameters(
    prrt, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(db_url, "x")
    row = {"id": "P9", "name": SECRET, "created_at": "2026-11-21T10:00:00Z"}
    with pytest.raises(IntegrityError) as raised, store.write() as tx:
        tx.conn.execute(tables.patients.insert(), [row, row])
    store.close()
    assert SECRET in str(raised.value)  # what SQLAlchemy would print
    failure = database_failure(raised.value)
    assert failure == (
        "refused: another change to the same data was stored at the same time; nothing was "
        "written, run the command again",
        4,
    )

    def clash(*args: object, **kwargs: object) -> None:
        raise raised.value

    monkeypatch.setattr(Tracker, "add_patient", clash)
    result = prrt(
        "patient",
        "add",
        "P9",
        "--regimen",
        "lutathera",
        "--start",
        "2026-11-02",
        "--past-start",
        "--name",
        SECRET,
    )
    assert (result.exit_code, result.stdout, result.stderr) == (4, "", f"prrt: {failure[0]}\n")
    assert database_failure(ValueError("x")) is None


@freeze_time("2026-11-21 10:00:00")
def test_feed_links_with_a_bad_or_overlong_base_are_refused_and_issue_nothing(
    prrt, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-11-02", "--past-start")
    for base in ("http://[::1", "http://x:99999"):
        result = prrt("feed", "url", "P1", "--base", base)
        assert (result.exit_code, result.stderr) == (
            2,
            f"prrt: feed base {base!r} is not valid; give the server's address as reached from "
            "patients' phones, e.g. https://calendar.example.org\n",
        )
    long_base = "https://" + "a" * 3000 + ".org"
    result = prrt("feed", "url", "P1", "--base", long_base, "--qr", str(tmp_path / "q.png"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith("too long for a QR code; use a shorter server address\n")
    assert not (tmp_path / "q.png").exists()
    # Nothing was issued: a link can still be made.
    assert prrt("feed", "url", "P1", "--base", "https://cal.example.org").exit_code == 0


@freeze_time("2026-11-21 10:00:00")
def test_a_backup_never_replaces_a_device_a_pipe_or_a_folder(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    fifo = tmp_path / "pipe.prrt"
    os.mkfifo(fifo)
    result = prrt("backup", str(fifo))
    assert (result.exit_code, result.stdout, result.stderr) == (
        6,
        "",
        f"prrt: cannot write {fifo}: it is not a regular file; give the path of a file\n",
    )
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert prrt("backup", str(tmp_path)).exit_code == 6  # a folder: as every output (issue 28)
