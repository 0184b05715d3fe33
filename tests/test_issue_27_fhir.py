"""Issue 27: FHIR R4. `prrt fhir export` (a Bundle per patient, Bulk Data NDJSON for all) and
`prrt fhir import` (MedicationAdministration and Procedure resources back as records, with the
guards of `import doses`). Every resource is checked by the independent `fhir.resources` R4B
models; a round trip through FHIR gives back exactly the records exported."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from freezegun import freeze_time

from tests.conftest import SAMPLES

TODAY = "2026-11-23"
PATIENTS = sorted(
    {line.split(",")[0] for line in (SAMPLES / "roster.csv").read_text().splitlines()[1:]}
)


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, after the R4B model of its type accepted it (it raises otherwise)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    found = [e["resource"] for e in bundle["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


@pytest.fixture
def clinic(prrt):  # type: ignore[no-untyped-def]
    """The sample clinic: its roster and its doses."""
    assert prrt("import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
    assert prrt("import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    return prrt


def export(prrt, patient_id: str, *more: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = prrt("fhir", "export", patient_id, *more)
    assert result.exit_code == 0, result.stderr
    bundle: dict[str, Any] = json.loads(result.stdout)
    return bundle


@freeze_time(TODAY)
def test_every_sample_patient_exports_a_valid_bundle(clinic) -> None:  # type: ignore[no-untyped-def]
    for pid in PATIENTS:
        bundle = validated(export(clinic, pid))
        assert bundle["type"] == "collection"
        for resource in resources(bundle):
            validated(resource)
        (patient,) = resources(bundle, "Patient")
        assert patient["identifier"] == [{"system": "urn:prrt:patient", "value": pid}]
        assert "name" not in patient  # only with --with-name
        assert resources(bundle, "CarePlan")


@freeze_time(TODAY)
def test_the_same_patient_exported_twice_gives_the_same_bytes(clinic) -> None:  # type: ignore[no-untyped-def]
    first = clinic("fhir", "export", "NET-011").stdout
    again = clinic("fhir", "export", "NET-011").stdout
    assert first == again
    ids = [r["id"] for r in resources(json.loads(first))]
    assert len(ids) == len(set(ids))


@freeze_time(TODAY)
def test_lutathera_request_is_four_doses_every_eight_weeks_in_gbq(clinic) -> None:  # type: ignore[no-untyped-def]
    bundle = export(clinic, "NET-001")
    requests = resources(bundle, "MedicationRequest")
    dose = next(r for r in requests if "Lutathera" in r["medicationCodeableConcept"]["text"])
    timing = dose["dosageInstruction"][0]["timing"]["repeat"]
    assert (timing["count"], timing["period"], timing["periodUnit"]) == (4, 8, "wk")
    quantity = dose["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert quantity == {
        "value": 7.4,
        "unit": "GBq",
        "system": "http://unitsofmeasure.org",
        "code": "GBq",
    }
    coding = dose["medicationCodeableConcept"]["coding"]
    assert coding == [
        {
            "system": "http://www.whocc.no/atc",
            "code": "V10XX04",
            "display": "lutetium (177Lu) oxodotreotide",
        }
    ]
    assert dose["meta"]["profile"] == [
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-medication-request"
    ]
    assert dose["reasonCode"]  # mCODE: a reason is required
    ssa = next(r for r in requests if r is not dose)
    assert ssa["medicationCodeableConcept"]["coding"][0]["code"] == "H01CB02"
    assert [d["sequence"] for d in ssa["dosageInstruction"]] == [1, 2]
    maintenance = ssa["dosageInstruction"][1]["timing"]["repeat"]
    assert (maintenance["period"], maintenance["periodUnit"]) == (4, "wk")


@freeze_time(TODAY)
def test_course_states_map_to_careplan_statuses(clinic) -> None:  # type: ignore[no-untyped-def]
    def status(pid: str) -> str:
        (plan,) = resources(export(clinic, pid), "CarePlan")
        return str(plan["status"])

    assert status("NET-005") == "on-hold"  # held since 2026-08-10
    assert status("NET-012") == "revoked"  # discontinued
    assert status("NET-001") == "active"
    held = resources(export(clinic, "NET-005"), "MedicationRequest")
    assert {r["status"] for r in held} == {"on-hold"}
    stopped = resources(export(clinic, "NET-012"), "MedicationRequest")
    assert {r["status"] for r in stopped} == {"stopped"}


@freeze_time(TODAY)
def test_activities_carry_the_events_status_and_day(clinic) -> None:  # type: ignore[no-untyped-def]
    (plan,) = resources(export(clinic, "NET-002"), "CarePlan")
    details = {a["detail"]["extension"][0]["valueString"]: a["detail"] for a in plan["activity"]}
    assert details["prrt-1"]["status"] == "completed"
    assert details["prrt-1"]["kind"] == "MedicationRequest"
    assert details["prrt-4"]["status"] == "scheduled"
    assert details["labs-1"]["kind"] == "ServiceRequest"
    assert (
        details["labs-1"]["scheduledPeriod"]["start"] <= details["labs-1"]["scheduledPeriod"]["end"]
    )
    allowed = {"not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled",
               "stopped", "unknown"}  # fmt: skip
    assert {d["status"] for d in details.values()} <= allowed


@freeze_time(TODAY)
def test_flags_become_detected_issues_with_their_rule(clinic) -> None:  # type: ignore[no-untyped-def]
    bundle = export(clinic, "NET-011")
    issues = resources(bundle, "DetectedIssue")
    codes = {i["code"]["coding"][0]["code"] for i in issues}
    assert "reduced-dose" in codes
    reduced = next(i for i in issues if i["code"]["coding"][0]["code"] == "reduced-dose")
    assert "prrt-3 recorded as 3.7 GBq" in reduced["detail"]
    assert reduced["detail"].endswith("L3")  # the rule's source id
    assert reduced["implicated"][0]["reference"].startswith("CarePlan/")
    held = resources(export(clinic, "NET-005"), "DetectedIssue")
    assert any(i["severity"] == "high" for i in held)


@freeze_time(TODAY)
def test_records_become_administrations_and_procedures(clinic) -> None:  # type: ignore[no-untyped-def]
    bundle = export(clinic, "NET-011")
    given = resources(bundle, "MedicationAdministration")
    statuses = {(g["extension"][0].get("valueString"), g["status"]) for g in given}
    assert ("prrt-2", "not-done") in statuses  # skipped
    reduced = next(g for g in given if g["extension"][0].get("valueString") == "prrt-3")
    assert reduced["dosage"]["dose"]["value"] == 3.7
    assert reduced["note"] == [{"text": "reduced after renal toxicity"}]
    assert {p["status"] for p in resources(bundle, "Procedure")} == {"completed"}
    hold = next(
        g for g in resources(export(clinic, "NET-005"), "MedicationAdministration")
        if g["status"] == "on-hold"
    )  # fmt: skip
    assert hold["statusReason"][0]["coding"][0]["code"] == "thrombocytopenia"


@freeze_time(TODAY)
def test_a_corrected_record_goes_out_entered_in_error(clinic) -> None:  # type: ignore[no-untyped-def]
    assert clinic("record", "NET-001", "labs-1", "--date", "2026-11-20").exit_code == 0
    record = _last_record(clinic, "NET-001")
    assert clinic("correct", "NET-001", record, "--reason", "wrong patient").exit_code == 0
    bundle = export(clinic, "NET-001")
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["status"] == "entered-in-error"
    validated(procedure)


def _last_record(prrt, pid: str) -> str:  # type: ignore[no-untyped-def]
    rows = json.loads(prrt("history", pid, "--format", "json").stdout)
    return str(max(int(r["record"]) for r in rows if r.get("record")))


@freeze_time(TODAY)
def test_every_built_in_regimen_exports_valid_resources(prrt, catalog) -> None:  # type: ignore[no-untyped-def]
    for number, regimen in enumerate(catalog.ids()):
        pid = f"R-{number}"
        added = prrt("patient", "add", pid, "--regimen", regimen, "--start", "2026-11-30")
        assert added.exit_code == 0, added.stderr
        bundle = validated(export(prrt, pid))
        for resource in resources(bundle):
            validated(resource)
        requests = resources(bundle, "MedicationRequest")
        assert all(r["medicationCodeableConcept"].get("coding") for r in requests), regimen


@freeze_time(TODAY)
def test_with_name_and_site_settings(clinic, config_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (config_dir / "config.toml").write_text(
        '[site]\nfhir_patient_system = "https://hospital.example.org/mrn"\n'
        'fhir_reason_code = "http://snomed.info/sct|254626006"\n'
        'fhir_reason_text = "Neuroendocrine tumour"\n'
        'clinic_name = "NET Centre"\n'
    )
    bundle = export(clinic, "NET-001", "--with-name")
    (patient,) = resources(bundle, "Patient")
    assert patient["name"] == [{"text": "Ana Example"}]
    assert patient["identifier"][0]["system"] == "https://hospital.example.org/mrn"
    request = resources(bundle, "MedicationRequest")[0]
    assert request["requester"] == {"display": "NET Centre"}
    assert request["reasonCode"] == [
        {
            "text": "Neuroendocrine tumour",
            "coding": [{"system": "http://snomed.info/sct", "code": "254626006"}],
        }
    ]
    (config_dir / "config.toml").write_text('[site]\nfhir_patient_system = "mrn"\n')
    refused = clinic("fhir", "export", "NET-001")
    assert refused.exit_code != 0
    assert "fhir_patient_system" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1


@freeze_time(TODAY)
def test_unknown_patient_and_wrong_options(clinic) -> None:  # type: ignore[no-untyped-def]
    unknown = clinic("fhir", "export", "NET-999")
    assert unknown.exit_code == 3
    assert "NET-999" in unknown.stderr
    assert clinic("fhir", "export").exit_code == 2
    assert clinic("fhir", "export", "--all").exit_code == 2
    assert clinic("fhir", "export", "NET-001", "--out", "x").exit_code == 2


@freeze_time(TODAY)
def test_bulk_export_writes_private_ndjson_per_type(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "bulk"
    result = clinic("fhir", "export", "--all", "--out", str(folder))
    assert result.exit_code == 0, result.stderr
    assert "12 Patient" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()[1:]) <= 80  # the counts
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        f"{t}.ndjson" for t in ("Patient", "CarePlan", "MedicationRequest", "ServiceRequest",
                                "MedicationAdministration", "Procedure", "DetectedIssue")
    )  # fmt: skip
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for line in path.read_text().splitlines():
            resource = validated(json.loads(line))
            assert resource["resourceType"] == path.stem
    patients = (folder / "Patient.ndjson").read_text().splitlines()
    assert len(patients) == 12
    assert "Ana Example" not in "".join(patients)
    single = resources(export(clinic, "NET-002"))
    bulk = {json.loads(line)["id"] for p in folder.iterdir() for line in p.read_text().splitlines()}
    assert {r["id"] for r in single} <= bulk


@freeze_time(TODAY)
def test_round_trip_through_bundles_gives_the_same_records(clinic, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = str(tmp_path / "other.db")
    roster = str(SAMPLES / "roster.csv")
    assert run("--db", target, "import", "roster", "--create", roster).exit_code == 0
    for pid in PATIENTS:
        path = tmp_path / f"{pid}.json"
        assert clinic("fhir", "export", pid, "-o", str(path)).exit_code == 0
        done = run("--db", target, "fhir", "import", str(path))
        assert done.exit_code == 0, done.stderr
    assert run("--db", target, "export", "doses").stdout == clinic("export", "doses").stdout


@freeze_time(TODAY)
def test_round_trip_through_bulk_ndjson(clinic, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "bulk"
    assert clinic("fhir", "export", "--all", "--out", str(folder)).exit_code == 0
    both = tmp_path / "given.ndjson"
    both.write_text(
        (folder / "MedicationAdministration.ndjson").read_text()
        + (folder / "Procedure.ndjson").read_text()
    )
    target = str(tmp_path / "other.db")
    roster = str(SAMPLES / "roster.csv")
    assert run("--db", target, "import", "roster", "--create", roster).exit_code == 0
    dry = run("--db", target, "fhir", "import", str(both), "--dry-run")
    assert dry.exit_code == 0
    assert "would import 88 records" in dry.stdout
    assert run("--db", target, "export", "doses").stdout.count("\n") == 1  # the header alone
    done = run("--db", target, "fhir", "import", str(both))
    assert done.exit_code == 0, done.stderr
    assert run("--db", target, "export", "doses").stdout == clinic("export", "doses").stdout
    again = run("--db", target, "fhir", "import", str(both))
    assert "imported 0 records; 88 already stored" in again.stdout


def hospital_dose(pid: str, day: str, drug: dict[str, Any], dose: dict[str, Any] | None) -> str:
    """A MedicationAdministration as a hospital's system sends it: no prrt extension."""
    made: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "medicationCodeableConcept": drug,
        "subject": {"identifier": {"system": "urn:prrt:patient", "value": pid}},
        "effectiveDateTime": day,
    }
    if dose is not None:
        made["dosage"] = {"dose": dose}
    return json.dumps(made)


