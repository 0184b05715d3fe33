"""The store: migrations, file permissions, and refusing what it cannot open."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from schedule.domain.errors import StoreError
from schedule.store import tables
from schedule.store.database import Store, database_url
from schedule.store.migrations import latest
from tests.conftest import ROOT


def unmade(db_url: str) -> str:
    """The test's database before any migration: an SQLite file not made yet (the fixture
    makes it, as 'prrt init' would), or the new PostgreSQL schema, which has no tables."""
    if "://" in db_url:
        return db_url
    fresh = Path(db_url).with_name("unmade.db")
    assert not fresh.exists()
    return str(fresh)


def test_migrations_are_recorded_once(db_url: str) -> None:
    db_url = unmade(db_url)
    first = Store.open(db_url, "2026-11-01T00:00:00Z")
    assert first.schema_version() == latest()
    first.close()
    again = Store.open(db_url, "2026-11-02T00:00:00Z")
    with again.read() as tx:
        rows = tx.conn.execute(select(tables.schema_version)).all()
    again.close()
    assert [(r.version, r.applied_at) for r in rows] == [
        (1, "2026-11-01T00:00:00Z"),
        (2, "2026-11-01T00:00:00Z"),
        (3, "2026-11-01T00:00:00Z"),
        (4, "2026-11-01T00:00:00Z"),
        (5, "2026-11-01T00:00:00Z"),
        (6, "2026-11-01T00:00:00Z"),
    ]


def test_migration_2_upgrades_a_version_1_database_keeping_its_data(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schedule.domain.course import Patient
    from schedule.store import migrations
    from tests.conftest import actor

    db_url = unmade(db_url)
    full = migrations.MIGRATIONS
    monkeypatch.setattr(migrations, "MIGRATIONS", full[:1])
    old = Store.open(db_url, "2026-10-01T00:00:00Z")
    with old.write() as tx:
        tx.add_patient(Patient("P1", "Ada"), actor())
    assert old.schema_version() == 1
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", full)
    new = Store.open(db_url, "2026-11-01T00:00:00Z")
    with new.read() as tx:
        assert tx.patients() == [Patient("P1", "Ada")]
        assert len(tx.audit()) == 1
        namespace = tx.conn.execute(select(tables.calendar_meta.c.value)).scalar_one()
    assert new.schema_version() == latest()
    new.close()
    assert len(namespace) == 32


def test_migration_3_adds_columns_and_claims_the_standing_records(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version-2 database (as migration 2 left it: no new columns, no standing table) gains
    the columns with NULL in every old row, and one claim per event whose record stands."""
    from schedule.domain.course import Course, Patient, Record
    from schedule.domain.model import RecordType
    from schedule.store import migrations
    from tests.conftest import D, actor

    db_url = unmade(db_url)
    full = migrations.MIGRATIONS
    monkeypatch.setattr(migrations, "MIGRATIONS", full[:2])
    old = Store.open(db_url, "2026-10-01T00:00:00Z")
    with old.write() as tx:
        for column in ("override", "review", "end_care"):
            tx.conn.execute(text(f"ALTER TABLE records DROP COLUMN {column}"))
        tx.conn.execute(text("ALTER TABLE patients DROP COLUMN lang"))
    with old.write() as tx:
        tx.conn.execute(tables.patients.insert().values(id="P1", name="Ada", created_at="x"))
        course = tx.add_course(Course(0, "P1", 0, "lutathera", D("2026-09-01")), actor())
        values = {"course_id": course.id, "recorded_at": "x", "recorded_by": "t", "note": ""}
        for event, kind, corrects in (
            ("prrt-1", "given", None),
            ("ssa-1", "given", None),
            ("ssa-1", "entered-in-error", 2),
            ("labs-2", "skipped", None),
        ):
            tx.conn.execute(
                tables.records.insert().values(
                    event=event, type=kind, corrects=corrects, day=D("2026-09-01"), **values
                )
            )
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", full)
    new = Store.open(db_url, "2026-11-01T00:00:00Z")
    with new.read() as tx:
        assert tx.patients() == [Patient("P1", "Ada")]
        claims = tx.conn.execute(
            select(tables.standing.c.event, tables.standing.c.record_id).order_by(
                tables.standing.c.event
            )
        ).all()
        records = tx.records()[course.id]
    new.close()
    assert [tuple(c) for c in claims] == [("labs-2", 4), ("prrt-1", 1)]
    assert records[0] == Record(
        1, course.id, RecordType.GIVEN, D("2026-09-01"), "prrt-1", None, "", None, "x", "t"
    )


def test_new_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "prrt.db"
    Store.open(str(path), "2026-11-01T00:00:00Z").close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_plain_postgres_url_gets_the_psycopg_driver() -> None:
    assert database_url("postgresql://db.example/prrt") == "postgresql+psycopg://db.example/prrt"
    assert database_url("a.db").startswith("sqlite:////")


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(StoreError, match="is not supported"):
        Store.open("mysql://localhost/prrt", "now")


def test_unreachable_postgres_is_one_clear_error() -> None:
    with pytest.raises(
        StoreError, match=r"^cannot open database postgresql\+psycopg://nobody@127\.0\.0\.1:1/x"
    ):
        Store.open("postgresql://nobody@127.0.0.1:1/x?connect_timeout=2", "now")


def test_directory_instead_of_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(str(tmp_path), "now")


def test_fast_facts_equal_the_facts_of_the_records(tracker) -> None:  # type: ignore[no-untyped-def]
    """`Tx.facts` (the worklists' quick read) says what `facts_of(records)` says, corrections
    included, for every course and for a subset of courses."""
    from datetime import date

    from schedule.domain.course import Patient, facts_of
    from schedule.domain.options import PlanOptions
    from tests.conftest import actor

    today = date(2026, 11, 21)
    tracker.add_patient(Patient("A"), "lutathera", date(2026, 6, 1), PlanOptions(), actor())
    tracker.add_patient(Patient("B"), "lanreotide", date(2026, 9, 1), PlanOptions(), actor())
    tracker.record("A", "prrt-1", date(2026, 6, 2), "7.4 GBq", "ok", actor(), today)
    tracker.record("A", "ssa-1", date(2026, 6, 2), None, "", actor(), today)
    wrong = tracker.record("B", "ssa-1", date(2026, 9, 1), "120 mg", "", actor(), today)
    tracker.correct("B", wrong, "wrong day", actor(), today)
    tracker.record("B", "ssa-1", date(2026, 9, 3), "120 mg", "", actor(), today)
    tracker.skip("B", "ssa-2", "away", actor(), today)
    tracker.hold("A", "neutropenia", actor(), today)
    store = tracker.store
    with store.read() as tx:
        records = tx.records()
        expected = {c: facts_of(rs) for c, rs in records.items()}
        assert tx.facts() == expected
        first = min(records)
        assert tx.facts([first]) == {first: expected[first]}
    assert sum(len(f) for f in expected.values()) == 5  # the wrong record and its correction left


def test_the_raw_driver_paths_and_the_reader_import_no_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import schedule.store.fastpath, schedule.store.interface, schedule.store.migrations\n"
        "print('sqlalchemy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (0, "False\n", "")
