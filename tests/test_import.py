"""`codoc import` and `codoc demo-data` as an operator runs them, checked over HTTP: NDJSON (plain and gzipped),
Bundles (Synthea style), rejects, idempotent re-runs, dry runs, filters."""
from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import cli
from tests.conftest import BASE

pytestmark = pytest.mark.wire
CLI = str(Path(__file__).resolve().parent.parent / "cli.py")  # this tree's, whatever the venv's ``codoc`` points to
ORG_SYSTEM = "https://chu.example/finess"


@pytest.fixture
def backend():
    return "wire"  # the command opens its own connection: it needs a store server


@pytest.fixture
def codoc(settings, monkeypatch, tmp_path):
    """``codoc …`` in this process on the test's database, from the test's temp dir; returns the exit status."""
    for key, value in settings.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> int:
        return cli.main(list(args))
    return run


def write_ndjson(path: Path, lines: list) -> Path:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def patient(pid: str, family: str = "Martin", **more) -> dict:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family}], **more}


def observation(oid: str, subject: str) -> dict:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
            "subject": {"reference": subject}, "valueQuantity": {"value": 13.50, "unit": "g/dL"}}


def rejects_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def version(client, reference: str) -> str:
    response = client.get(f"{BASE}/{reference}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["meta"]["versionId"]


def test_ndjson_good_and_bad_lines(codoc, client, tmp_path, capsys):
    source = write_ndjson(tmp_path / "extract.ndjson", [
        patient("imp-1"),
        '{"resourceType": "Patient", "id": "imp-2", "name": [{"family": "Secretname"}]',  # truncated
        patient("imp-3", "Confidentiel", gender="x"),
        {"resourceType": "Practitioner", "id": "dr-1"},
        {"resourceType": "Practitioner", "id": "dr-2"},
        observation("imp-obs-1", "Patient/imp-1"),
        "",
        {"id": "no-type"},
        {"resourceType": "Patient", "id": ["not", "a", "string"]},
    ])
    assert codoc("import", str(source), "--rejects", str(tmp_path / "rejects.ndjson")) == 1
    out = capsys.readouterr().out
    assert "loaded 2 (2 created, 0 updated), 0 unchanged, 4 rejected" in out
    assert out.count("Practitioner") == 1 and "skipped 2 Practitioner: not hosted by this server" in out
    assert str(tmp_path / "rejects.ndjson") in out
    assert version(client, "Patient/imp-1") == "1" and version(client, "Observation/imp-obs-1") == "1"
    assert client.get(f"{BASE}/Observation/imp-obs-1").get_json()["valueQuantity"]["value"] == 13.50
    assert client.get(f"{BASE}/Patient/imp-3").status_code == 404
    rows = sorted(rejects_of(tmp_path / "rejects.ndjson"), key=lambda r: r["line"])  # in the order refused
    assert [(r["file"], r["line"], r["status"]) for r in rows] == [(str(source), 2, 400), (str(source), 3, 400),
                                                                   (str(source), 8, 400), (str(source), 9, 400)]
    assert rows[1]["resourceType"] == "Patient"
    assert rows[1]["outcome"]["issue"][0]["expression"] == ["Patient.gender"]
    assert all(r["outcome"]["resourceType"] == "OperationOutcome" for r in rows)
    written = (tmp_path / "rejects.ndjson").read_text()
    assert "Secretname" not in written and "Confidentiel" not in written  # where it was, never what it held


def test_gzipped_ndjson_loads_and_a_clean_run_exits_0_without_rejects_file(codoc, client, tmp_path, capsys):
    source = write_ndjson(tmp_path / "Patient.ndjson.gz", [patient(f"gz-{n}") for n in range(3)])
    assert codoc("import", str(source)) == 0
    assert "loaded 3 (3 created, 0 updated), 0 unchanged, 0 rejected" in capsys.readouterr().out
    assert version(client, "Patient/gz-2") == "1"
    assert not (tmp_path / "codoc-import-rejects.ndjson").exists()


def synthea_like(tmp_path: Path) -> tuple[str, str, str]:
    """Two patient Bundles read before the organizations' Bundle they reference (a file named to sort last)."""
    folder = tmp_path / "synthea"
    folder.mkdir()
    pat, obs, org = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    (folder / "a_patient.json").write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{pat}", "request": {"method": "POST", "url": "Patient"},
         "resource": {"resourceType": "Patient", "name": [{"family": "Urn"}],
                      "managingOrganization": {"reference": f"Organization?identifier={ORG_SYSTEM}|330000001"}}},
        {"fullUrl": f"urn:uuid:{obs}", "request": {"method": "POST", "url": "Observation"},
         "resource": {**observation("ignored", f"urn:uuid:{pat}"), "id": "ignored"}},
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "request": {"method": "POST", "url": "Claim"},
         "resource": {"resourceType": "Claim", "patient": {"reference": f"urn:uuid:{pat}"}}},
        {"request": {"method": "PUT", "url": "Patient/put-1"},
         "resource": {"resourceType": "Patient", "id": "put-1",
                      "managingOrganization": {"reference": f"Organization/{org}"}}},
    ]}))
    organization = {"resourceType": "Organization", "name": "CHU",
                    "identifier": [{"system": ORG_SYSTEM, "value": "330000001"}]}
    found_again = {"method": "POST", "url": "Organization", "ifNoneExist": f"identifier={ORG_SYSTEM}|330000001"}
    by_ipp = {"resourceType": "Patient", "identifier": [{"system": "https://chu.example/ipp", "value": "IPP-9"}]}
    (folder / "z_organizations.json").write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{org}", "resource": organization, "request": found_again},
        {"resource": by_ipp, "request": {"method": "PUT", "url": "Patient?identifier=https://chu.example/ipp|IPP-9"}},
        {"request": {"method": "DELETE", "url": "Patient/put-1"}}]}))
    return pat, obs, org


