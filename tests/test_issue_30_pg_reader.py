"""Issue 30: the commands that only read reach PostgreSQL through psycopg alone
(`store.pgreader.PostgresReader`), as they reach an SQLite file through sqlite3: `missed` on
PostgreSQL no longer pays SQLAlchemy's import and engine. What the reader gives must be what
the full store gives, on both databases; a server that does not answer is one error, asked
once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from commands.app import App
from schedule.calendars.feeds import issue, revoke, token_hash
from schedule.domain.errors import PrrtError, StoreError
from schedule.domain.regimen import Catalog
from schedule.domain.settings import Settings
from schedule.services.handout import patient_handout
from schedule.store.database import Store
from schedule.store.fastpath import SqliteReader
from schedule.store.pgreader import PostgresReader
from schedule.tracking.worklists import worklist_rows
from tests.conftest import SAMPLES, actor, loaded_after, private_schema

AS_OF = date(2026, 11, 21)


@pytest.fixture
def clinic(run, db_url: str) -> str:  # type: ignore[no-untyped-def]
    """The sample clinic on SQLite and on PostgreSQL; NET-002 entered in error, NET-003 with a
    feed link."""
    for kind in ("roster", "doses"):
        done = run("--db", db_url, "import", kind, str(SAMPLES / f"{kind}.csv"))
        assert done.exit_code == 0, done.stderr
    done = run("--db", db_url, "correct", "NET-002", "P", "--reason", "wrong person")
    assert done.exit_code == 0, done.stderr
    return db_url


def _reader(db: str) -> SqliteReader | PostgresReader:
    found = SqliteReader.open(db) or PostgresReader.open(db)
    assert found is not None
    return found


def _refusal(read: Callable[[], object]) -> str:
    with pytest.raises(PrrtError) as refused:
        read()
    return f"{type(refused.value).__name__}: {refused.value}"


def test_the_reader_reads_what_the_store_reads(clinic: str) -> None:
    store = Store.open(clinic, "2026-11-21T09:00:00Z", create=False)
    issue(store, "NET-003", False, actor(), lambda _: None)
    revoke(store, "NET-003", actor())  # the live link is the one issued after it
    token = issue(store, "NET-003", True, actor(), lambda _: None)
    reader = _reader(clinic)
    assert isinstance(reader, PostgresReader) == ("://" in clinic)
    try:
        with store.read() as tx, reader.read() as light:
            assert light.patients() == tx.patients()
            assert light.courses() == tx.courses()
            assert light.courses_by_patient() == tx.courses_by_patient()
            assert light.facts() == tx.facts()
            some = sorted(tx.facts())[::3]
            assert light.facts(some) == tx.facts(some)
            for asked in ("NET-001", "net-003", "NET-009"):
                patient = light.require_patient(asked)
                assert patient == tx.require_patient(asked)
                ids = [c.id for c in tx.courses(patient.id)]
                assert light.courses(patient.id) == tx.courses(patient.id)
                assert light.records(ids) == tx.records(ids)
                assert light.tokens.active_token(patient.id) == tx.tokens.active_token(patient.id)
            assert light.records([]) == {}
            owner = light.tokens.token_owner(token_hash(token))
            assert owner == tx.tokens.token_owner(token_hash(token))
            assert owner is not None
            assert (owner.patient_id, owner.with_name) == ("NET-003", True)
            assert light.tokens.token_owner(token_hash("x" * 32)) is None
            for wrong in ("NET-0O1", "NET-002"):
                expected = _refusal(lambda w=wrong: tx.require_patient(w))
                assert _refusal(lambda w=wrong: light.require_patient(w)) == expected
    finally:
        reader.close()
        store.close()


def test_lists_and_handouts_read_through_the_reader_are_the_stores(
    clinic: str, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schedule.store import parallel

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # fork workers even for twelve patients
    store = Store.open(clinic, "2026-11-21T09:00:00Z", create=False)
    reader = _reader(clinic)
    try:
        for missed in (True, False):
            expected = worklist_rows(store, catalog, Settings(), AS_OF, missed, capacity=True)
            found = worklist_rows(reader, catalog, Settings(), AS_OF, missed, workers=2)
            assert [r.columns() for r in found] == [r.columns() for r in expected]
        with reader.read() as tx:  # the parent's connection outlived the workers
            assert len(tx.patients()) == 11
        for patient in ("NET-001", "NET-005", "NET-009"):
            full = patient_handout(store, catalog, Settings(), AS_OF, patient)
            light = patient_handout(reader, catalog, Settings(), AS_OF, patient)
            assert full is not None
            assert light is not None
            assert light.handout == full.handout
    finally:
        reader.close()
        store.close()


@pytest.mark.postgres
def test_missed_on_postgresql_imports_no_sqlalchemy(run) -> None:  # type: ignore[no-untyped-def]
    """(The SQLite reader's own test is in test_issue_12_reader.py.)"""
    schema = private_schema()
    clinic = next(schema)
    for kind, create in (("roster", ("--create",)), ("doses", ())):
        done = run("--db", clinic, "import", kind, *create, str(SAMPLES / f"{kind}.csv"))
        assert done.exit_code == 0, done.stderr
    done = loaded_after(
        ["--db", clinic, "missed", "--as-of", "2026-11-21", "-f", "csv"], ("sqlalchemy",)
    )
    next(schema, None)  # dropped
    assert (done.code, done.stderr, done.modules) == (0, "", [])
    assert done.stdout.startswith("patient_id,course,event,")


def test_what_the_reader_cannot_read_is_left_to_the_store(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    if "://" not in db_url:
        assert PostgresReader.open(db_url) is None  # a file is the SQLite reader's
        return
    assert PostgresReader.open(db_url) is None  # an empty schema: the store migrates it
    assert run("--db", db_url, "missed").exit_code == 0


def test_a_server_that_does_not_answer_is_one_error_asked_once(
    silent_port: int, tmp_path: Path
) -> None:
    """The store's own words, after one wait for the connect, not two."""
    target = f"postgresql://nobody:secret@127.0.0.1:{silent_port}/x?connect_timeout=2"
    began = time.monotonic()
    with pytest.raises(StoreError) as refused:
        _ = App((), tmp_path, target, "tester").reader
    waited = time.monotonic() - began
    assert str(refused.value).startswith(
        f"cannot open database postgresql+psycopg://nobody:***@127.0.0.1:{silent_port}/x"
    )
    assert "secret" not in str(refused.value)
    assert waited < 4  # one connect of at most 2 s


def test_a_read_that_fails_is_one_line_and_the_next_read_connects_again(clinic: str) -> None:
    reader = _reader(clinic)
    try:
        with pytest.raises(StoreError) as failed, reader.read() as tx:
            tx.query("SELECT name FROM no_such_table WHERE id = ?", ("x",))
        # SQLite's first line says the kind of failure; a server's text is never shown.
        reason = "UndefinedTable" if "://" in clinic else "no such table: no_such_table"
        assert str(failed.value) == f"the database cannot be read now: {reason}"
        with reader.read() as tx:  # a new connection
            assert len(tx.patients()) == 11
    finally:
        reader.close()
