"""Issue 13: editing patients (`patient edit`, `import roster --update`), `export roster`, and
CSV that spreadsheets read safely (formula cells neutralised, `--excel`, BOM, CRLF, `;`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.domain.course import Patient
from schedule.store.database import Store
from tests.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("config_dir")


def stored(db_url: str) -> tuple[list[Patient], list[dict[str, object]]]:
    store = Store.open(db_url, "x")
    with store.read() as tx:
        patients, audit = tx.patients(), tx.audit()
    store.close()
    return patients, audit


# -- patient edit -----------------------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_patient_edit_changes_details_audits_and_raises_sequence(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lutathera", "--start", "2026-12-07",
         "--tz", "Europe/Zurich", "--time", "09:00")  # fmt: skip
    before = prrt("ics", "P1").stdout
    assert "SEQUENCE:1" not in before
    result = prrt("patient", "edit", "P1", "--time", "10:30", "--lang", "FR", "--name", "Zoë")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "edited P1: name (none) -> Zoë; time 09:00 -> 10:30; lang (none) -> fr\n",
        "",
    )
    patients, audit = stored(db_url)
    assert patients == [Patient("P1", "Zoë", "Europe/Zurich", "10:30", "fr")]
    assert (audit[-1]["action"], audit[-1]["who"], audit[-1]["patient_id"]) == (
        "patient-edit",
        "coordinator",
        "P1",
    )
    assert json.loads(str(audit[-1]["detail"])) == {
        "old": {"name": None, "time": "09:00", "lang": None},
        "new": {"name": "Zoë", "time": "10:30", "lang": "fr"},
    }
    # The infusions and injections moved to 10:30 local (09:30Z), and every event now speaks
    # French: every SEQUENCE rises.
    with freeze_time("2026-11-22 10:00:00"):
        after = prrt("ics", "P1").stdout
        assert prrt("ics", "P1").stdout == after  # and stays the same when nothing changes
    assert "DTSTART:20261207T080000Z" in before
    assert "DTSTART:20261207T093000Z" in after
    assert after.count("SEQUENCE:1") == after.count("BEGIN:VEVENT")
    moved = after.count("\nDTSTART:")
    assert moved == 4  # the timed ones
    # A changed time zone moves them again.
    assert prrt("patient", "edit", "P1", "--tz", "America/New_York").exit_code == 0
    with freeze_time("2026-11-23 10:00:00"):
        again = prrt("ics", "P1").stdout
    assert "DTSTART:20261207T153000Z" in again
    assert again.count("SEQUENCE:2") == moved


@freeze_time("2026-11-21 10:00:00")
def test_patient_edit_refusals_change_nothing(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-11-02", "--past-start")
    cases = [
        (("P1", "--lang", "xx"), 2, "prrt: language 'xx' is not one of de, en, es, fr\n"),
        (("P1", "--tz", "Mars/Olympus"),
         2, "prrt: time zone 'Mars/Olympus' is unknown; use an IANA name such as Europe/Zurich\n"),
        (("P1", "--time", "9h"),
         2, "prrt: time '9h' is not valid; use HH:MM on a 24-hour clock, e.g. 09:00\n"),
        (("P9", "--lang", "en"), 3, "prrt: unknown patient 'P9'; 'prrt patient list' shows the patients\n"),
        (("P1",), 2, "prrt: nothing to change; give --name, --tz, --time, --lang or --pregnancy "
                     "(see 'prrt patient edit --help')\n"),
    ]  # fmt: skip
    before = stored(db_url)
    for args, code, message in cases:
        result = prrt("patient", "edit", *args)
        assert (result.exit_code, result.stdout, result.stderr) == (code, "", message)
    assert stored(db_url) == before
    result = prrt("patient", "edit", "P1", "--lang", "en")
    assert result.stdout == "edited P1: lang (none) -> en\n"
    result = prrt("patient", "edit", "P1", "--lang", "en")
    assert (result.exit_code, result.stdout) == (0, "P1 unchanged\n")
    assert len(stored(db_url)[1]) == len(before[1]) + 1  # one edit, one audit row
    assert prrt("patient", "edit", "P1", "--lang", "").stdout == "edited P1: lang en -> (none)\n"


# -- roster: details that differ, --update, export roster ---------------------------------------


@freeze_time("2026-11-23 10:00:00")
def test_roster_row_with_other_details_is_refused_or_updated(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    prrt("import", "roster", str(SAMPLES / "roster.csv"))
    lines = (SAMPLES / "roster.csv").read_text().splitlines()
    lines[1] = lines[1].replace("Ana Example", "Ana Sample")
    lines[3] = "NET-003,lutathera,2026-09-23,,Europe/Paris,,,no,yes"
    changed = tmp_path / "roster.csv"
    changed.write_text("\n".join(lines) + "\n")
    before = stored(db_url)
    result = prrt("import", "roster", str(changed))
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"prrt: {changed}: line 2: name: NET-001 is stored with name 'Ana Example', not "
        "'Ana Sample'; import with --update to store the file's values\n",
    )
    result = prrt("import", "roster", str(changed), "--update", "--dry-run")
    assert result.stdout == "would import 0 patients; 2 updated; 11 already stored\n"
    assert stored(db_url) == before
    result = prrt("import", "roster", str(changed), "--update")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "imported 0 patients; 2 updated; 11 already stored\n",
        "",
    )
    patients, audit = stored(db_url)
    by_id = {p.id: p for p in patients}
    assert by_id["NET-001"].name == "Ana Sample"
    assert (by_id["NET-003"].tz, by_id["NET-003"].name) == ("Europe/Paris", None)
    edits = [a for a in audit if a["action"] == "patient-edit"]
    assert [(a["patient_id"], json.loads(str(a["detail"]))) for a in edits] == [
        ("NET-001", {"old": {"name": "Ana Example"}, "new": {"name": "Ana Sample"}}),
        ("NET-003", {"old": {"tz": None}, "new": {"tz": "Europe/Paris"}}),
    ]
    result = prrt("import", "roster", str(changed))  # now the same: nothing to do
    assert result.stdout == "imported 0 patients; 13 already stored\n"


@freeze_time("2026-11-23 10:00:00")
def test_export_roster_and_doses_rebuild_a_database(prrt, run, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("import", "roster", str(SAMPLES / "roster.csv"))
    prrt("import", "doses", str(SAMPLES / "doses.csv"))
    prrt("patient", "edit", "NET-002", "--lang", "de", "--name", '=HYPERLINK("x")')
    more = tmp_path / "more.csv"
    more.write_text(
        "patient_id,regimen,start,course,interval,precautions\n"
        "NET-004,lanreotide,2026-11-02,2,month,\n"
        "NET-007,lutathera,2026-11-30,2,,us\n"
    )
    result = prrt("import", "roster", str(more))
    assert result.stdout == "imported 0 patients; 2 more courses; 0 already stored\n"
    prrt(
        "record",
        "NET-004",
        "ssa-1",
        "--date",
        "2026-11-02",
        "--course",
        "2",
        "--note",
        "-2 days: @home",
    )
    roster = prrt("export", "roster").stdout
    lines = roster.splitlines()
    assert lines[0] == (
        "patient_id,regimen,start,name,tz,time,lang,course,interval,precautions,pregnancy,"
        "past_start,in_error"
    )
    assert lines[1] == "NET-001,lutathera,2026-12-14,Ana Example,Europe/Zurich,09:00,,1,,,yes,yes,"
    assert lines[2] == (
        'NET-002,lutathera,2026-07-06,"\'=HYPERLINK(""x"")",Europe/Zurich,08:30,de,1,,,no,yes,'
    )
    assert "NET-004,lanreotide,2026-11-02,,,,,2,month,,,yes," in lines
    assert "NET-007,lutathera,2026-11-30,,,,,2,,us,no,yes," in lines
    doses = prrt("export", "doses").stdout
    assert any(
        line.startswith("NET-004,ssa-1,2026-11-02,,'-2 days: @home,2,given")
        for line in doses.splitlines()
    )
    (tmp_path / "roster.csv").write_text(roster)
    (tmp_path / "doses.csv").write_text(doses)
    fresh = str(tmp_path / "fresh.db")
    assert run(
        "--db", fresh, "import", "roster", "--create", str(tmp_path / "roster.csv")
    ).stdout == ("imported 12 patients; 3 more courses; 0 already stored\n")
    assert run("--db", fresh, "import", "doses", str(tmp_path / "doses.csv")).exit_code == 0
    assert run("--db", fresh, "export", "roster").stdout == roster
    assert run("--db", fresh, "export", "doses").stdout == doses
    for pid in ("NET-002", "NET-004", "NET-007"):
        assert (
            run("--db", fresh, "show", pid, "-f", "csv").stdout
            == prrt("show", pid, "-f", "csv").stdout
        )
    names = {p.id: p.name for p in stored(fresh)[0]}
    assert names["NET-002"] == '=HYPERLINK("x")'  # read back unchanged
    # Importing the export into the database it came from changes nothing.
    assert prrt("import", "roster", str(tmp_path / "roster.csv")).stdout == (
        "imported 0 patients; 15 already stored\n"
    )


# -- CSV for spreadsheets -----------------------------------------------------------------------


@freeze_time("2026-11-23 10:00:00")
def test_worklist_csv_neutralises_formulas_but_not_numbers(prrt) -> None:  # type: ignore[no-untyped-def]
    prrt("import", "roster", str(SAMPLES / "roster.csv"))
    prrt("import", "doses", str(SAMPLES / "doses.csv"))
    prrt("patient", "edit", "NET-006", "--name", "@SUM(A1)")
    due = prrt("due", "-f", "csv").stdout.splitlines()
    net006 = next(line for line in due if line.startswith("NET-006,"))
    # The name (last column) is neutralised; days_late (7) and days until (-1) stay numbers.
    assert net006.endswith(",7,2026-11-23,,,'@SUM(A1)")
    assert any(",-1," in line for line in due)
    listed = prrt("patient", "list", "-f", "csv").stdout.splitlines()
    assert next(x for x in listed if x.startswith("NET-006,")).startswith("NET-006,'@SUM(A1),1,")


@freeze_time("2026-11-23 10:00:00")
def test_excel_writes_a_byte_order_mark(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prrt("patient", "add", "P1", "--regimen", "lanreotide", "--start", "2026-11-02", "--past-start",
         "--name", "Zoë Müller")  # fmt: skip
    plain = prrt("due", "-f", "csv").stdout_bytes
    result = prrt("due", "--excel")
    assert (result.exit_code, result.stdout_bytes) == (0, b"\xef\xbb\xbf" + plain)
    assert prrt("show", "P1", "-f", "csv", "--excel").stdout_bytes.startswith(
        b"\xef\xbb\xbfpatient_id,"
    )
    result = prrt("due", "-f", "json", "--excel")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: --excel writes CSV; it cannot be combined with --format json "
        "(see 'prrt due --help')\n",
    )
    out = tmp_path / "roster.csv"
    assert prrt("export", "roster", "--excel", "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfpatient_id,")
    assert "Zoë Müller".encode() in data
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert prrt("export", "doses", "--excel").stdout_bytes.startswith(b"\xef\xbb\xbfpatient_id,")
    # The file Excel gets is read back as it is.
    result = prrt("import", "roster", str(out))
    assert result.stdout == "imported 0 patients; 1 already stored\n"


@freeze_time("2026-11-23 10:00:00")
def test_imports_read_excel_files_and_refuse_other_encodings(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    european = tmp_path / "european.csv"
    european.write_bytes(
        "\ufeffpatient_id;regimen;start;name\r\n"
        "P1;lanreotide;2026-11-02;Zoë Müller\r\n"
        "P2;lutathera;2026-12-07;'=1+1\r\n".encode()
    )
    result = prrt("import", "roster", str(european))
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "imported 2 patients; 0 already stored\n",
        "",
    )
    assert [(p.id, p.name) for p in stored(db_url)[0]] == [("P1", "Zoë Müller"), ("P2", "=1+1")]
    how = (
        "save it as UTF-8 (in Excel: Save As, 'CSV UTF-8 (Comma delimited)'; in LibreOffice: "
        "character set 'Unicode (UTF-8)')"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "patient_id,regimen,start,name\nP3,lanreotide,2026-11-02,Zoë\n".encode("latin-1")
    )
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("patient_id,regimen,start\nP4,lanreotide,2026-11-02\n".encode("utf-16"))
    for path, where in [(latin, "line 2: is not UTF-8 text"), (utf16, "is UTF-16 text, not UTF-8")]:
        result = prrt("import", "roster", str(path))
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            f"prrt: {path}: {where}; {how}\n",
        )
    doses = tmp_path / "doses.csv"
    doses.write_bytes(b"patient_id;event;date;note\r\nP1;ssa-1;2026-11-02;'-late\r\n")
    assert prrt("import", "doses", str(doses)).exit_code == 0
    exported = prrt("export", "doses").stdout.splitlines()[1]
    assert exported.startswith("P1,ssa-1,2026-11-02,,'-late,1,given")
    assert len(stored(db_url)[0]) == 2