def test_a_folder_of_bundles_with_urn_uuid_and_references_to_a_later_file(codoc, client, tmp_path, capsys):
    pat, obs, org = synthea_like(tmp_path)
    assert codoc("import", str(tmp_path / "synthea")) == 0
    out = capsys.readouterr().out
    assert "loaded 5 (5 created, 0 updated), 0 unchanged, 0 rejected" in out
    assert "deferred to a later pass" in out and "skipped 1 Claim: not hosted by this server" in out
    assert "skipped 1 Bundle entries of method DELETE" in out  # an import never deletes
    observation_read = client.get(f"{BASE}/Observation/{obs}").get_json()  # a urn:uuid fullUrl gives the id
    assert observation_read["subject"] == {"reference": f"Patient/{pat}"}
    patient_read = client.get(f"{BASE}/Patient/{pat}").get_json()
    assert patient_read["managingOrganization"] == {"reference": f"Organization/{org}"}  # conditional, resolved
    assert client.get(f"{BASE}/Patient/put-1").get_json()["managingOrganization"]["reference"] == \
        f"Organization/{org}"
    assert client.get(f"{BASE}/Patient?identifier=https://chu.example/ipp|IPP-9").get_json()["total"] == 1


def test_a_second_run_writes_nothing_and_a_changed_resource_gets_one_new_version(codoc, client, tmp_path, capsys):
    pat, obs, org = synthea_like(tmp_path)
    extract = write_ndjson(tmp_path / "synthea" / "b.ndjson", [patient("re-1"), observation("re-obs", "Patient/re-1")])
    assert codoc("import", str(tmp_path / "synthea")) == 0
    capsys.readouterr()
    assert codoc("import", str(tmp_path / "synthea")) == 0
    assert "loaded 0 (0 created, 0 updated), 7 unchanged, 0 rejected" in capsys.readouterr().out
    for reference in (f"Patient/{pat}", f"Observation/{obs}", f"Organization/{org}", "Patient/put-1", "Patient/re-1"):
        assert version(client, reference) == "1"
    write_ndjson(extract, [patient("re-1", "Martin-Durand"), observation("re-obs", "Patient/re-1")])
    assert codoc("import", str(extract)) == 0
    assert "loaded 1 (0 created, 1 updated), 1 unchanged" in capsys.readouterr().out
    assert version(client, "Patient/re-1") == "2" and version(client, "Observation/re-obs") == "1"


def test_a_reference_that_never_resolves_is_a_reject(codoc, client, tmp_path, capsys):
    source = write_ndjson(tmp_path / "orphans.ndjson", [observation("orphan", "Patient/nobody"), patient("fine")])
    assert codoc("import", str(source), "--rejects", "r.ndjson") == 1
    assert "loaded 1 (1 created, 0 updated), 0 unchanged, 1 rejected" in capsys.readouterr().out
    [row] = rejects_of(tmp_path / "r.ndjson")
    assert (row["line"], row["status"], row["outcome"]["issue"][0]["code"]) == (1, 422, "business-rule")
    assert "Patient/nobody" in row["outcome"]["issue"][0]["diagnostics"]
    assert client.get(f"{BASE}/Observation/orphan").status_code == 404


def test_dry_run_validates_and_writes_nothing(codoc, client, tmp_path, capsys):
    source = write_ndjson(tmp_path / "x.ndjson", [patient("dry-1"), patient("dry-2", gender="x")])
    assert codoc("import", "--dry-run", str(source), "--rejects", "r.ndjson") == 1
    assert "dry run: 1 valid, 0 unchanged, 1 rejected" in capsys.readouterr().out
    assert client.get(f"{BASE}/Patient/dry-1").status_code == 404
    assert [r["line"] for r in rejects_of(tmp_path / "r.ndjson")] == [2]


