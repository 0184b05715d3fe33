"""Issue 16: at most one standing record per course and event, kept by the database itself, so
that any interleaving of imports, records and corrections gives what some serial order gives.
Real parallel processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from schedule.calendars.feeds import issue
from schedule.domain.course import Patient, Record, effective
from schedule.domain.errors import ConflictError
from schedule.domain.model import RecordType
from schedule.domain.options import PlanOptions
from schedule.store.database import Store
from schedule.tracking.tracker import Tracker
from tests.conftest import ROOT, SAMPLES, actor, start_server

pytestmark = pytest.mark.usefixtures("config_dir")


def cli(db_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "--db", db_url, "--user", "proc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def standing_given(store: Store) -> Counter[tuple[int, str | None]]:
    """How many given or skipped records stand for each (course, event)."""
    with store.read() as tx:
        records = tx.records()
    return Counter(
        (r.course_id, r.event)
        for rs in records.values()
        for r in effective(rs)
        if r.type in (RecordType.GIVEN, RecordType.SKIPPED)
    )


def test_parallel_imports_of_one_file_store_each_record_once(db_url: str) -> None:
    done = cli(db_url, "import", "roster", str(SAMPLES / "roster.csv"))
    assert done.wait(timeout=60) == 0
    runs = [cli(db_url, "import", "doses", str(SAMPLES / "doses.csv")) for _ in range(4)]
    outputs = [(r.wait(timeout=120), *r.communicate()) for r in runs]
    assert [code for code, _, _ in outputs] == [0, 0, 0, 0], outputs
    said = sorted(out for _, out, _ in outputs)
    assert said == [
        "imported 0 records; 88 already stored\n",
        "imported 0 records; 88 already stored\n",
        "imported 0 records; 88 already stored\n",
        "imported 88 records; 0 already stored\n",
    ]
    store = Store.open(db_url, "x")
    with store.read() as tx:
        assert sum(len(rs) for rs in tx.records().values()) == 88
    assert max(standing_given(store).values()) == 1
    store.close()


def test_the_database_refuses_a_second_standing_record(tracker: Tracker) -> None:
    """Past the rules (as two writers that both checked before either wrote would be), the
    database itself refuses the second claim; a correction frees it."""
    course = tracker.add_patient(
        Patient("P1"), "lanreotide", date(2026, 10, 1), PlanOptions(), actor()
    )
    given = Record(0, course.id, RecordType.GIVEN, date(2026, 10, 1), "ssa-1", "120 mg")
    with tracker.store.write() as tx:
        first = tx.add_record("P1", given, actor())
    with (
        pytest.raises(ConflictError, match="ssa-1 of P1 was recorded meanwhile"),
        tracker.store.write() as tx,
    ):
        tx.add_record("P1", given, actor())
    fix = Record(
        0, course.id, RecordType.ENTERED_IN_ERROR, date(2026, 10, 2), "ssa-1", corrects=first
    )
    with tracker.store.write() as tx:
        tx.add_record("P1", fix, actor())
        tx.add_record("P1", given, actor())
    assert standing_given(tracker.store) == Counter({(course.id, "ssa-1"): 1})


def test_a_record_during_a_large_import_never_gives_two_standing_records(
    tracker: Tracker, db_url: str, tmp_path: Path
) -> None:
    start = date(2025, 1, 6)
    for n in range(150):
        tracker.add_patient(Patient(f"L{n:03d}"), "lanreotide", start, PlanOptions(), actor())
    lines = ["patient_id,event,date,dose"]
    for n in range(150):
        for k in range(1, 9):
            day = start + timedelta(days=28 * (k - 1))
            lines.append(f"L{n:03d},ssa-{k},{day},120 mg")
    doses = tmp_path / "doses.csv"
    doses.write_text("\n".join(lines) + "\n")
    importer = cli(db_url, "import", "doses", str(doses))
    # The same injection, recorded by hand while the import runs, with another amount.
    racer = cli(db_url, "record", "L149", "ssa-1", "--date", str(start), "--dose", "90 mg")
    racer_code = racer.wait(timeout=120)
    import_code = importer.wait(timeout=300)
    outcome = (racer_code, import_code)
    # Either order is a serial one: the record first (the import then refuses its row for
    # L149 ssa-1 and imports nothing), or the import first (the record is then refused).
    assert outcome in ((0, 4), (4, 0)), (outcome, racer.communicate(), importer.communicate())
    counts = standing_given(tracker.store)
    assert max(counts.values()) == 1
    assert sum(counts.values()) == (1 if outcome == (0, 4) else 150 * 8)


def test_an_import_checks_without_the_write_lock(
    tracker: Tracker, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an import checks its rows, another process records and reads, and the feed server
    answers, without waiting: only the short write at the end takes the lock (SQLite would
    make a writer wait 60 s)."""
    from schedule.services import imports

    start = date(2025, 1, 6)
    for pid in ("A", "B"):
        tracker.add_patient(Patient(pid), "lanreotide", start, PlanOptions(), actor())
    doses = tmp_path / "doses.csv"
    doses.write_text(f"patient_id,event,date\nA,ssa-1,{start}\n")
    tokens: list[str] = []
    issue(tracker.store, "B", False, actor(), tokens.append)
    server, port = start_server(db_url)
    seen: list[tuple[int, int]] = []
    check = imports.check_doses

    def checking_while_others_work(*args, **kwargs):  # type: ignore[no-untyped-def]
        if seen:  # the check again, inside the write: others wait for it, as they should
            return check(*args, **kwargs)
        others = [
            cli(db_url, "record", "B", "ssa-1", "--date", str(start)),
            cli(db_url, "show", "B", "-f", "csv"),
        ]
        seen.extend((p.wait(timeout=30), len(p.communicate()[0])) for p in others)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/feeds/{tokens[0]}.ics")
        answer = conn.getresponse()
        seen.append((answer.status, len(answer.read())))
        conn.close()
        return check(*args, **kwargs)

    monkeypatch.setattr(imports, "check_doses", checking_while_others_work)
    try:
        result = imports.import_doses(tracker, doses, actor(), date(2026, 11, 21), dry_run=False)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert [code for code, _ in seen] == [0, 0, 200]
    assert all(size > 0 for _, size in seen)
    assert result.added == 1
    # The record made meanwhile is seen: the import checked again before it wrote.
    assert standing_given(tracker.store) == Counter({(1, "ssa-1"): 1, (2, "ssa-1"): 1})
