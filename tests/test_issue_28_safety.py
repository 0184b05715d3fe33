"""Issue 28, no silent surprises: a database is created only when asked, a file that is not
prrt's is refused by name and never written, reads work on read-only media, the same error
exits with the same code, echoed input is cut, over-long CSV is refused as it is read, bidi
controls are refused, a failed backup leaves nothing behind, and a handout that cannot say
what it should warns the coordinator."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES
from freezegun import freeze_time

from schedule.tracking.csvfiles import MAX_LINE, read_rows

WRITES = [
    ("patient", "add", "A", "--regimen", "lanreotide", "--start", "2026-11-20"),
    ("import", "roster", str(SAMPLES / "roster.csv")),
    ("import", "doses", str(SAMPLES / "doses.csv")),
    ("record", "A", "ssa-1", "--date", "2026-11-20"),
    ("skip", "A", "ssa-1", "--reason", "x"),
    ("patient", "edit", "A", "--time", "09:00"),
]
READS = [
    ("show", "NET-003"), ("due",), ("missed", "--fail-if-any"), ("history", "NET-003"),
    ("patient", "list"), ("explain", "NET-003", "prrt-2"), ("export", "doses"),
    ("export", "roster"), ("days",), ("report", "-f", "csv"),
]  # fmt: skip


# -- databases: created only when asked ---------------------------------------------------------


@freeze_time("2026-11-23")
@pytest.mark.parametrize("args", WRITES, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_db_on_a_write_creates_nothing(
    run, tmp_path: Path, args: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "here"
    folder.mkdir()
    typo = folder / "clnic.db"
    result = run("--db", str(typo), *args)
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr == (
        f"prrt: no database at {typo}; 'prrt --db {typo} init' creates it, or give the "
        "database meant with --db (or $PRRT_DB)\n"
    )
    assert list(folder.iterdir()) == []


@freeze_time("2026-11-23")
def test_init_or_create_makes_a_database(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = tmp_path / "a.db"
    assert run("--db", str(made), "init").stderr == f"prrt: created a new database at {made}\n"
    other = tmp_path / "b.db"
    added = run("--db", str(other), "patient", "add", "--create", "A", "--regimen", "lanreotide",
                "--start", "2026-11-20")  # fmt: skip
    assert (added.exit_code, added.stderr) == (0, f"prrt: created a new database at {other}\n")
    roster = tmp_path / "c.db"
    imported = run("--db", str(roster), "import", "roster", "--create", str(SAMPLES / "roster.csv"))
    assert imported.exit_code == 0
    assert roster.exists()


def _not_prrt(tmp_path: Path) -> dict[str, Path]:
    tmp_path.mkdir()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    text = tmp_path / "notes.db"
    text.write_text("shopping list\n")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (x)")
    conn.close()
    return {"empty": empty, "text": text, "other": other}


@freeze_time("2026-11-23")
def test_a_file_that_is_not_a_prrt_database_is_refused_by_name_and_never_written(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "files"
    files = _not_prrt(tmp_path)
    said = {
        "empty": "is an empty file, not a prrt database; 'prrt --db {path} init' creates it",
        "text": "is not a prrt database (not an SQLite file)",
        "other": "is not a prrt database (its tables are another program's)",
    }
    for kind, path in files.items():
        before = path.read_bytes()
        for args in [*WRITES, *READS]:
            result = run("--db", str(path), *args)
            assert result.exit_code == 5, (kind, args, result.stderr)
            expected = f"prrt: {path} " + said[kind].format(path=path)
            assert result.stderr.startswith(expected), (kind, args, result.stderr)
            assert path.read_bytes() == before, (kind, args)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "notes.db", "other.db"]
    # 'prrt init' sets up an empty file (it was asked to), and nothing else.
    assert run("--db", str(files["empty"]), "init").exit_code == 0
    assert run("--db", str(files["empty"]), "due").exit_code == 0
    assert run("--db", str(files["other"]), "init").exit_code == 5


@pytest.fixture
def clinic_file(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    db = tmp_path / "ro" / "clinic.db"
    db.parent.mkdir()
    with freeze_time("2026-11-23"):
        assert run("--db", str(db), "init").exit_code == 0
        assert run("--db", str(db), "import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
        assert run("--db", str(db), "import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    return db


@freeze_time("2026-11-23")
def test_reads_never_write_nor_leave_files(run, clinic_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = clinic_file.read_bytes()
    for args in [
        *READS,
        ("backup", str(tmp_path / "copy.db")),
        ("backup", str(tmp_path / "a.prrt")),
    ]:
        result = run("--db", str(clinic_file), *args)
        assert result.exit_code in (0, 1), (args, result.stderr)
    assert clinic_file.read_bytes() == before
    assert [p.name for p in clinic_file.parent.iterdir()] == ["clinic.db"]


def test_a_read_on_an_older_database_is_refused_not_migrated(run, clinic_file: Path) -> None:  # type: ignore[no-untyped-def]
    from schedule.store.migrations import latest

    with sqlite3.connect(clinic_file) as conn:
        conn.execute("DELETE FROM schema_version WHERE version = ?", (latest(),))
    conn.close()
    before = clinic_file.read_bytes()
    result = run("--db", str(clinic_file), "show", "NET-003")
    assert result.exit_code == 5
    assert result.stderr == (
        f"prrt: the database {clinic_file} is from an older version of prrt; it is brought up "
        f"to date by a command that writes: run 'prrt --db {clinic_file} init' once where the "
        "file can be written\n"
    )
    assert clinic_file.read_bytes() == before
    assert run("--db", str(clinic_file), "init").exit_code == 0
    assert run("--db", str(clinic_file), "show", "NET-003").exit_code == 0


def _without_write_permission() -> list[str]:
    """A command prefix that runs without the right to write files one does not may write: as
    root, the capabilities that override file permissions are dropped (setpriv); as anyone
    else, nothing is needed."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test read-only media as root"
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]


