"""Issue 12: `ics --all` flushes the disk per batch with the same crash safety (each file old or
new, never half; a crash's temporary files never counted and removed by the next run), says how
many files it wrote, and `import` and `ics --all` show a progress bar on a terminal only."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import click.testing
import pytest
from freezegun import freeze_time

from schedule.calendars import folder as folder_module
from schedule.calendars.folder import MANIFEST, write_folder
from schedule.calendars.publisher import Publisher
from schedule.domain.errors import OutputError
from schedule.domain.regimen_file import load_catalog
from schedule.domain.settings import Settings
from schedule.patientview.titles import Titles
from schedule.store.database import Store
from tests.conftest import ROOT, SAMPLES

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
IDS = [f"P{n}" for n in range(1, 8)]  # 7 patients: with batches of 3, batches of 3, 3 and 1


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "prrt.db")
    Store.open(path, "2026-11-01T00:00:00Z", create=True).close()
    return path


@pytest.fixture
def clinic(run, db: str, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """Seven patients on the database `db`."""
    roster = tmp_path / "roster.csv"
    rows = [f"{pid},lanreotide,2026-11-0{n}" for n, pid in enumerate(IDS, 1)]
    roster.write_text("patient_id,regimen,start\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert (
        run("--db", db, "import", "roster", "--create", str(roster), "--past-start").exit_code == 0
    )
    return db


def publisher(db: str, titles: str) -> Publisher:
    store = Store.open(db, NOW.isoformat())
    made = Publisher(store, load_catalog(), Settings(), NOW.date(), NOW)
    made.titles = Titles(titles)
    return made


def texts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ics"))}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard error is a terminal (standard output stays a pipe)."""
    monkeypatch.setattr(
        click.testing._NamedTextIOWrapper, "isatty", lambda self: self.name == "<stderr>"
    )


# -- what `ics --all` says ------------------------------------------------------------------------


def test_ics_all_counts_the_files_it_wrote_not_the_ones_it_left(
    run, clinic: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cal"
    with freeze_time("2026-11-21 10:00:00"):
        first = run("--db", clinic, "ics", "--all", "--dir", str(out))
        assert (first.exit_code, first.stdout, first.stderr) == (
            0, f"wrote 7 calendars to {out}: 7 new, 0 changed; 0 unchanged\n", "",
        )  # fmt: skip
        again = run("--db", clinic, "ics", "--all", "--dir", str(out))
        assert (again.exit_code, again.stdout, again.stderr) == (
            0, f"wrote 0 calendars to {out}: 0 new, 0 changed; 7 unchanged\n", "",
        )  # fmt: skip
        run("--db", clinic, "record", "P2", "ssa-1", "--date", "2026-11-02")
        one = run("--db", clinic, "ics", "--all", "--dir", str(out))
        assert (one.exit_code, one.stdout, one.stderr) == (
            0, f"wrote 1 calendar to {out}: 0 new, 1 changed; 6 unchanged\n", "",
        )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, *(f"{pid}.ics" for pid in IDS)]


# -- crash safety -------------------------------------------------------------------------------


def test_a_failed_rename_mid_batch_leaves_every_file_old_or_new(
    run, clinic: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cal"
    result = write_folder(publisher(clinic, "discreet"), out)
    assert (result.new, result.written, result.unchanged) == (7, 7, 0)
    old = texts(out)
    monkeypatch.setattr(folder_module, "BATCH", 3)
    real_replace, renames = os.replace, []

    def replace(source: str, target: str) -> None:
        if len(renames) == 4:  # the first batch in place, then one file of the second
            raise OSError(28, "No space left on device")
        renames.append(target)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError, match=r"cannot write .*P5\.ics: No space left on device"):
        write_folder(publisher(clinic, "plain"), out)
    monkeypatch.setattr(os, "replace", real_replace)
    crashed = texts(out)
    assert leftovers(out) == []  # the batch's other temporary files are gone
    result = write_folder(publisher(clinic, "plain"), out)
    new = texts(out)
    # The files renamed before the failure were already new: left as they were.
    assert (result.new, result.changed, result.unchanged) == (0, 3, 4)
    assert sorted(crashed) == sorted(old) == sorted(new) == [f"{pid}.ics" for pid in IDS]
    assert_old_or_new(old, crashed, new)


