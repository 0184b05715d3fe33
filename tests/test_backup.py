"""Backup and restore (issue 13): the whole database out and back, on SQLite and PostgreSQL,
with a round trip SQLite -> archive -> PostgreSQL -> archive -> SQLite that changes nothing a
coordinator or a patient sees, and a backup taken while another process writes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.store import tables
from schedule.store.backup import open_sqlite_file, snapshot
from schedule.store.database import Store
from tests.conftest import ROOT, SAMPLES, private_schema

pytestmark = pytest.mark.usefixtures("config_dir")

PATIENTS = [f"NET-{n:03d}" for n in range(1, 13)]
AS_OF = "2026-11-23"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty private schema on the PostgreSQL server (besides the `db_url` of a test)."""
    yield from private_schema()


def views(run, db: str) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Everything a coordinator or a patient sees of a database, as bytes."""
    out: dict[str, bytes] = {}

    def take(name: str, *args: str) -> None:
        result = run("--db", db, "--user", "coordinator", *args)
        assert (result.exit_code, result.stderr) == (0, ""), (name, result.stderr)
        out[name] = result.stdout_bytes

    take("export", "export", "doses")
    take("export-roster", "export", "roster")
    take("list", "patient", "list", "--as-of", AS_OF, "-f", "csv")
    take("due", "due", "--as-of", AS_OF, "--within", "30", "-f", "csv")
    take("missed", "missed", "--as-of", AS_OF, "-f", "json")
    for pid in PATIENTS:
        take(f"show {pid}", "show", pid, "--as-of", AS_OF, "-f", "csv")
        take(f"history {pid}", "history", pid, "-f", "csv")
        take(f"ics {pid}", "ics", pid)
    return out


def build_clinic(run, db: str) -> None:  # type: ignore[no-untyped-def]
    def ok(*args: str) -> None:
        result = run("--db", db, "--user", "coordinator", *args)
        assert (result.exit_code, result.stderr) == (0, ""), (args, result.stderr)

    if "://" not in db:  # a new SQLite file: made by 'prrt init', which says so
        made = run("--db", db, "init")
        assert (made.exit_code, made.stderr) == (0, f"prrt: created a new database at {db}\n")
    ok("import", "roster", str(SAMPLES / "roster.csv"))
    ok("import", "doses", str(SAMPLES / "doses.csv"))
    for pid in PATIENTS:  # publish, then change: some SEQUENCEs rise
        ok("ics", pid)
    ok("patient", "edit", "NET-002", "--lang", "de", "--time", "10:15")
    more = Path(db).parent / "more.csv"  # a second course, with options
    more.write_text(
        "patient_id,regimen,start,course,interval\nNET-004,lanreotide,2026-11-02,2,month\n"
    )
    ok("import", "roster", str(more))
    ok("record", "NET-004", "ssa-1", "--date", "2026-11-02", "--dose", "120 mg", "--course", "2")
    ok("record", "NET-003", "prrt-2", "--date", "2026-11-20", "--dose", "7.4 GBq")
    ok("correct", "NET-003", "90", "--reason", "wrong day")
    ok("feed", "url", "NET-001", "--base", "https://calendar.example.org")
    for pid in PATIENTS:  # publish again, so the memory of SEQUENCEs is in the backup
        ok("ics", pid)


def table_rows(db: str) -> dict[str, list[tuple[object, ...]]]:
    store = Store.open(db, "x")
    try:
        with snapshot(store) as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(t.select().order_by(*t.primary_key))]
                for t in tables.metadata.sorted_tables
                if t.name not in ("schema_version", "audit")
            }
    finally:
        store.close()


@freeze_time("2026-11-23 08:00:00")
def test_round_trip_sqlite_archive_postgres_archive_sqlite(
    run, tmp_path: Path, pg_url: str
) -> None:  # type: ignore[no-untyped-def]
    source = str(tmp_path / "source.db")
    build_clinic(run, source)
    before = views(run, source)
    assert b"SEQUENCE:1" in before["ics NET-002"]
    first = tmp_path / "first.prrt"
    result = run("--db", source, "backup", str(first))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"backed up 12 patients, 91 records, 121 audit rows (871 rows, schema level 6) "
        f"to {first} (archive)\n"
    )
    assert oct(first.stat().st_mode & 0o777) == "0o600"

    result = run("--user", "admin", "restore", str(first), "--db", pg_url)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "restored 12 patients, 91 records, 121 audit rows (871 rows, schema level 6)\n",
        "",
    )
    assert table_rows(pg_url) == table_rows(source)
    assert views(run, pg_url) == before

    second = tmp_path / "second.prrt"
    assert run("--db", pg_url, "backup", str(second)).exit_code == 0
    target = str(tmp_path / "target.db")
    assert run("--user", "admin", "restore", str(second), "--db", target).exit_code == 0
    assert views(run, target) == before
    assert table_rows(target) == table_rows(source)

    # The audit trail came along, and says who restored, when.
    store = Store.open(target, "x")
    with store.read() as tx:
        trail = tx.audit()
    store.close()
    assert [(a["action"], a["who"]) for a in trail[-2:]] == [("restore", "admin")] * 2
    assert json.loads(trail[-1]["detail"]) == {"file": "second.prrt", "rows": 872, "schema": 6}

    # New rows on the restored PostgreSQL database get fresh ids (its sequences moved on).
    result = run("--db", pg_url, "record", "NET-003", "prrt-2", "--date", "2026-11-21")
    assert (result.exit_code, result.stdout) == (
        0,
        "recorded prrt-2 for NET-003 on 2026-11-21 (record 92)\n",
    )
    more = tmp_path / "more.csv"
    more.write_text("patient_id,regimen,start,course\nNET-006,lanreotide,2026-11-23,2\n")
    assert run("--db", pg_url, "import", "roster", "--create", str(more)).exit_code == 0
    assert max(row[0] for row in table_rows(pg_url)["courses"]) == 15


@freeze_time("2026-11-23 08:00:00")
def test_sqlite_copy_restores_into_either_kind(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    source = str(tmp_path / "source.db")
    build_clinic(run, source)
    before = views(run, source)
    copy = tmp_path / "copy.db"
    result = run("--db", source, "backup", str(copy))
    assert result.stdout.endswith(f"to {copy} (database copy)\n")
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert views(run, str(copy)) == before  # the copy is a working database itself
    result = run("restore", str(copy), "--db", db_url)
    assert (result.exit_code, result.stderr) == (0, "")
    assert views(run, db_url) == before


@freeze_time("2026-11-23 08:00:00")
def test_restore_refuses_a_target_with_data(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    source = str(tmp_path / "source.db")
    build_clinic(run, source)
    archive = tmp_path / "clinic.prrt"
    assert run("--db", source, "backup", str(archive)).exit_code == 0
    run(
        "--db",
        db_url,
        "patient",
        "add",
        "--create",
        "X1",
        "--regimen",
        "lanreotide",
        "--start",
        AS_OF,
    )
    before = table_rows(db_url)
    result = run("restore", str(archive), "--db", db_url)
    assert (result.exit_code, result.stdout, result.stderr) == (
        4,
        "",
        "prrt: the target database is not empty (audit: 2, patients: 1, courses: 1, publications: 1, "
        "published: 17); a backup "
        "is restored only into an empty database\n",
    )
    assert table_rows(db_url) == before


def test_restore_into_a_database_opened_but_empty(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    source = str(tmp_path / "source.db")
    run(
        "--db",
        source,
        "patient",
        "add",
        "--create",
        "X1",
        "--regimen",
        "lanreotide",
        "--start",
        AS_OF,
    )
    archive = tmp_path / "clinic.prrt"
    assert run("--db", source, "backup", str(archive)).exit_code == 0
    assert run("--db", db_url, "patient", "list").exit_code == 0  # migrated, nothing stored
    result = run("--db", db_url, "restore", str(archive))  # the global --db is the target
    assert (result.exit_code, result.stderr) == (0, "")
    # The source's UID namespace replaced the one the empty database had made.
    assert table_rows(db_url)["calendar_meta"] == table_rows(source)["calendar_meta"]


def test_damaged_or_foreign_files_are_refused(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    source = str(tmp_path / "source.db")
    run(
        "--db",
        source,
        "patient",
        "add",
        "--create",
        "X1",
        "--regimen",
        "lanreotide",
        "--start",
        AS_OF,
    )
    archive = tmp_path / "clinic.prrt"
    run("--db", source, "backup", str(archive))
    lines = gzip.decompress(archive.read_bytes()).splitlines(keepends=True)
    cut = tmp_path / "cut.prrt"
    cut.write_bytes(gzip.compress(b"".join(lines[:-3])))
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    newer = tmp_path / "newer.prrt"
    header = json.loads(lines[0])
    newer.write_bytes(gzip.compress(json.dumps({**header, "schema": 99}).encode() + b"\n"
                                    + b"".join(lines[1:])))  # fmt: skip
    for path, problem in [
        (cut, "the backup is incomplete (cut off)"),
        (text, "not a prrt backup (neither an archive nor an SQLite copy)"),
        (tmp_path / "none.prrt", "no such file"),
        (newer, "the backup is at schema level 99, newer than this version of prrt knows (6); "
                "restore it with a newer version"),
    ]:  # fmt: skip
        result = run("restore", str(path), "--db", db_url)
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            f"prrt: {path}: {problem}\n",
        )
    assert table_rows(db_url)["patients"] == []


def test_a_database_copy_comes_from_sqlite_only(run, tmp_path: Path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    result = run("--db", pg_url, "backup", str(tmp_path / "copy.db"))
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: a database copy is made from an SQLite database only; write a portable "
        "archive (a file name not ending in .db) instead\n",
    )
    assert not (tmp_path / "copy.db").exists()


def test_an_archive_of_an_older_level_is_migrated_on_restore(
    run, tmp_path: Path, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    """An archive at level 2 (no `standing`, no migration-3 columns) restores, then migration
    3 runs on its rows as it would on the original database."""
    source = str(tmp_path / "source.db")
    with freeze_time("2026-11-23 08:00:00"):
        build_clinic(run, source)
        archive = tmp_path / "clinic.prrt"
        run("--db", source, "backup", str(archive))
    items = [json.loads(line) for line in gzip.decompress(archive.read_bytes()).splitlines()]
    items[0]["schema"] = 2
    drop = {"lang", "override", "review", "end_care", "toxicity", "grade", "pregnancy"}
    old: list[object] = []
    keep: list[int] = []
    table = ""
    for item in items:
        if isinstance(item, dict) and "table" in item:
            table = item["table"]
            if table == "standing":
                continue
            keep = [i for i, c in enumerate(item["columns"]) if c not in drop]
            old.append({"table": table, "columns": [item["columns"][i] for i in keep]})
        elif isinstance(item, list):
            if table == "standing" or (table == "schema_version" and item[0] >= 3):
                continue
            old.append([item[i] for i in keep])
        else:
            old.append(item)
    old[-1] = {"end": True, "rows": sum(isinstance(i, list) for i in old)}
    level2 = tmp_path / "level2.prrt"
    level2.write_bytes(gzip.compress(b"".join(json.dumps(i).encode() + b"\n" for i in old)))
    # A database with no tables yet: an SQLite file not made, or a new PostgreSQL schema (an
    # initialised database is at the latest level already, and a level-2 archive is older).
    target = db_url if "://" in db_url else str(tmp_path / "target.db")
    result = run("restore", str(level2), "--db", target)
    assert (result.exit_code, result.stderr) == (0, "")
    restored, original = table_rows(target), table_rows(source)
    assert restored["standing"] == original["standing"]
    assert [r[:4] for r in restored["patients"]] == [r[:4] for r in original["patients"]]
    store = Store.open(target, "x")
    assert store.schema_version() == 6
    store.close()


# -- a backup while another process writes ----------------------------------------------------

WRITERS = 12


def check_consistent(db: str) -> int:
    """Opens; every record's course exists; the audit rows of records match the records."""
    store = Store.open(db, "x")
    try:
        with store.read() as tx:
            courses = {c.id for c in tx.courses()}
            records = {r.id: r for rs in tx.records().values() for r in rs}
            audit = [a for a in tx.audit() if a["record_id"] is not None]
    finally:
        store.close()
    assert all(r.course_id in courses for r in records.values())
    assert sorted(a["record_id"] for a in audit) == sorted(records)
    assert all(a["course_id"] == records[a["record_id"]].course_id for a in audit)
    return len(records)