def test_every_read_works_on_read_only_media(clinic_file: Path, tmp_path: Path) -> None:
    folder = clinic_file.parent
    out = tmp_path / "out"
    out.mkdir()
    clinic_file.chmod(0o444)
    folder.chmod(0o555)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PRRT_CONFIG_DIR": str(tmp_path / "none")}
    try:
        for args in [*READS, ("backup", str(out / "copy.db")), ("backup", str(out / "a.prrt")),
                     ("ics", "NET-003", "-o", str(out / "a.ics"))]:  # fmt: skip
            done = subprocess.run(
                [*_without_write_permission(), sys.executable, str(ROOT / "cli.py"), "--db",
                 str(clinic_file), *args],
                capture_output=True, text=True, env=env, check=False, timeout=120,
            )  # fmt: skip
            assert (done.returncode, done.stderr) in ((0, ""), (1, "")), (args, done.stderr)
        wrote = subprocess.run(
            [*_without_write_permission(), sys.executable, str(ROOT / "cli.py"), "--db",
             str(clinic_file), "skip", "NET-003", "prrt-2", "--reason", "x"],
            capture_output=True, text=True, env=env, check=False, timeout=120,
        )  # fmt: skip
        assert wrote.returncode == 5  # a write is refused, in one line
        assert wrote.stderr.count("\n") == 1
    finally:
        folder.chmod(0o755)
        clinic_file.chmod(0o600)
    assert sorted(p.name for p in folder.iterdir()) == ["clinic.db"]


# -- one error, one exit code -------------------------------------------------------------------


