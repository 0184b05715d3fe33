"""Golden transcripts: every command's exact output (stdout, stderr, exit code) and the exact
bytes of every patient's .ics, on the sample clinic with the clock frozen.

A change of behaviour shows here as a diff against `tests/golden/`. When a change is meant,
regenerate with `PRRT_GOLDEN_UPDATE=1 python -m pytest tests/test_golden.py` and read the diff
before committing it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from freezegun import freeze_time

from tests.conftest import SAMPLES

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = bool(os.environ.get("PRRT_GOLDEN_UPDATE"))
NAMESPACE = "0123456789abcdef0123456789abcdef"  # the random UID namespace, fixed for the bytes

PLANS = [
    ("regimens",),
    ("regimens", "-f", "json"),
    ("plan", "lutathera", "--start", "2027-03-01"),
    ("plan", "lutathera", "--start", "2027-03-01", "-f", "csv", "--precautions", "us"),
    ("plan", "lutathera", "--start", "2027-03-01", "-f", "json"),
    ("plan", "lanreotide", "--start", "2027-01-31", "--interval", "month", "--until", "2027-06-30"),
    ("plan", "lanreotide", "--start", "2027-01-31", "--interval", "42", "-f", "csv"),
    ("plan", "octreotide-lar", "--start", "2027-01-05", "-f", "csv"),
    ("plan", "pluvicto", "--start", "2027-01-05", "-f", "csv"),
    ("plan", "lutathera", "--start", "2027-03-01", "--ics", "-"),
    (
        "plan",
        "lutathera",
        "--start",
        "2027-03-01",
        "--ics",
        "-",
        "--time",
        "09:00",
        "--tz",
        "America/New_York",
    ),
    ("plan", "lutathera", "--start", "2027-02-30"),
    ("plan", "nothing", "--start", "2027-02-01"),
]

PATIENTS = [f"NET-{n:03d}" for n in range(1, 13)]

CLINIC = [
    ("import", "roster", str(SAMPLES / "roster.csv")),
    ("import", "doses", str(SAMPLES / "doses.csv")),
    ("import", "doses", str(SAMPLES / "doses.csv")),
    ("due",),
    ("due", "--within", "21", "-f", "csv"),
    ("due", "-f", "json"),
    ("missed",),
    ("missed", "-f", "csv", "--fail-if-any"),
    ("patient", "list"),
    ("patient", "list", "-f", "json"),
    *[("show", pid, "-f", "csv") for pid in PATIENTS],
    ("show", "NET-003"),
    ("history", "NET-002"),
    ("history", "NET-002", "-f", "json"),
    ("export", "doses"),
    ("show", "NET-404"),
    ("record", "NET-003", "prrt-2", "--date", "2026-11-20", "--dose", "7.4 GBq"),
    ("record", "NET-003", "prrt-2", "--date", "2026-11-21"),
    ("record", "NET-003", "ssa-2", "--date", "2026-11-21", "--dose", "30 mg"),
    ("record", "NET-003", "labs-9", "--date", "2026-11-21"),
    ("record", "NET-003", "prrt-3", "--date", "2026-11-30"),
    ("record", "NET-003", "prrt-3", "--date", "2026-11-21", "--dose", "30 mg"),
    ("skip", "NET-004", "ssa-6", "--reason", "travelling"),
    ("reschedule", "NET-006", "ssa-12", "--date", "2026-11-25", "--reason", "clinic closed"),
    (
        "hold",
        "NET-010",
        "--toxicity",
        "thrombocytopenia",
        "--grade",
        "2",
        "--reason",
        "platelets 60",
    ),
    ("hold", "NET-010", "--reason", "again"),
    ("resume", "NET-010"),
    ("correct", "NET-003", "88", "--reason", "wrong patient"),
    ("correct", "NET-003", "88", "--reason", "twice"),
    ("discontinue", "NET-009", "--reason", "progression"),
    ("record", "NET-009", "rlt-2", "--date", "2026-11-22"),  # given before the stop: late entry
    ("record", "NET-009", "rlt-3", "--date", "2026-11-23"),
    ("record", "NET-003", "prrt-4", "--date", "2026-11-21"),  # prrt-3 still pending
    ("record", "NET-002", "prrt-4", "--date", "2026-11-22", "--dose", "14.8 GBq"),
    ("record", "NET-002", "prrt-4", "--date", "2026-11-22", "--dose", "7.4 GBq"),  # too soon
    (
        "record",
        "NET-002",
        "prrt-4",
        "--date",
        "2026-11-22",
        "--dose",
        "7.4 GBq",
        "--override",
        "chair free, labs fine; Dr Lee",
    ),
    ("record", "NET-002", "order-4", "--date", "2026-11-20"),
    ("reschedule", "NET-006", "ssa-13", "--date", "2026-11-01", "--reason", "typo"),
    (
        "hold",
        "NET-008",
        "--toxicity",
        "renal",
        "--grade",
        "2",
        "--reason",
        "creatinine up 45%",
        "--date",
        "2026-11-20",
        "--review",
        "2026-12-01",
    ),
    ("discontinue", "NET-011", "--reason", "progression", "--date", "2026-11-20"),
    ("course", "add", "NET-011", "--regimen", "lanreotide", "--start", "2026-12-01"),
    ("course", "add", "NET-006", "--regimen", "lutathera", "--start", "2027-01-11"),
    ("skip", "NET-006", "ssa-13", "--reason", "x"),
    (
        "course",
        "add",
        "NET-004",
        "--regimen",
        "lutathera",
        "--start",
        "2027-01-11",
        "--replaces",
        "1",
    ),
    ("history", "NET-002"),
    (
        "patient",
        "add",
        "NET-013",
        "--regimen",
        "lutathera",
        "--start",
        "2026-12-07",
        "--name",
        "Zoë Example",
        "--tz",
        "America/New_York",
        "--time",
        "09:00",
    ),
    ("patient", "add", "NET-013", "--regimen", "lutathera", "--start", "2026-12-07"),
    ("show", "NET-003"),
    ("show", "NET-010", "-f", "csv"),
    ("show", "NET-011", "-f", "csv"),
    ("due", "-f", "csv"),
    ("missed", "-f", "csv"),
    ("patient", "list", "-f", "csv"),
    ("history", "NET-003", "-f", "csv"),
    ("export", "doses"),
]


def _transcript(run, commands) -> str:  # type: ignore[no-untyped-def]
    out = []
    for args in commands:
        result = run(*args)
        out.append(f"$ prrt {' '.join(args)}\n")
        out.append(result.stdout)
        if result.stderr:
            out.append(f"[stderr] {result.stderr}")
        out.append(f"[exit {result.exit_code}]\n")
    return "".join(out).replace(str(SAMPLES), "samples")


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{name} differs from tests/golden/{name}"


@pytest.fixture(autouse=True)
def fixed_plan_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """`plan --ics` draws a random UID namespace per export; a transcript needs a fixed one."""
    monkeypatch.setattr("schedule.calendars.publisher.plan_namespace", lambda: "0" * 32)


@freeze_time("2026-11-23 10:00:00")
def test_plans_and_regimens_are_unchanged(run) -> None:  # type: ignore[no-untyped-def]
    _compare("plans.txt", _transcript(run, PLANS))


@freeze_time("2026-11-23 10:00:00")
def test_the_sample_clinic_is_unchanged(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "golden.db")

    def on_db(*args: str):  # type: ignore[no-untyped-def]
        return run("--db", db, "--user", "coordinator", *args)

    assert on_db("init").exit_code == 0
    with sqlite3.connect(db) as conn:  # fix the random UID namespace so UIDs are comparable
        conn.execute(
            "UPDATE calendar_meta SET value = ? WHERE name = 'uid_namespace'", (NAMESPACE,)
        )
    transcript = _transcript(on_db, CLINIC)
    _compare("clinic.txt", transcript.replace(str(tmp_path), "TMP"))
    calendars = []
    for pid in [*PATIENTS, "NET-013"]:
        result = on_db("ics", pid)
        assert result.exit_code == 0, result.stderr
        calendars.append(f"=== {pid}\n" + result.stdout_bytes.decode("utf-8"))
    named = on_db("ics", "NET-013", "--with-name")
    calendars.append("=== NET-013 --with-name\n" + named.stdout_bytes.decode("utf-8"))
    _compare("calendars.ics.txt", "".join(calendars))
    folder = tmp_path / "all"
    result = on_db("ics", "--all", "--dir", str(folder))
    files = sorted(p.name for p in folder.iterdir())
    summary = result.stdout.replace(str(folder), "DIR") + "\n".join(files) + "\n"
    for path in sorted(folder.glob("*.ics")):
        summary += f"{path.name} sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}\n"
    _compare("folder.txt", summary)
