"""Real processes: concurrent writers lose nothing; a killed import leaves the data as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from schedule.domain.course import Patient
from schedule.domain.options import PlanOptions
from schedule.store.database import Store
from schedule.tracking.tracker import Tracker
from tests.conftest import ROOT, actor

START = date(2025, 1, 6)


def prrt(db_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "--db", db_url, "--user", "proc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def all_records(store: Store) -> list[tuple[int, str | None, str]]:
    with store.read() as tx:
        return sorted(
            (r.course_id, r.event, r.day.isoformat()) for rs in tx.records().values() for r in rs
        )


def test_concurrent_writers_lose_nothing(tracker: Tracker, db_url: str) -> None:
    patients = [f"C{i}" for i in range(6)]
    for pid in patients:
        tracker.add_patient(Patient(pid), "lanreotide", START, PlanOptions(), actor())
    script = "; ".join(
        f"{sys.executable} {ROOT / 'cli.py'} --db '{db_url}' record {{pid}} ssa-{k} --date "
        f"{(START + timedelta(days=28 * (k - 1))).isoformat()}"
        for k in range(1, 6)
    )
    writers = [
        subprocess.Popen(
            ["bash", "-c", f"set -e; {script.format(pid=pid)}"], stderr=subprocess.PIPE, text=True
        )
        for pid in patients
    ]
    for proc in writers:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    # Two more processes race to record the same event of the same patient (once the earlier
    # doses stand, so that only the race decides): one must win.
    racers = [
        prrt(db_url, "record", "C0", "ssa-6", "--date", str(START + timedelta(days=140)))
        for _ in range(2)
    ]
    codes = sorted(r.wait(timeout=120) for r in racers)
    assert codes == [0, 4]
    records = all_records(tracker.store)
    assert len(records) == 6 * 5 + 1
    with tracker.store.read() as tx:
        audit = tx.audit()
    assert len([a for a in audit if a["action"] == "given"]) == 31


def test_killed_import_leaves_the_database_as_it_was(
    tracker: Tracker, db_url: str, tmp_path: Path
) -> None:
    for i in range(3):
        tracker.add_patient(Patient(f"K{i}"), "lanreotide", START, PlanOptions(), actor())
    tracker.record("K0", "ssa-1", START, "120 mg", "", actor(), date(2026, 11, 21))
    before = all_records(tracker.store)
    with tracker.store.read() as tx:
        audit_before = tx.audit()
    rows = ["patient_id,event,date,dose"]
    for i in range(3):
        for k in range(2 if i == 0 else 1, 12):
            rows.append(f"K{i},ssa-{k},{START + timedelta(days=28 * (k - 1))},120 mg")
    doses = tmp_path / "doses.csv"
    doses.write_text("\n".join(rows) + "\n")
    # The child imports for real and kills itself (SIGKILL: no cleanup of any kind) once every
    # record, claim and audit row is written inside the import's transaction, before it commits.
    child = f"""
import os, signal, sys
sys.path.insert(0, {str(ROOT)!r})
from schedule.store.transaction import Tx
original = Tx.add_audit
def audit_then_die(self, actor, action, *args, **kwargs):
    result = original(self, actor, action, *args, **kwargs)
    if action == "import-doses":
        os.kill(os.getpid(), signal.SIGKILL)
    return result
Tx.add_audit = audit_then_die
sys.argv = ["prrt", "--db", {db_url!r}, "import", "doses", {str(doses)!r}]
from cli import main
main()
"""
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == -signal.SIGKILL
    fresh = Store.open(db_url, "x")
    try:
        assert all_records(fresh) == before
        with fresh.read() as tx:
            assert tx.audit() == audit_before
    finally:
        fresh.close()
    # And the same file imports completely afterwards.
    ok = prrt(db_url, "import", "doses", str(doses))
    assert ok.wait(timeout=120) == 0
    assert len(all_records(tracker.store)) == len(before) + len(rows) - 1
