"""Issue 12: the worklists read an SQLite store through the standard library alone
(`store.fastpath.SqliteReader`), so `prrt missed` and `prrt due` do not pay SQLAlchemy's import. What the
reader gives must be exactly what the full store gives."""

from __future__ import annotations

import gc
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time

from commands.app import App
from schedule.domain.errors import StoreError
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.store import parallel, tables
from schedule.store.database import Store
from schedule.store.fastpath import COURSES_SQL, PATIENTS_SQL, SqliteReader
from schedule.store.migrations import latest
from schedule.tracking.worklists import worklist_rows
from tests.conftest import ROOT, loaded_after

SAMPLES = ROOT / "samples"
AS_OF = date(2026, 11, 21)


@pytest.fixture
def clinic(run, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic, with one record marked entered-in-error."""
    db = str(tmp_path / "clinic.db")
    with freeze_time("2026-11-21"):
        assert (
            run("--db", db, "import", "roster", "--create", str(SAMPLES / "roster.csv")).exit_code
            == 0
        )
        assert run("--db", db, "import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
        with sqlite3.connect(db) as conn:
            (record,) = conn.execute(
                "SELECT r.id FROM records r JOIN courses c ON c.id = r.course_id "
                "WHERE c.patient_id = 'NET-002' AND r.event = 'ssa-1'"
            ).fetchone()
        done = run("--db", db, "correct", "NET-002", str(record), "--reason", "wrong patient")
        assert done.exit_code == 0, done.output
    return db


def test_the_reader_reads_what_the_store_reads(clinic: str) -> None:
    store = Store.open(clinic, "2026-11-21T09:00:00Z", create=False)
    reader = SqliteReader.open(clinic)
    assert reader is not None
    try:
        with store.read() as tx, reader.read() as light:
            assert light.patients() == tx.patients()
            assert light.courses() == tx.courses()
            assert light.courses_by_patient() == tx.courses_by_patient()
            facts = tx.facts()
            assert light.facts() == facts
            assert any(len(f) != len(tx.records()[c]) for c, f in facts.items())  # one corrected
            some = sorted(facts)[::3]
            assert light.facts(some) == tx.facts(some)
            assert set(light.facts(some)) == set(some)
            assert light.facts([]) == {}
    finally:
        reader.close()
        store.close()


def test_the_readers_sql_names_the_stores_tables() -> None:
    assert f"FROM {tables.patients.name} " in PATIENTS_SQL
    assert f"FROM {tables.courses.name} " in COURSES_SQL
    assert tables.records.name == "records"  # `fastpath.read_facts` reads it by this name


def test_what_the_reader_cannot_read_is_left_to_the_store(clinic: str, tmp_path: Path) -> None:
    assert SqliteReader.open(str(tmp_path / "missing.db")) is None
    assert SqliteReader.open("postgresql://127.0.0.1/test") is None
    garbage = tmp_path / "notes.db"
    garbage.write_text("not a database\n" * 200)
    assert SqliteReader.open(str(garbage)) is None
    with sqlite3.connect(clinic) as conn:  # a database one migration behind
        conn.execute("DELETE FROM schema_version WHERE version = ?", (latest(),))
    assert SqliteReader.open(clinic) is None


def test_a_file_that_is_no_database_is_refused_in_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    garbage = tmp_path / "notes.db"
    garbage.write_text("not a database\n" * 200)
    result = run("--db", str(garbage), "missed")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr == f"prrt: {garbage} is not a prrt database (not an SQLite file)\n"


def test_worklists_read_by_workers_through_the_reader_list_what_the_store_lists(
    clinic: str, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # fork workers even for twelve patients
    store = Store.open(clinic, "2026-11-21T09:00:00Z", create=False)
    reader = SqliteReader.open(clinic)
    assert reader is not None
    try:
        for missed in (True, False):
            expected = worklist_rows(store, catalog, Settings(), AS_OF, missed, capacity=True)
            found = worklist_rows(
                reader, catalog, Settings(), AS_OF, missed, workers=2, capacity=True
            )
            assert found == expected
            assert expected
    finally:
        reader.close()
        store.close()


def test_missed_and_due_never_import_sqlalchemy(clinic: str, config_dir: Path) -> None:
    for command in ("missed", "due"):
        done = loaded_after(
            ["--db", clinic, command, "--as-of", "2026-11-21", "-f", "csv"], ("sqlalchemy",)
        )
        assert (done.code, done.stderr, done.modules) == (0, "", [])
        assert done.stdout.startswith("patient_id,course,event,")
        assert done.stdout.count("\n") > 2


def test_the_app_opens_the_store_where_the_reader_cannot(clinic: str, tmp_path: Path) -> None:
    light = App((), tmp_path, clinic, "tester")
    assert isinstance(light.reader, SqliteReader)
    light.close()
    remote = App((), tmp_path, "postgresql+psycopg://127.0.0.1:1/none", "tester")
    with pytest.raises(StoreError, match="cannot open database"):  # the store's own refusal
        _ = remote.reader


def test_only_the_batch_commands_tune_the_cycle_collector(
    clinic: str, run, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The batch commands were measured faster with fewer cycle collections (`missed` and `due`
    among them), and put Python's settings back when they end; every other command (the
    long-running `serve` above all) keeps Python's own settings."""
    default = gc.get_threshold()
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "set_threshold", lambda *values: thresholds.append(values))
    for command in (["regimens"], ["--db", clinic, "history", "NET-001"]):
        assert run(*command).exit_code == 0
        assert thresholds == []
    for command in ("missed", "due"):
        assert run("--db", clinic, command, "--as-of", "2026-11-21").exit_code in (0, 1)
        assert thresholds == [(50_000, 20, 20), default]
        thresholds.clear()