ATC_LUTATHERA = {"coding": [{"system": "http://www.whocc.no/atc", "code": "V10XX04"}]}
GBQ = {"value": 7.4, "unit": "GBq", "system": "http://unitsofmeasure.org", "code": "GBq"}


@freeze_time(TODAY)
def test_hospital_doses_match_by_code_or_text(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # NET-003 (Lutathera from 2026-09-23): dose 2 is planned 2026-11-18.
    lines = [
        hospital_dose("net-003", "2026-11-19", ATC_LUTATHERA, GBQ),
        hospital_dose(
            "NET-003", "2026-11-19", {"text": "octreotide LAR 30 mg"}, {"value": 30, "unit": "mg"}
        ),
    ]
    path = tmp_path / "given.ndjson"
    path.write_text(lines[0] + "\n")
    done = clinic("fhir", "import", str(path))
    assert done.exit_code == 0, done.stderr
    assert "imported 1 records" in done.stdout
    stored = clinic("export", "doses").stdout
    assert "NET-003,prrt-2,2026-11-19,7.4 GBq" in stored
    path.write_text(lines[1] + "\n")
    unknown_drug = clinic("fhir", "import", str(path))
    assert unknown_drug.exit_code == 2
    assert "line 1: medicationCodeableConcept" in unknown_drug.stderr
    text = hospital_dose(
        "NET-003", "2026-11-19", {"text": "Octreotide LAR"}, {"value": 30, "unit": "mg"}
    )
    path.write_text(text + "\n")
    assert clinic("fhir", "import", str(path)).exit_code == 0
    assert "NET-003,ssa-2,2026-11-19,30 mg" in clinic("export", "doses").stdout


@freeze_time(TODAY)
def test_guards_refuse_as_import_doses_and_override_passes(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # NET-010's dose 2 is planned 2026-12-15: on 2026-11-23 it is far before its window.
    early = json.loads(hospital_dose("NET-010", "2026-11-20", ATC_LUTATHERA, GBQ))
    early["extension"] = [{"url": "urn:prrt:fhir:event", "valueString": "prrt-2"}]
    path = tmp_path / "early.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": early}]}))  # fmt: skip
    before = clinic("export", "doses").stdout
    refused = clinic("fhir", "import", str(path))
    assert refused.exit_code != 0
    assert "entry 1" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert clinic("export", "doses").stdout == before
    early["extension"].append({"url": "urn:prrt:fhir:override", "valueString": "tumour board"})
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": early}]}))  # fmt: skip
    passed = clinic("fhir", "import", str(path))
    assert passed.exit_code == 0, passed.stderr
    assert (
        "NET-010,prrt-2,2026-11-20,7.4 GBq,,1,given,tumour board"
        in clinic("export", "doses").stdout
    )


