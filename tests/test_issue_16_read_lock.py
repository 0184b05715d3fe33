"""Issue 16: commands that only read never take the write lock, so they answer while another
process holds it (an import, a migration): on SQLite a BEGIN IMMEDIATE transaction, on
PostgreSQL the lock prrt takes to migrate. Real processes; a generous bound, no timing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schedule.store.database import PG_LOCK_KEY
from tests.conftest import ROOT

BOUND = 30  # seconds; SQLite's own busy timeout is 60, so a command that waits fails here


@contextmanager
def writer_holding_the_lock(db_url: str) -> Iterator[None]:
    """Another connection in the middle of a write transaction, holding its lock."""
    if "://" not in db_url:
        conn = sqlite3.connect(db_url, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO audit (at, who, action, detail) VALUES ('x', 'x', 'x', '{}')")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg

    dsn, _, options = db_url.replace("postgresql+psycopg://", "postgresql://").partition("?")
    with psycopg.connect(f"{dsn}?{options}") as pg:  # a transaction until the block ends
        pg.execute("SELECT pg_advisory_xact_lock(%s)", (PG_LOCK_KEY,))
        pg.execute("INSERT INTO audit (at, who, action, detail) VALUES ('x', 'x', 'x', '{}')")
        yield
        pg.rollback()


def test_reading_commands_answer_while_a_writer_holds_the_lock(
    run, db_url: str, config_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    added = run("--db", db_url, "patient", "add", "--create", "P1", "--regimen", "lutathera", "--start", "2026-11-02", "--past-start")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    command = [sys.executable, str(ROOT / "cli.py"), "--db", db_url]
    with writer_holding_the_lock(db_url):
        for args in (
            ["show", "P1", "--as-of", "2026-11-21", "-f", "csv"],
            ["due", "--as-of", "2026-11-21"],
            ["missed", "--as-of", "2026-11-21"],
            ["patient", "list", "--as-of", "2026-11-21"],
            ["history", "P1"],
            ["export", "doses"],
        ):
            result = subprocess.run(
                [*command, *args], capture_output=True, text=True, timeout=BOUND
            )
            assert (result.returncode, result.stderr) == (0, ""), args