def test_type_and_since_filters(codoc, client, tmp_path, capsys):
    source = write_ndjson(tmp_path / "x.ndjson", [
        patient("f-old", meta={"lastUpdated": "2020-01-01T00:00:00Z"}),
        patient("f-new", meta={"lastUpdated": "2024-06-01T10:00:00+02:00"}),
        observation("f-obs", "Patient/f-new")])
    assert codoc("import", str(source), "--type", "Patient", "--since", "2024-01-01T00:00:00Z") == 0
    assert "2 left out by --type/--since" in capsys.readouterr().out
    assert version(client, "Patient/f-new") == "1"
    assert client.get(f"{BASE}/Patient/f-old").status_code == 404
    assert client.get(f"{BASE}/Observation/f-obs").status_code == 404
    assert codoc("import", str(source), "--type", "Practitioner") == 2


def test_a_missing_path_is_an_error_before_anything_is_written(codoc, client, tmp_path):
    source = write_ndjson(tmp_path / "x.ndjson", [patient("missing-1")])
    assert codoc("import", str(source), str(tmp_path / "nowhere")) == 2
    assert client.get(f"{BASE}/Patient/missing-1").status_code == 404


def test_demo_data_is_deterministic_and_loads_the_same_resources_from_either_format(codoc, client, tmp_path,
                                                                                    capsys):
    assert codoc("demo-data", "--patients", "4", "--out", "one", "--no-load") == 0
    assert codoc("demo-data", "--patients", "4", "--out", "two") == 0
    out = capsys.readouterr().out
    assert "0 rejected" in out
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes() for f in files)
    assert codoc("import", str(tmp_path / "one" / "ndjson")) == 0  # the NDJSON holds the Bundles' resources
    assert "loaded 0 (0 created, 0 updated)" in capsys.readouterr().out
    patients = [json.loads(line) for line in (tmp_path / "one" / "ndjson" / "Patient.ndjson").read_text().splitlines()]
    ipp = next(i for i in patients[0]["identifier"] if i["use"] == "official")
    assert ipp["system"] == "urn:oid:1.2.250.1.71.4.2.1"
    found = client.get(f"{BASE}/Patient?identifier={ipp['system']}|{ipp['value']}").get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [patients[0]["id"]]
    stay = client.get(f"{BASE}/Encounter?patient={patients[0]['id']}&_count=50").get_json()
    movements = [e["resource"] for e in stay["entry"] if "partOf" in e["resource"]]
    assert movements and all(m["serviceProvider"]["reference"].startswith("Organization/") for m in movements)
    letters = client.get(f"{BASE}/DocumentReference?patient={patients[0]['id']}").get_json()["entry"]
    text = base64.b64decode(letters[0]["resource"]["content"][0]["attachment"]["data"]).decode()
    assert text.startswith("Compte rendu d'hospitalisation")
    tree = client.get(f"{BASE}/Organization?name=CHU").get_json()
    assert tree["total"] == 1


def test_codoc_import_as_a_process_prints_plain_progress_lines(settings, client, tmp_path):
    source = write_ndjson(tmp_path / "Patient.ndjson", [patient(f"proc-{n}") for n in range(5)] + ["{"])
    env = {**os.environ, **{k: str(v) for k, v in settings.items()}}
    done = subprocess.run([sys.executable, CLI, "import", str(source)], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Patient.ndjson: 6/6 res (" in done.stderr  # not a terminal: lines, not a bar
    assert "loaded 5 (5 created, 0 updated), 0 unchanged, 1 rejected" in done.stdout
    assert [r["line"] for r in rejects_of(tmp_path / "codoc-import-rejects.ndjson")] == [6]
    assert version(client, "Patient/proc-4") == "1"


@pytest.mark.nlp
@pytest.mark.settings(CODOC_NLP="on")
def test_imported_notes_get_their_phenotypes_unless_no_nlp(codoc, client, tmp_path, nlp_engine):
    note = base64.b64encode("Patient hypertendu (HTA), diabétique de type 2 sous metformine.".encode()).decode()

    def letter(did: str) -> dict:
        return {"resourceType": "DocumentReference", "id": did, "status": "current",
                "subject": {"reference": "Patient/nlp-1"},
                "content": [{"attachment": {"contentType": "text/plain", "data": note}}]}
    write_ndjson(tmp_path / "a.ndjson", [patient("nlp-1"), letter("nlp-doc-1")])
    write_ndjson(tmp_path / "b.ndjson", [letter("nlp-doc-2")])
    assert codoc("import", str(tmp_path / "a.ndjson")) == 0
    assert codoc("import", str(tmp_path / "b.ndjson"), "--no-nlp") == 0

    def codes(did: str) -> set[str]:
        found = client.get(f"{BASE}/phenotype/?derived-from=DocumentReference/{did}&_count=100").get_json()
        return {e["resource"]["code"]["coding"][0]["code"].split(".")[0] for e in found.get("entry", [])}
    assert {"I10", "E11"} <= codes("nlp-doc-1")
    assert codes("nlp-doc-2") == set()