BAD = {
    "not-json": ("{ nope", "is not JSON"),
    "other-type": ('{"resourceType": "Patient", "id": "x"}', "is not a MedicationAdministration"),
    "unknown-patient": (
        hospital_dose("NET-404", "2026-11-19", ATC_LUTATHERA, GBQ),
        "unknown patient",
    ),
    "future": (hospital_dose("NET-003", "2026-12-01", ATC_LUTATHERA, GBQ), "future"),
    "no-dose": (hospital_dose("NET-003", "2026-11-19", ATC_LUTATHERA, None), "dosage.dose"),
    "bad-date": (hospital_dose("NET-003", "2026-13-01", ATC_LUTATHERA, GBQ), "effectiveDateTime"),
    "bad-status": (
        hospital_dose("NET-003", "2026-11-19", ATC_LUTATHERA, GBQ).replace(
            "completed", "in-progress"
        ),
        "status",
    ),
}


@freeze_time(TODAY)
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_and_changes_nothing(clinic, tmp_path: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    text, said = BAD[case]
    path = tmp_path / "in.ndjson"
    path.write_text(text + "\n")
    before = clinic("export", "doses").stdout
    result = clinic("fhir", "import", str(path))
    assert result.exit_code in (2, 3, 4), result.stderr
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert clinic("export", "doses").stdout == before


@freeze_time(TODAY)
def test_a_bundle_of_100_mb_is_refused_before_reading(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # a sparse file: nothing is read to refuse it
    result = clinic("fhir", "import", str(path))
    assert result.exit_code == 2
    assert "100 MB" in result.stderr
    assert "split" in result.stderr


@freeze_time(TODAY)
def test_entered_in_error_resources_are_left_out(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wrong = hospital_dose("NET-003", "2026-11-19", ATC_LUTATHERA, GBQ).replace(
        '"completed"', '"entered-in-error"'
    )
    path = tmp_path / "in.ndjson"
    path.write_text(wrong + "\n")
    result = clinic("fhir", "import", str(path))
    assert result.exit_code == 0
    assert "imported 0 records" in result.stdout
    assert "1 entered-in-error left out" in result.stdout


def test_a_regimen_file_with_an_unknown_code_system_is_refused() -> None:
    from schedule.domain.errors import RegimenFileError
    from schedule.domain.regimen_file import parse_regimen

    text = (Path(__file__).parent.parent / "schedule/domain/regimens/lanreotide.toml").read_text()
    broken = text.replace("[codes.dose]\natc =", "[codes.dose]\nndc =")
    with pytest.raises(RegimenFileError, match="ndc"):
        parse_regimen(broken, "lanreotide.toml")


def _mutated(path: str, value: Any) -> str:
    resource = json.loads(hospital_dose("NET-003", "2026-11-19", ATC_LUTATHERA, GBQ))
    *parents, last = path.split(".")
    node = resource
    for part in parents:
        node = node[part]
    node[last] = value
    return json.dumps(resource)


WRONG_TYPES = [
    ("status", 5),
    ("subject", "NET-003"),
    ("subject.identifier", ["NET-003"]),
    ("effectiveDateTime", 20261119),
    ("dosage", []),
    ("dosage.dose.value", "7.4"),
    ("dosage.dose.unit", 7),
    ("medicationCodeableConcept", "Lutathera"),
    ("medicationCodeableConcept.coding", {"code": "V10XX04"}),
    ("extension", {"url": "urn:prrt:fhir:event"}),
    ("extension", [{"url": "urn:prrt:fhir:event", "valueString": 2}]),
    ("extension", [{"url": "urn:prrt:fhir:course", "valueInteger": True}]),
    ("note", "given late"),
    ("statusReason", [{"coding": [{"system": "urn:prrt:toxicity", "code": "sunburn"}]}]),
    ("identifier", "7"),
]


@freeze_time(TODAY)
@pytest.mark.parametrize(("path", "value"), WRONG_TYPES)
def test_elements_of_the_wrong_type_are_refused_by_name(
    clinic, tmp_path: Path, path: str, value: Any
) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "in.ndjson"
    file.write_text(_mutated(path, value) + "\n")
    result = clinic("fhir", "import", str(file))
    assert result.exit_code == 2, result.stderr
    assert "internal error" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.split(".")[0] in result.stderr


@freeze_time(TODAY)
def test_the_readmes_example_bundle_is_what_prrt_writes(prrt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert prrt("import", "roster", str(SAMPLES / "roster.csv")).exit_code == 0
    assert prrt("import", "doses", str(SAMPLES / "doses.csv")).exit_code == 0
    made = tmp_path / "NET-012.json"
    assert prrt("fhir", "export", "NET-012", "--as-of", TODAY, "-o", str(made)).exit_code == 0
    shipped = Path(__file__).parent.parent / "docs" / "fhir" / "NET-012.json"
    assert json.loads(made.read_text()) == json.loads(shipped.read_text())


@freeze_time(TODAY)
def test_a_patient_whose_calendar_cannot_be_computed_is_left_out_of_the_bulk_export(
    clinic, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import add_broken_course

    add_broken_course(db_url)
    folder = tmp_path / "bulk"
    result = clinic("fhir", "export", "--all", "--out", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "prrt: warning: BAD was left out: a course cannot be computed from what is stored "
        "(a date out of range)\n"
    )
    patients = [json.loads(line) for line in (folder / "Patient.ndjson").read_text().splitlines()]
    assert sorted(p["identifier"][0]["value"] for p in patients) == PATIENTS


@freeze_time(TODAY)
def test_a_lab_procedure_without_event_is_the_nearest_blood_test_waiting(
    clinic, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    taken = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"text": "Blood count"},
        "subject": {"identifier": {"system": "urn:prrt:patient", "value": "NET-001"}},
        "performedDateTime": "2026-11-20",
    }
    path = tmp_path / "labs.ndjson"
    path.write_text(json.dumps(taken) + "\n")
    done = clinic("fhir", "import", str(path))
    assert done.exit_code == 0, done.stderr
    assert "NET-001,labs-1,2026-11-20,,,1,given" in clinic("export", "doses").stdout


@freeze_time(TODAY)
def test_a_dose_of_a_drug_whose_doses_are_all_recorded_is_refused(clinic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # NET-011 has had its four Lutathera doses (one skipped, three given).
    path = tmp_path / "given.ndjson"
    path.write_text(hospital_dose("NET-011", "2026-11-20", ATC_LUTATHERA, GBQ) + "\n")
    refused = clinic("fhir", "import", str(path))
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"prrt: {path}: line 1: medicationCodeableConcept: every dose of this drug is already "
        "recorded; correct a record with its record number, or name the event in the "
        "extension urn:prrt:fhir:event\n"
    )