def assert_old_or_new(
    old: dict[str, bytes], crashed: dict[str, bytes], new: dict[str, bytes]
) -> None:
    """After the crash in the second batch of three: every file changed by the next run, the
    first batch and one file of the second new already, the rest still old; none half."""
    assert all(old[name] != new[name] for name in old)
    assert [name for name in crashed if crashed[name] == new[name]] == [
        "P1.ics", "P2.ics", "P3.ics", "P4.ics",
    ]  # fmt: skip
    assert [name for name in crashed if crashed[name] == old[name]] == [
        "P5.ics", "P6.ics", "P7.ics",
    ]  # fmt: skip


KILLER = """
import os, signal, sys
from datetime import datetime
sys.path.insert(0, {root!r})
from schedule.calendars import folder
from tests.test_issue_12_progress_and_folder import publisher

folder.BATCH = 3
real, done = os.replace, []

def replace(source, target):
    if len(done) == 4:  # the first batch renamed, then one file of the second: power cut
        os.kill(os.getpid(), signal.SIGKILL)
    done.append(target)
    real(source, target)

os.replace = replace
folder.write_folder(publisher({db!r}, "plain"), folder.Path({out!r}))
"""


def test_a_process_killed_mid_batch_leaves_every_file_old_or_new(
    clinic: str, tmp_path: Path
) -> None:
    out = tmp_path / "cal"
    write_folder(publisher(clinic, "discreet"), out)
    old = texts(out)
    script = textwrap.dedent(KILLER).format(root=str(ROOT), db=clinic, out=str(out))
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    crashed = texts(out)
    # Written and flushed, not renamed: left by the kill, and not calendars.
    assert [name.split(".")[1] for name in leftovers(out)] == ["P5", "P6"]
    assert sorted(crashed) == [f"{pid}.ics" for pid in IDS]
    result = write_folder(publisher(clinic, "plain"), out)
    new = texts(out)
    assert leftovers(out) == []  # the next run removed them
    assert (result.new, result.changed, result.unchanged) == (0, 3, 4)
    assert_old_or_new(old, crashed, new)


def test_only_an_exports_own_temporary_files_are_removed(clinic: str, tmp_path: Path) -> None:
    out = tmp_path / "cal"
    out.mkdir()
    (out / ".P1.ics.ab_cd012.tmp").write_text("half", encoding="utf-8")
    (out / f"{MANIFEST}.zz9_8765.tmp").write_text("{", encoding="utf-8")
    (out / "notes.tmp").write_text("mine", encoding="utf-8")
    (out / ".P1.ics.tmp").write_text("mine too", encoding="utf-8")
    result = write_folder(publisher(clinic, "discreet"), out)
    assert (result.new, result.unchanged) == (7, 0)
    assert leftovers(out) == [".P1.ics.tmp", "notes.tmp"]


