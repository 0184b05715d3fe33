"""Issue 30: speed on a clinic that records only doses. What the quick paths must keep: the CSV
and JSON bytes of every listing (formula escaping where a cell can hold text, and only there),
the SEQUENCE of every event an import of many patients touches (never lower, raised for what
changed), the amounts a dose is checked against, and a read-only command that never loads the
calendars' memory."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from schedule.domain.model import Flag, Kind, Status
from schedule.output.columns import json_row
from schedule.output.formats import csv_cell, csv_text, json_text
from schedule.output.render import render
from tests.conftest import SAMPLES, loaded_after


def _csv_before(rows: list[Any], columns: list[str]) -> str:
    """The CSV as every listing wrote it before issue 30: `csv_cell` on every cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = row if isinstance(row, dict) else row.columns()
        writer.writerow([csv_cell(values.get(c)) for c in columns])
    return buffer.getvalue()


def _json_before(rows: list[Any], columns: list[str]) -> str:
    found = [json_row(row) for row in rows]
    return json.dumps([{c: row.get(c) for c in columns} for row in found], indent=2) + "\n"


class _Day(date):
    """A date of a subclass, as a test's frozen clock makes them."""


class _Typed:
    """A typed row with every kind of value a listing holds, and some it should not."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def columns(self) -> dict[str, Any]:
        return dict(self.values)


ODD_VALUES: list[dict[str, Any]] = [
    {"patient_id": "=HYPERLINK(\"x\")", "name": "@SUM(A1)", "reason": "+1", "title": "-x",
     "days_late": -3, "date": date(2026, 11, 21), "status": Status.MISSED, "kind": Kind.LAB,
     "flags": (Flag.OVERRIDE, Flag.LABS_STALE), "course": 1, "since": None, "dose": ""},
    {"patient_id": "P 2", "name": "Zoë\nO'Neil, \"Jr\"", "reason": "\tx", "title": "\rx",
     "days_late": "-3", "date": _Day(2026, 1, 2), "status": "=cmd", "kind": None, "flags": (),
     "course": True, "since": Decimal("7.5"), "dose": "-5"},
    {"patient_id": "P3", "name": 12, "reason": ["a", "=b"], "title": 1.5, "days_late": 4.25,
     "date": "=1+1", "status": None, "kind": "lab", "flags": ["x", "y"], "course": None,
     "since": Decimal("8"), "dose": "7.4 GBq"},
]  # fmt: skip
ODD_COLUMNS = ["patient_id", "course", "kind", "date", "days_late", "since", "status", "flags",
               "title", "dose", "reason", "name", "absent"]  # fmt: skip


@pytest.mark.parametrize("typed", [True, False])
def test_csv_and_json_of_odd_values_are_as_before(typed: bool) -> None:
    rows: list[Any] = [_Typed(v) if typed else v for v in ODD_VALUES]
    assert csv_text(rows, ODD_COLUMNS) == _csv_before(rows, ODD_COLUMNS)
    if typed:  # a mapping is already JSON's: a date or an enumeration in one is not
        assert json_text(rows, ODD_COLUMNS) == _json_before(rows, ODD_COLUMNS)
    assert json_text([], ODD_COLUMNS) == _json_before([], ODD_COLUMNS) == "[]\n"
    assert json_text(rows, []) == _json_before(rows, [])


def test_formula_escaping_is_applied_to_text_and_to_nothing_else() -> None:
    text = csv_text([_Typed(v) for v in ODD_VALUES], ODD_COLUMNS)
    rows = list(csv.reader(io.StringIO(text.replace("\r", "\\r"), newline="")))
    head, first, second, third = rows
    cell = dict(zip(head, first, strict=True))
    assert cell["patient_id"] == '\'=HYPERLINK("x")'
    assert (cell["name"], cell["reason"], cell["title"]) == ("'@SUM(A1)", "'+1", "'-x")
    assert (cell["days_late"], cell["date"], cell["flags"]) == (
        "-3",
        "2026-11-21",
        "override;labs-stale",
    )
    cell = dict(zip(head, second, strict=True))
    assert (cell["reason"], cell["title"], cell["dose"]) == ("'\tx", "'\\rx", "-5")  # a number
    assert cell["status"] == "'=cmd"  # text where an enumeration was expected
    cell = dict(zip(head, third, strict=True))
    assert (cell["date"], cell["reason"]) == ("'=1+1", "a;=b")


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> str:
    from click.testing import CliRunner

    from cli import cli

    db = str(tmp_path_factory.mktemp("clinic") / "clinic.db")
    with freeze_time("2026-11-21"):
        for args in (("roster", "--past-start", "--create"), ("doses",)):
            path = SAMPLES / f"{args[0]}.csv"
            done = CliRunner().invoke(cli, ["--db", db, "import", args[0], str(path), *args[1:]])
            assert done.exit_code == 0, done.output
    return db


@pytest.mark.parametrize("listing", ["missed", "due", "patients", "show"])
def test_the_sample_clinic_lists_the_same_bytes(clinic: str, listing: str) -> None:
    from schedule.domain.regimen_file import load_catalog
    from schedule.domain.settings import Settings
    from schedule.services.worklists import due_list, missed_list, patient_list
    from schedule.store.database import Store
    from schedule.store.fastpath import SqliteReader
    from schedule.tracking.worklists import SHOW_COLUMNS, show_rows

    catalog, settings, day = load_catalog([], []), Settings(), date(2026, 11, 21)
    reader, store = SqliteReader.open(clinic), Store.open(clinic, "x", create=False)
    assert reader is not None
    try:
        if listing == "missed":
            found = missed_list(reader, catalog, settings, None, day)
        elif listing == "due":
            found = due_list(reader, catalog, settings, None, day, 200)
        elif listing == "patients":
            found = patient_list(store, catalog, settings, day)
        if listing == "show":
            rows: list[Any] = show_rows(store, catalog, settings, "NET-002", day)
            columns = list(SHOW_COLUMNS)
        else:
            rows, columns = list(found.rows), list(found.columns)
    finally:
        reader.close()
        store.close()
    assert len(rows) > 3
    assert render(rows, columns, "csv", ()) == _csv_before(rows, columns)
    assert render(rows, columns, "json", ()) == _json_before(rows, columns)


# -- the calendars' memory after an import of many patients -----------------------------------


def _sequences(run, db: str, patient: str, folder: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """UID -> SEQUENCE of the patient's calendar as a reader is served it now."""
    out = folder / f"{patient}.ics"
    done = run("--db", db, "ics", patient, "-o", str(out))
    assert done.exit_code == 0, done.stderr
    found, uid = {}, None
    for line in out.read_text(encoding="utf-8").splitlines():
        if line.startswith("UID:"):
            uid = line[4:]
        elif line.startswith("SEQUENCE:") and uid is not None:
            found[uid] = int(line[9:])
    return found


