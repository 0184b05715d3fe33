"""Issue 30: the `prrt` program leaves without tearing the interpreter down (`cli.run`), once
the command has written and closed everything. What it wrote is whole, its exit code and its
one line on stderr are those of the command, and a reader that stops early ends it quietly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SAMPLES

PROGRAM = [sys.executable, str(ROOT / "cli.py")]


def _prrt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROGRAM, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )


def test_what_the_program_writes_is_whole_and_closed(tmp_path: Path) -> None:
    db = str(tmp_path / "clinic.db")
    assert (
        _prrt("--db", db, "import", "roster", "--create", str(SAMPLES / "roster.csv")).returncode
        == 0
    )
    done = _prrt("--db", db, "import", "doses", str(SAMPLES / "doses.csv"))
    assert done.returncode == 0
    assert done.stdout.startswith("imported ")
    stored = int(done.stdout.split()[1])
    assert not Path(f"{db}-wal").exists()  # the database was closed, its log put back
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == stored
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    exported = tmp_path / "doses.csv"
    assert _prrt("--db", db, "export", "doses", "-o", str(exported)).returncode == 0
    assert len(exported.read_text().splitlines()) == stored + 1


def test_the_exit_code_and_the_line_are_the_commands(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = str(tmp_path / "missing.db")
    outside = _prrt("--db", missing, "missed")
    inside = run("--db", missing, "missed")
    assert outside.returncode == inside.exit_code != 0
    assert outside.stderr == inside.stderr
    assert len(outside.stderr.splitlines()) == 1
    assert _prrt("--version").returncode == run("--version").exit_code == 0


def test_a_reader_gone_ends_it_quietly(tmp_path: Path) -> None:
    """Standard output is a pipe nobody reads any more (`prrt ... | head` once head has
    left): the program stops with click's code for it (1), and says nothing."""
    read, write = os.pipe()
    os.close(read)
    errors = tmp_path / "stderr"
    with errors.open("wb") as err:
        code = subprocess.run(
            [*PROGRAM, "plan", "lutathera", "--start", "2026-01-05"],
            stdout=write, stderr=err, cwd=ROOT, timeout=60, check=False,
        ).returncode  # fmt: skip
    os.close(write)
    assert code == 1
    assert errors.read_text() == ""