def test_a_second_export_into_the_same_folder_at_once_is_refused(
    run, clinic: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cal"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run("--db", clinic, "ics", "--all", "--dir", str(out))
    finally:
        os.close(fd)
    assert (result.exit_code, result.stdout, result.stderr) == (
        6, "", f"prrt: cannot write {out}: another export is writing its calendars; try again "
        "when it is done\n",
    )  # fmt: skip
    assert list(out.iterdir()) == []


# -- progress bars ------------------------------------------------------------------------------


def test_piped_nothing_but_the_summary(run, db: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = run("--db", db, "import", "roster", "--create", str(SAMPLES / "roster.csv"))
    assert (roster.exit_code, roster.stdout, roster.stderr) == (
        0, "imported 12 patients; 1 more course; 0 already stored\n", "",
    )  # fmt: skip
    doses = run("--db", db, "import", "doses", str(SAMPLES / "doses.csv"))
    assert (doses.exit_code, doses.stdout, doses.stderr) == (
        0, "imported 88 records; 0 already stored\n", "",
    )  # fmt: skip
    written = run("--db", db, "ics", "--all", "--dir", str(tmp_path / "cal"))
    assert (written.exit_code, written.stderr) == (0, "")


def test_on_a_terminal_a_bar_on_stderr_and_the_same_stdout(
    run, db: str, tmp_path: Path, terminal: None
) -> None:  # type: ignore[no-untyped-def]
    roster = run("--db", db, "import", "roster", "--create", str(SAMPLES / "roster.csv"))
    assert (roster.exit_code, roster.stdout) == (
        0,
        "imported 12 patients; 1 more course; 0 already stored\n",
    )
    doses = run("--db", db, "import", "doses", str(SAMPLES / "doses.csv"))
    assert (doses.exit_code, doses.stdout) == (0, "imported 88 records; 0 already stored\n")
    out = tmp_path / "cal"
    written = run("--db", db, "ics", "--all", "--dir", str(out))
    assert written.exit_code == 0
    assert written.stdout.startswith(f"wrote 11 calendars to {out}: 11 new, 0 changed; ")
    shown = ((roster, "checking rows"), (doses, "checking rows"), (written, "writing calendars"))
    for result, label in shown:
        last = result.stderr.rstrip("\n").split("\r")[-1]
        assert last.startswith(f"{label}  ["), result.stderr
        assert "100%" in last
        assert result.stderr.endswith("\n")  # the line is ended before anything else is said
        assert "\n" not in result.stderr.rstrip("\n")
    # Nothing to write: no bar at all.
    again = run("--db", db, "ics", "--all", "--dir", str(out))
    assert (again.exit_code, again.stderr) == (0, "")


def test_exports_show_a_bar_on_a_terminal_and_write_the_same_csv(
    run, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import commands.transfer

    assert (
        run("--db", db, "import", "roster", "--create", str(SAMPLES / "roster.csv")).exit_code == 0
    )
    assert run("--db", db, "import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    piped = {what: run("--db", db, "export", what) for what in ("doses", "roster")}
    assert {w: (r.exit_code, r.stderr) for w, r in piped.items()} == {
        "doses": (0, ""),
        "roster": (0, ""),
    }
    monkeypatch.setattr(
        click.testing._NamedTextIOWrapper, "isatty", lambda self: self.name == "<stderr>"
    )
    monkeypatch.setattr(commands.transfer, "_CHUNK", 10)  # 87 rows: nine steps
    for what, before in piped.items():
        shown = run("--db", db, "export", what)
        assert shown.stdout == before.stdout  # chunk by chunk, the same CSV
        last = shown.stderr.rstrip("\n").split("\r")[-1]
        assert last.startswith("writing rows  ["), shown.stderr
        assert "100%" in last
    assert piped["doses"].stdout.count("\n") == 89  # the header and 88 records


def test_on_a_terminal_a_refused_import_ends_the_bar_before_its_error(
    run, db: str, tmp_path: Path, terminal: None
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "roster.csv"
    bad.write_text("patient_id,regimen,start\nA,lanreotide,2026-11-01\nB,nothing,2026-11-01\n")
    result = run("--db", db, "import", "roster", "--create", str(bad))
    assert (result.exit_code, result.stdout) == (3, "")  # unknown: 3, as from a command
    bar, error = result.stderr.rstrip("\n").rsplit("\n", 1)
    assert bar.split("\r")[-1].startswith("checking rows  [")
    assert error == (
        f"prrt: {bad}: line 3: regimen: unknown regimen 'nothing'; known regimens: degarelix, "
        "goserelin-12w, goserelin-28d, lanreotide, leuprolide-1m, leuprolide-3m, leuprolide-4m, "
        "leuprolide-6m, lutathera, octreotide-lar, pluvicto, triptorelin-12w, triptorelin-24w, "
        "triptorelin-4w"
    )
    store = Store.open(db, NOW.isoformat())
    with store.read() as tx:
        assert tx.patients() == []  # nothing stored
    store.close()