def test_an_import_of_many_raises_every_event_it_touched_and_the_next_write_keeps_it(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The import builds no calendar and writes a mark per course, not a row per event: each
    event of a course the memory holds is served one more than any reader could have had
    (changed or not); a later write of one patient learns the states again (a row for each
    event, the mark no longer counting) and keeps what readers were served; others stay
    put."""
    from schedule.calendars.memory import MANY, UNKNOWN

    db = str(tmp_path / "many.db")
    count = MANY + 5
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "patient_id,regimen,start,past_start\n"
        + "".join(f"P{n:03},lanreotide,2026-11-02,yes\n" for n in range(count)),
        encoding="utf-8",
    )
    doses = tmp_path / "doses.csv"
    doses.write_text(
        "patient_id,event,date,dose\n"
        + "".join(f"P{n:03},ssa-1,2026-11-02,120 mg\n" for n in range(1, count)),
        encoding="utf-8",
    )
    with freeze_time("2026-11-20 09:00:00"):
        assert run("--db", db, "import", "roster", "--create", str(roster)).exit_code == 0
        before = {p: _sequences(run, db, p, tmp_path) for p in ("P000", "P001")}
        done = run("--db", db, "import", "doses", str(doses))
        assert done.exit_code == 0, done.stderr
        after = {p: _sequences(run, db, p, tmp_path) for p in ("P000", "P001")}
    assert after["P000"] == before["P000"]  # not in the file: untouched
    assert set(after["P001"]) >= set(before["P001"])
    assert all(after["P001"][u] > s for u, s in before["P001"].items())
    with sqlite3.connect(db) as conn:  # a mark per course, no row per event
        marks = conn.execute("SELECT times, count(*) FROM forgotten GROUP BY times").fetchall()
        rows = conn.execute("SELECT count(*) FROM published").fetchone()[0]
    assert (marks, rows) == ([(0, 1), (1, count - 1)], 0)
    with freeze_time("2026-11-20 10:00:00"):  # changes nothing a calendar shows
        assert run("--db", db, "patient", "edit", "P001", "--name", "Ana Example").exit_code == 0
        again = _sequences(run, db, "P001", tmp_path)
    assert again == after["P001"]
    with sqlite3.connect(db) as conn:
        learnt = conn.execute(
            "SELECT count(*) FROM published p JOIN courses c ON c.id = p.course_id "
            "WHERE c.patient_id = 'P001' AND p.fingerprint = ?",
            (UNKNOWN,),
        ).fetchone()[0]
        stored = conn.execute(
            "SELECT count(*) FROM published p JOIN courses c ON c.id = p.course_id "
            "WHERE c.patient_id = 'P001'"
        ).fetchone()[0]
        mark = conn.execute(
            "SELECT f.times FROM forgotten f JOIN courses c ON c.id = f.course_id "
            "WHERE c.patient_id = 'P001'"
        ).fetchall()
    assert (learnt, stored, mark) == (0, len(again), [(0,)])  # learnt: stored as it reads


def test_a_read_only_command_never_loads_the_calendars_memory(tmp_path: Path) -> None:
    db = tmp_path / "c.db"

    def loaded(*args: str) -> str:
        done = loaded_after(["--db", str(db), *args], ("schedule.calendars.memory",))
        assert done.code == 0, done.stderr
        return "memory" if done.modules else "none"

    roster = str(SAMPLES / "roster.csv")
    assert loaded("import", "roster", roster, "--past-start", "--create") == "memory"
    assert loaded("missed", "--as-of", "2026-11-21") == "none"
    assert loaded("patient", "list", "--as-of", "2026-11-21") == "none"


# -- the amount a dose is checked against -----------------------------------------------------


def test_without_a_hold_a_dose_is_checked_against_what_the_decisions_say(clinic: str) -> None:
    """`amount_guard` builds no decisions for a course without a hold: what it expects is
    then what the decisions would have said, dose by dose."""
    from schedule.domain.regimen_file import load_catalog
    from schedule.domain.settings import Settings
    from schedule.engine.views import course_views
    from schedule.store.database import Store
    from schedule.tracking import guards

    catalog, settings, day = load_catalog([], []), Settings(), date(2026, 11, 21)
    store = Store.open(clinic, "x", create=False)
    try:
        with store.read() as tx:
            patients = tx.patients()
            by_patient = tx.courses_by_patient()
            records = tx.records()
    finally:
        store.close()
    checked = 0
    for patient in patients:
        views = course_views(
            catalog, settings, patient, by_patient.get(patient.id, []), records, day
        )
        for view in views:
            if guards._held(view):
                continue
            for event in view.events:
                if event.kind is not Kind.DOSE or event.series != view.regimen.dose.series:
                    continue
                decision = view.decisions(settings, day).get(event.key)
                assert decision is not None
                assert decision.why == guards.FULL_DOSE
                full = guards.full_amount(view.regimen, event)
                assert full is not None
                assert guards.expected_amount(view, event, settings, day) == (
                    full[0],
                    "full",
                    guards.source_id(full[1]),
                )
                assert decision.amount == full[0]
                checked += 1
    assert checked > 20
