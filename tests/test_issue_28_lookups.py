"""Issue 28, "Lookups and entry": patient IDs found without case by every command and import,
did-you-mean for patients, events and regimens, `--date today|yesterday`, CSV headers in any
case, a decimal comma in doses, no dose outside its course even with an override, and the
imports' notes and twice-given events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time

from schedule.store.database import Store

pytestmark = pytest.mark.usefixtures("config_dir")


def add_net100(prrt) -> None:  # type: ignore[no-untyped-def]
    result = prrt("patient", "add", "NET-100", "--regimen", "lutathera", "--start", "2026-11-16",
                  "--pregnancy", "no", "--past-start")  # fmt: skip
    assert result.exit_code == 0, result.stderr


def records(db_url: str) -> list[tuple[str, str | None, str, str | None, str]]:
    store = Store.open(db_url, "x")
    with store.read() as tx:
        found = [
            (r.type.value, r.event, r.day.isoformat(), r.dose, r.note)
            for rs in tx.records().values()
            for r in rs
        ]
    store.close()
    return found


# -- patient IDs without case ----------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_every_command_finds_a_patient_whatever_the_case(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    shown = prrt("show", "net-100", "-f", "json")
    assert shown.exit_code == 0
    assert {row["patient_id"] for row in json.loads(shown.stdout)} == {"NET-100"}
    assert prrt("explain", "net-100", "prrt-1").exit_code == 0
    recorded = prrt("record", "net-100", "labs-1", "--date", "2026-11-10")
    assert (recorded.exit_code, recorded.stderr) == (0, "")
    assert prrt("history", "Net-100", "-f", "json").exit_code == 0
    held = prrt("hold", "net-100", "--reason", "platelets pending")
    assert (held.exit_code, held.stderr) == (0, "")
    assert prrt("resume", "NET-100", "--reason", "ok").exit_code == 0
    ics = prrt("ics", "net-100", "-o", str(tmp_path / "p.ics"))
    assert (ics.exit_code, ics.stderr) == (0, "")
    added = prrt("course", "add", "net-100", "--regimen", "Lanreotide", "--start", "2027-06-01")
    assert (added.exit_code, added.stdout) == (
        0,
        "added course 2 to NET-100: lanreotide from 2027-06-01\n",
    )
    # What was written is under the stored ID: one patient, its audit trail whole.
    trail = json.loads(prrt("history", "NET-100", "-f", "json").stdout)
    assert [row["action"] for row in trail] == [
        "patient-add", "course-add", "given", "hold", "resume", "course-add",
    ]  # fmt: skip
    assert json.loads(prrt("patient", "list", "-f", "json").stdout)[0]["patient_id"] == "NET-100"


@freeze_time("2026-11-21 10:00:00")
def test_imports_find_a_patient_whatever_the_case(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    doses = tmp_path / "doses.csv"
    doses.write_text("patient_id,event,date\nnet-100,labs-1,2026-11-10\n")
    result = prrt("import", "doses", str(doses))
    assert (result.exit_code, result.stdout) == (0, "imported 1 records; 0 already stored\n")
    assert records(db_url) == [("given", "labs-1", "2026-11-10", None, "")]
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id,regimen,start\nnet-100,lutathera,2026-11-16\n")
    result = prrt("import", "roster", str(roster))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "imported 0 patients; 1 already stored\n"


@freeze_time("2026-11-21 10:00:00")
def test_event_keys_in_any_case(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    assert prrt("record", "NET-100", "LABS-1", "--date", "2026-11-10").stdout == (
        "recorded labs-1 for NET-100 on 2026-11-10 (record 1)\n"
    )
    assert prrt("explain", "NET-100", "Labs-1").exit_code == 0
    doses = tmp_path / "doses.csv"
    doses.write_text("patient_id,event,date\nNET-100,Labs-1,2026-11-10\n")
    assert prrt("import", "doses", str(doses)).stdout == "imported 0 records; 1 already stored\n"
    assert records(db_url) == [("given", "labs-1", "2026-11-10", None, "")]


# -- did you mean ----------------------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_unknown_names_come_with_the_closest_known(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    result = prrt("show", "NET-10O")
    assert (result.exit_code, result.stderr) == (
        3,
        "prrt: unknown patient 'NET-10O' (did you mean 'NET-100'?); 'prrt patient list' "
        "shows the patients\n",
    )
    result = prrt("record", "NET-100", "prtt-2", "--date", "2026-11-20")
    assert (result.exit_code, result.stderr) == (
        3,
        "prrt: NET-100 has no event 'prtt-2' in course 1 (lutathera) (did you mean 'prrt-2'?); "
        "'prrt show NET-100' lists the events\n",
    )
    result = prrt("explain", "NET-100", "prtt-2")
    assert result.stderr.startswith("prrt: NET-100 has no event 'prtt-2' (did you mean 'prrt-2'?)")
    # Another number is another patient or dose, not a slip: nothing is offered.
    result = prrt("record", "NET-100", "prrt-7", "--date", "2026-11-20")
    assert result.stderr.startswith("prrt: NET-100 has no event 'prrt-7' in course 1 (lutathera);")
    result = prrt("course", "add", "NET-100", "--regimen", "lutatehra", "--start", "2027-06-01")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "prrt: unknown regimen 'lutatehra' (did you mean 'lutathera'?); known regimens: "
    )
    doses = tmp_path / "doses.csv"
    doses.write_text("patient_id,event,date\nNET-10O,labs-1,2026-11-10\n")
    result = prrt("import", "doses", str(doses))
    assert result.stderr == (
        f"prrt: {doses}: line 2: patient_id: unknown patient 'NET-10O' (did you mean "
        "'NET-100'?); import the roster first\n"
    )


@freeze_time("2026-11-21 10:00:00")
def test_a_regimen_id_is_taken_in_any_case(prrt) -> None:  # type: ignore[no-untyped-def]
    result = prrt("patient", "add", "P1", "--regimen", "Lutathera", "--start", "2026-12-07")
    assert (result.exit_code, result.stdout) == (
        0,
        "added P1: course 1, lutathera from 2026-12-07\n",
    )
    assert prrt("plan", "LUTATHERA", "--start", "2026-12-07").exit_code == 0


# -- entry -------------------------------------------------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_record_date_today_and_yesterday(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    assert prrt("record", "NET-100", "labs-1", "--date", "Yesterday").stdout == (
        "recorded labs-1 for NET-100 on 2026-11-20 (record 1)\n"
    )
    assert prrt("record", "NET-100", "order-1", "--date", "today").stdout == (
        "recorded order-1 for NET-100 on 2026-11-21 (record 2)\n"
    )
    result = prrt("record", "NET-100", "prrt-1", "--date", "tomorrow")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: Invalid value for '--date': 'tomorrow' is not a date in the form YYYY-MM-DD "
        "(e.g. 2027-03-01), or today or yesterday (see 'prrt record --help')\n",
    )
    assert [r[2] for r in records(db_url)] == ["2026-11-20", "2026-11-21"]


@freeze_time("2026-11-21 10:00:00")
def test_csv_headers_in_any_case_with_spaces(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text("Patient ID;Regimen;START;Past-Start\nNET-100;lutathera;2026-11-16;yes\n")
    result = prrt("import", "roster", str(roster))
    assert (result.exit_code, result.stderr) == (0, "")
    doses = tmp_path / "doses.csv"
    doses.write_text("Patient_ID;EVENT;Date;Dose\nNET-100;prrt-1;2026-11-16;7,4 GBq\n")
    result = prrt("import", "doses", str(doses))
    assert (result.exit_code, result.stderr) == (0, "")
    assert records(db_url) == [("given", "prrt-1", "2026-11-16", "7.4 GBq", "")]


@freeze_time("2026-11-21 10:00:00")
def test_a_decimal_comma_where_it_is_unambiguous(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    result = prrt("record", "NET-100", "prrt-1", "--date", "2026-11-16", "--dose", "7,400 GBq")
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: dose '7,400 GBq' is ambiguous: write 7400 GBq or 7.400 GBq\n",
    )
    result = prrt("record", "NET-100", "prrt-1", "--date", "2026-11-16", "--dose", "7,4 GBq")
    assert (result.exit_code, result.stderr) == (0, "")
    assert records(db_url) == [("given", "prrt-1", "2026-11-16", "7.4 GBq", "")]


@freeze_time("2026-11-21 10:00:00")
def test_an_override_never_passes_a_date_outside_the_course(prrt, db_url: str) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    result = prrt("record", "NET-100", "prrt-1", "--date", "1999-01-01", "--override", "x")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "prrt: date 1999-01-01 is outside course 1, which started 2026-11-16 (nothing of it "
        "comes before 2026-10-19); an override passes a clinical guard, never a date outside "
        "the course: check the date\n",
    )
    result = prrt("reschedule", "NET-100", "prrt-2", "--date", "2062-01-11", "--reason", "x",
                  "--override", "x")  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        2,
        "prrt: date 2062-01-11 is more than 730 days ahead (course 1 started 2026-11-16); "
        "check the year\n",
    )
    assert records(db_url) == []


# -- import doses: notes and twice-given events ----------------------------------------------


@freeze_time("2026-11-21 10:00:00")
def test_import_refuses_a_row_that_differs_only_in_its_note(
    prrt, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    prrt("record", "NET-100", "labs-1", "--date", "2026-11-10", "--note", "first")
    doses = tmp_path / "doses.csv"
    doses.write_text("patient_id,event,date,note\nNET-100,labs-1,2026-11-10,second\n")
    result = prrt("import", "doses", str(doses))
    assert (result.exit_code, result.stdout, result.stderr) == (
        4,  # a conflict with what is stored: as from 'prrt record'
        "",
        f"prrt: {doses}: line 2: note: labs-1 of NET-100 is already recorded on 2026-11-10 "
        "(record 1) with another note; give the stored note or none; if that is wrong, run "
        "'prrt correct NET-100 1 --reason ...' first\n",
    )
    # The same note, or none: the row is the stored record, left as it is.
    for note in ("first", ""):
        doses.write_text(f"patient_id,event,date,note\nNET-100,labs-1,2026-11-10,{note}\n")
        result = prrt("import", "doses", str(doses))
        assert result.stdout == "imported 0 records; 1 already stored\n"
    assert records(db_url) == [("given", "labs-1", "2026-11-10", None, "first")]
    # The way out the message gives runs, and then the file's note is kept.
    doses.write_text("patient_id,event,date,note\nNET-100,labs-1,2026-11-10,second\n")
    assert prrt("correct", "NET-100", "1", "--reason", "note").exit_code == 0
    assert prrt("import", "doses", str(doses)).stdout == "imported 1 records; 0 already stored\n"


@freeze_time("2026-11-21 10:00:00")
def test_two_lines_for_one_event_name_both(prrt, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    doses = tmp_path / "doses.csv"
    doses.write_text(
        "patient_id,event,date,note\nNET-100,labs-1,2026-11-10,a\nNET-100,order-1,2026-11-10,\n"
        "NET-100,labs-1,2026-11-10,b\n"
    )
    result = prrt("import", "doses", str(doses))
    expected = (
        f"prrt: {doses}: line 4: event: labs-1 of NET-100 is also on line 2 of this file; it is "
        f"recorded once; delete the wrong line, then run 'prrt import doses {doses}' again\n"
    )
    assert (result.exit_code, result.stderr) == (4, expected)  # a conflict: exit 4
    doses.write_text(
        "patient_id,event,date\nNET-100,labs-1,2026-11-10\nNET-100,labs-1,2026-11-11\n"
    )
    assert prrt("import", "doses", str(doses)).stderr == expected.replace("line 4", "line 3")
    assert records(db_url) == []
    # The command it names runs once the wrong line is gone.
    doses.write_text("patient_id,event,date\nNET-100,labs-1,2026-11-10\n")
    assert prrt("import", "doses", str(doses)).exit_code == 0


@freeze_time("2026-11-21 10:00:00")
def test_records_echo_the_stored_id_and_key(prrt) -> None:  # type: ignore[no-untyped-def]
    add_net100(prrt)
    done = prrt("record", "net-100", "LABS-1", "--date", "2026-11-20")
    assert done.stdout == "recorded labs-1 for NET-100 on 2026-11-20 (record 1)\n"
    held = prrt("hold", "net-100", "--reason", "patient choice")
    assert held.stdout.startswith("NET-100 is on hold from 2026-11-21")
    assert prrt("resume", "Net-100").stdout == "NET-100 resumed on 2026-11-21 (record 3)\n"