@freeze_time("2026-11-23")
def test_already_recorded_is_4_from_record_and_import_alike(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert prrt("import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
    assert prrt("import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    assert prrt("record", "NET-003", "prrt-2", "--date", "2026-11-20").exit_code == 0
    again = prrt("record", "NET-003", "prrt-2", "--date", "2026-11-21")
    doses = tmp_path / "d.csv"
    doses.write_text("patient_id,event,date\nNET-003,prrt-2,2026-11-21\n")
    imported = prrt("import", "doses", str(doses))
    assert (again.exit_code, imported.exit_code) == (4, 4)
    assert "is already recorded" in again.stderr
    assert "is already recorded" in imported.stderr
    doses.write_text("patient_id,event,date\nNET-999,prrt-2,2026-11-21\n")
    unknown = prrt("import", "doses", str(doses))
    assert (unknown.exit_code, prrt("show", "NET-999").exit_code) == (3, 3)


@freeze_time("2026-11-23")
def test_a_folder_given_as_output_exits_6_everywhere(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        prrt("patient", "add", "A", "--regimen", "lanreotide", "--start", "2026-11-20").exit_code
        == 0
    )
    folder = tmp_path / "out"
    folder.mkdir()
    for args in [("export", "doses", "-o"), ("export", "roster", "-o"), ("backup",),
                 ("ics", "A", "-o"), ("report", "-o")]:  # fmt: skip
        result = prrt(*args, str(folder))
        assert (result.exit_code, result.stderr) == (
            6, f"prrt: cannot write {folder}: it is a folder; give the path of a file\n"
        ), args  # fmt: skip
    assert list(folder.iterdir()) == []


@freeze_time("2026-11-23")
@pytest.mark.parametrize("kind", ["roster", "doses"])
def test_a_5000_digit_course_number_is_a_clean_refusal(prrt, tmp_path: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert (
        prrt("patient", "add", "A", "--regimen", "lanreotide", "--start", "2026-11-20").exit_code
        == 0
    )
    path = tmp_path / "f.csv"
    head = "patient_id,regimen,start,course\nA,lanreotide,2026-11-20," if kind == "roster" else (
        "patient_id,event,date,course\nA,ssa-1,2026-11-20,"
    )  # fmt: skip
    for number in ("9" * 5000, "\u00b2", "0", "10001"):
        path.write_text(head + number + "\n")
        result = prrt("import", kind, str(path))
        assert result.exit_code == 2, result.stderr
        assert "is not a course number (1 to 10000)" in result.stderr
        assert len(result.stderr) < 400


@freeze_time("2026-11-23")
def test_echoed_input_is_cut(prrt) -> None:  # type: ignore[no-untyped-def]
    long_id = "N" * 100_000
    for args in (("show", long_id), ("record", "X", "e" * 100_000, "--date", "2026-11-20"),
                 ("plan", "r" * 100_000, "--start", "2027-01-01")):  # fmt: skip
        result = prrt(*args)
        assert result.exit_code in (2, 3), result.stderr
        assert result.stderr.startswith("prrt: ")
        assert len(result.stderr) < 1_000, args
        assert result.stderr.count("\n") == 1


# -- what is read and typed ---------------------------------------------------------------------


def test_an_over_long_line_is_refused_as_it_is_read(tmp_path: Path) -> None:
    from schedule.tracking.csvfiles import CsvError

    path = tmp_path / "doses.csv"
    with path.open("w") as handle:
        handle.write("patient_id,event,date,note\n")
        handle.write("A,ssa-1,2026-11-20," + "x" * (40 * MAX_LINE) + "\n")
    tracemalloc.start()
    with pytest.raises(CsvError, match=f"line 2: a line is longer than {MAX_LINE:,} characters"):
        read_rows(path, ("patient_id", "event", "date", "note"), 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * MAX_LINE  # bytes: a few lines' worth, never the 40 MB file
    path.write_text('patient_id,event,date,note\nA,ssa-1,2026-11-20,"' + "y" * 200_000 + '"\n')
    with pytest.raises(CsvError, match="line 2: a cell is longer than 131,072 characters"):
        read_rows(path, ("patient_id", "event", "date", "note"), 3)
    path.write_bytes(b"patient_id,event,date\nA,ssa-1,2026-11-20\nB,ssa-\xe9,2026-11-20\n")
    with pytest.raises(CsvError, match="line 3: is not UTF-8 text"):
        read_rows(path, ("patient_id", "event", "date"), 3)


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@freeze_time("2026-11-23")
@pytest.mark.parametrize("char", list(BIDI), ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_are_refused_in_names_and_notes(prrt, char: str) -> None:  # type: ignore[no-untyped-def]
    named = prrt("patient", "add", "A", "--regimen", "lanreotide", "--start", "2026-11-20",
                 "--name", f"Ana{char}elpmaxE")  # fmt: skip
    assert named.exit_code == 2
    assert f"name holds a control character (U+{ord(char):04X}" in named.stderr
    assert (
        prrt("patient", "add", "A", "--regimen", "lanreotide", "--start", "2026-11-20").exit_code
        == 0
    )
    noted = prrt("record", "A", "ssa-1", "--date", "2026-11-20", "--note", f"ok{char}")
    assert noted.exit_code == 2
    assert f"note holds a control character (U+{ord(char):04X}" in noted.stderr
    assert "ssa-1" not in prrt("history", "A").stdout


def test_a_backup_onto_a_full_disk_leaves_nothing_behind(  # type: ignore[no-untyped-def]
    run, clinic_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import schedule.store.backup as backup

    real = sqlite3.connect
    made: list[str] = []

    class FullDisk:
        """The source connection, whose copy runs out of room half-way: the copy's journal is
        on the disk, then SQLite says the disk is full."""

        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def backup(self, target: sqlite3.Connection) -> None:
            Path(made[-1] + "-journal").write_bytes(b"\0" * 512)
            raise sqlite3.OperationalError("database or disk is full")

        def __getattr__(self, name: str) -> object:
            return getattr(self.conn, name)

    def connect(database: str, *args: object, **kwargs: object) -> object:
        conn = real(database, *args, **kwargs)  # type: ignore[arg-type]
        if kwargs.get("uri"):
            return FullDisk(conn)
        made.append(database)
        return conn

    monkeypatch.setattr(backup.sqlite3, "connect", connect)
    target = tmp_path / "backups"
    target.mkdir()
    result = run("--db", str(clinic_file), "backup", str(target / "clinic-copy.db"))
    assert (result.exit_code, result.stderr) == (
        5, "prrt: cannot copy the database: database or disk is full\n"
    )  # fmt: skip
    assert made
    assert list(target.iterdir()) == []  # no temporary file, no journal


# -- the handout ----------------------------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_a_handout_that_cannot_say_what_it_should_warns_the_coordinator(  # type: ignore[no-untyped-def]
    prrt, config_dir: Path, tmp_path: Path
) -> None:
    assert (
        prrt("patient", "add", "H", "--regimen", "lutathera", "--start", "2026-12-01").exit_code
        == 0
    )
    target = tmp_path / "h.html"
    bare = prrt("handout", "H", "-o", str(target))
    assert bare.exit_code == 0
    assert bare.stderr.splitlines() == [
        "prrt: warning: the handout gives no way to reach the clinic (a generic sentence in its "
        "place): set clinic_phone, clinic_email or clinic_address under [site] in "
        f"{config_dir / 'config.toml'}",
        "prrt: warning: the handout lists ssa-washout-1 under 'before this visit' of prrt-1, but "
        "its last day, 2026-11-03, has passed; talk to the patient, and record it, reschedule "
        "the visit or skip it",
        "prrt: warning: the handout lists labs-1 under 'before this visit' of prrt-1, but its "
        "last day, 2026-11-17, has passed; talk to the patient, and record it, reschedule the "
        "visit or skip it",
    ]
    (config_dir / "config.toml").write_text('[site]\nclinic_phone = "+1 555 0100"\n')
    quiet = prrt("handout", "H", "-o", str(target), "--as-of", "2026-11-02")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