def test_backup_while_another_process_writes(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start\n"
        + "".join(f"W{n},lanreotide,2024-01-01\n" for n in range(WRITERS))
    )
    assert (
        run("--db", db_url, "import", "roster", "--create", str(roster), "--past-start").exit_code
        == 0
    )
    script = (
        f"for n in $(seq 0 {WRITERS - 1}); do "
        f'"{sys.executable}" cli.py --db "{db_url}" record W$n ssa-1 --date 2024-01-01 || exit 1; '
        "done"
    )
    env = {**os.environ, "PRRT_CONFIG_DIR": str(tmp_path / "config")}
    writer = subprocess.Popen(["bash", "-c", script], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    seen: list[int] = []
    try:
        for n in range(200):  # bounded; the writer needs a few seconds
            done = writer.poll() is not None
            names = [f"b{n}.prrt"] + ([f"b{n}.db"] if "://" not in db_url else [])
            for name in names:
                result = run("--db", db_url, "backup", str(tmp_path / name))
                assert (result.exit_code, result.stderr) == (0, "")
                if name.endswith(".prrt"):
                    target = str(tmp_path / f"r{n}.db")
                    assert run("restore", str(tmp_path / name), "--db", target).exit_code == 0
                    seen.append(check_consistent(target))
                else:
                    seen.append(check_consistent(str(tmp_path / name)))
            if done:
                break
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert seen == sorted(seen)  # later backups never hold less
    assert seen[-1] == WRITERS
    assert len(set(seen)) > 1, "no backup was taken while the writer ran"


def test_archive_is_readable_without_prrt(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The documented format: gzip'd JSON lines, header first, a table line before its rows."""
    db = str(tmp_path / "a.db")
    run("--db", db, "patient", "add", "--create", "X1", "--regimen", "lanreotide", "--start", AS_OF,
        "--name", "Zoë =1+1")  # fmt: skip
    run("--db", db, "backup", str(tmp_path / "a.prrt"))
    items = [
        json.loads(x) for x in gzip.decompress((tmp_path / "a.prrt").read_bytes()).splitlines()
    ]
    assert {k: items[0][k] for k in ("format", "version", "schema", "source")} == {
        "format": "prrt-archive", "version": 1, "schema": 6, "source": "sqlite",
    }  # fmt: skip
    names = [i["table"] for i in items if isinstance(i, dict) and "table" in i]
    assert names == [t.name for t in tables.metadata.sorted_tables]
    at = items.index({"table": "patients", "columns": [c.name for c in tables.patients.columns]})
    assert items[at + 1][:2] == ["X1", "Zoë =1+1"]
    assert items[-1] == {"end": True, "rows": sum(isinstance(i, list) for i in items)}
    store = open_sqlite_file(tmp_path / "a.db")
    store.close()
