"""Bulk Data ``$export`` through HTTP (kick-off, status, manifest, NDJSON files, cancel, scopes, restart of a worker)
and ``codoc export DIR`` with its round trip into an empty store."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import cli
from app import create_app
from handlers.export import FILES
from tests.conftest import BASE, assert_outcome
from tests.hospital_fixtures import HOSPITAL, load
from tests.test_auth import bearer

ROOT = Path(__file__).resolve().parent.parent
ASYNC = {"Prefer": "respond-async"}
AUTH_ON = pytest.mark.settings(CODOC_ALLOW_ANONYMOUS=False)
pytestmark = pytest.mark.settings(CODOC_RATELIMIT_ENABLED=False)
#: Longest a test waits for a job to finish before failing (a wait, not a timing assertion).
WAIT_SECONDS = 60


def local(url: str) -> str:
    """The path (and query) of an absolute URL the server gave, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def kick_off(client, path: str = "/$export", headers: dict | None = None) -> str:
    """Start an export; returns its status URL."""
    response = client.get(BASE + path, headers={**ASYNC, **(headers or {})})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.headers["Content-Location"].startswith("http://localhost/v4.3.0/$export-status/")
    return response.headers["Content-Location"]


def wait(client, status_url: str, headers: dict | None = None) -> dict:
    """Poll the status URL until the manifest comes (202 with X-Progress meanwhile)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        response = client.get(local(status_url), headers=headers or {})
        if response.status_code == 200:
            assert response.content_type == "application/json"
            return response.get_json()
        assert response.status_code == 202, response.get_data(as_text=True)
        assert response.headers["X-Progress"] and response.headers["Retry-After"]
        time.sleep(0.05)
    raise AssertionError(f"the export did not finish within {WAIT_SECONDS} s")


def download(client, manifest: dict, headers: dict | None = None) -> dict[str, list[dict]]:
    """Every file of a manifest, by type; checks each file's type, count and media type."""
    found: dict[str, list[dict]] = {}
    for output in manifest["output"]:
        response = client.get(local(output["url"]), headers=headers or {})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.content_type == "application/fhir+ndjson"
        lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
        assert len(lines) == output["count"] and {r["resourceType"] for r in lines} == {output["type"]}
        found.setdefault(output["type"], []).extend(lines)
    return found


def export(client, path: str = "/$export", headers: dict | None = None) -> dict[str, list[dict]]:
    return download(client, wait(client, kick_off(client, path, headers), headers), headers)


def by_reference(exported: dict[str, list[dict]]) -> dict[str, dict]:
    return {f"{r['resourceType']}/{r['id']}": r for lines in exported.values() for r in lines}


@pytest.fixture
def hospital_client(client):
    load(client)
    return client


@pytest.fixture
def wire_settings(request, wire_server) -> dict:
    """Settings of an app on the nx-27017 server, which other processes (a worker, the command) can open too."""
    values = {"CODOC_ENV": "testing", "CODOC_MONGO_DB": f"test_{uuid.uuid4().hex[:12]}",
              "CODOC_MONGO_URI": wire_server.uri, "CODOC_RATELIMIT_ENABLED": False}
    for marker in request.node.iter_markers("settings"):
        values.update(marker.kwargs)
    return values


@pytest.fixture
def wire_client(wire_settings):
    return create_app(wire_settings).test_client()


# -- kick-off, status, manifest, files --------------------------------------------------------------------------
def test_system_export_serves_every_stored_resource_as_it_is_read(hospital_client):
    status_url = kick_off(hospital_client)
    manifest = wait(hospital_client, status_url)
    assert manifest["request"] == "http://localhost/v4.3.0/$export"
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert manifest["transactionTime"].endswith("Z")
    exported = by_reference(download(hospital_client, manifest))
    assert set(exported) == {f"{r['resourceType']}/{r['id']}" for r in HOSPITAL}
    for reference, resource in exported.items():
        assert hospital_client.get(f"{BASE}/{reference}").get_json() == resource


def test_kick_off_without_prefer_respond_async_is_400(client):
    assert_outcome(client.get(f"{BASE}/$export"), 400, "invalid")
    assert_outcome(client.get(f"{BASE}/Patient/$export"), 400, "invalid")


@pytest.mark.parametrize("query", ["_type=Patient,Unicorn", "_type=Phenotype", "_since=yesterday",
                                   "_outputFormat=text/csv", "_typeFilter=Patient%3Fgender%3Dmale"])
def test_kick_off_with_a_bad_or_unsupported_parameter_is_400(client, query):
    body = assert_outcome(client.get(f"{BASE}/$export?{query}", headers=ASYNC), 400, "invalid")
    assert query.split("=")[0] in body["issue"][0]["diagnostics"]


def test_lenient_handling_ignores_unsupported_parameters(client):
    response = client.get(f"{BASE}/$export?_typeFilter=x", headers={"Prefer": "respond-async, handling=lenient"})
    assert response.status_code == 202


@pytest.mark.parametrize("output_format", ["application/fhir%2Bndjson", "application/fhir+ndjson",
                                           "application/ndjson", "ndjson"])
def test_ndjson_output_formats_are_accepted(client, output_format):
    assert client.get(f"{BASE}/$export?_outputFormat={output_format}", headers=ASYNC).status_code == 202


def test_type_limits_the_export_to_those_types(hospital_client):
    exported = export(hospital_client, "/$export?_type=Patient,Observation")
    assert set(exported) == {"Patient", "Observation"}
    assert len(exported["Patient"]) == 4 and len(exported["Observation"]) == 4


def test_since_exports_only_what_changed_since_and_never_deleted_resources(hospital_client):
    patient = hospital_client.get(f"{BASE}/Patient/pat-dupont").get_json()
    observation = hospital_client.post(f"{BASE}/Observation", json={
        "resourceType": "Observation", "status": "final", "code": {"text": "poids"}}).get_json()
    time.sleep(0.01)
    since = hospital_client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "male"}
                                 ).get_json()["meta"]["lastUpdated"]
    new_id = hospital_client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "female"}
                                  ).get_json()["id"]
    patient["gender"] = "other"
    assert hospital_client.put(f"{BASE}/Patient/pat-dupont", json=patient).status_code == 200
    assert hospital_client.delete(f"{BASE}/Observation/{observation['id']}").status_code == 204

    changed = export(hospital_client, f"/$export?_since={since.replace('+', '%2B')}")
    ids = {r["id"] for r in changed["Patient"]}
    assert new_id in ids and "pat-dupont" in ids and len(ids) == 3  # the one created at `since` included
    assert "Observation" not in changed
    everything = by_reference(export(hospital_client))
    assert f"Observation/{observation['id']}" not in everything
    assert everything["Patient/pat-dupont"]["gender"] == "other"
    assert everything["Patient/pat-dupont"]["meta"]["versionId"] == "2"


def test_a_second_export_right_after_the_first_returns_the_same_data(hospital_client):
    first, second = export(hospital_client), export(hospital_client)
    assert first == second and sum(len(lines) for lines in second.values()) == len(HOSPITAL)


@pytest.mark.parametrize("path", ["/Patient/$export", "/patient/$export/"])
def test_patient_level_export_serves_the_patient_compartment_types(hospital_client, path):
    exported = export(hospital_client, path)
    assert "Organization" not in exported and "CodeSystem" not in exported
    assert {"Patient", "Encounter", "Observation", "DocumentReference"} <= set(exported)
    assert_outcome(hospital_client.get(f"{BASE}{path}?_type=Organization", headers=ASYNC), 400, "invalid")


@pytest.mark.settings(CODOC_EXPORT_FILE_BYTES=1500)
def test_large_types_are_cut_into_several_files_each_resource_once(hospital_client):
    manifest = wait(hospital_client, kick_off(hospital_client, "/$export?_type=Organization"))
    assert len(manifest["output"]) > 1 and {o["type"] for o in manifest["output"]} == {"Organization"}
    organizations = download(hospital_client, manifest)["Organization"]
    assert sorted(r["id"] for r in organizations) == sorted(r["id"] for r in HOSPITAL
                                                             if r["resourceType"] == "Organization")


def test_delete_on_the_status_url_cancels_and_removes_the_files(hospital_client, store):
    status_url = kick_off(hospital_client)
    manifest = wait(hospital_client, status_url)
    job_id = status_url.rsplit("/", 1)[1]
    assert store.records(FILES).get(f"{job_id}/0") is not None
    response = hospital_client.delete(local(status_url))
    assert response.status_code == 202
    assert_outcome(hospital_client.get(local(status_url)), 404, "not-found")
    for output in manifest["output"]:
        assert_outcome(hospital_client.get(local(output["url"])), 404, "not-found")
    assert all(store.records(FILES).get(f"{job_id}/{n}") is None for n in range(len(manifest["output"]) + 1))
    assert_outcome(hospital_client.delete(local(status_url)), 404, "not-found")


def test_unknown_job_and_unknown_file_are_404(hospital_client):
    assert_outcome(hospital_client.get(f"{BASE}/$export-status/{uuid.uuid4()}"), 404, "not-found")
    manifest = wait(hospital_client, kick_off(hospital_client, "/$export?_type=Patient"))
    job_url = manifest["output"][0]["url"].rsplit("/", 1)[0]
    assert_outcome(hospital_client.get(local(f"{job_url}/99.ndjson")), 404, "not-found")
    assert_outcome(hospital_client.post(f"{BASE}/$export", headers=ASYNC), 405, "not-supported")


def test_capability_statement_and_openapi_declare_export(client):
    rest = client.get(f"{BASE}/metadata").get_json()["rest"][0]
    assert [o["name"] for o in rest["operation"]] == ["export"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert "export" in [o["name"] for o in patient["operation"]]
    paths = client.get(f"{BASE}/openapi.json").get_json()["paths"]
    assert {"/$export", "/Patient/$export", "/$export-status/{job}", "/$export-file/{job}/{file}"} <= set(paths)


# -- tokens and scopes --------------------------------------------------------------------------------------------
@AUTH_ON
def test_export_needs_a_token_and_read_on_every_type(app, client):
    assert_outcome(client.get(f"{BASE}/$export", headers=ASYNC), 401, "login")
    narrow = bearer(app, "system/Patient.read system/Observation.read")
    assert_outcome(client.get(f"{BASE}/$export", headers={**ASYNC, **narrow}), 403, "forbidden")
    assert_outcome(client.get(f"{BASE}/Patient/$export", headers={**ASYNC, **narrow}), 403, "forbidden")
    assert client.get(f"{BASE}/$export", headers={**ASYNC, **bearer(app, "codoc/admin", "admin")}).status_code == 202


@AUTH_ON
def test_files_are_read_with_the_same_token_and_only_by_their_owner_or_an_admin(app, client):
    owner = bearer(app, "system/*.read system/*.write", "owner")
    assert client.put(f"{BASE}/Patient/p1", json={"resourceType": "Patient", "id": "p1"},
                      headers=owner).status_code == 201
    status_url = kick_off(client, headers=owner)
    assert_outcome(client.get(local(status_url)), 401, "login")
    manifest = wait(client, status_url, owner)
    assert manifest["requiresAccessToken"] is True
    file_url = local(manifest["output"][0]["url"])
    assert_outcome(client.get(file_url), 401, "login")
    other = bearer(app, "system/*.read", "someone-else")
    assert_outcome(client.get(file_url, headers=other), 403, "forbidden")
    assert_outcome(client.get(local(status_url), headers=other), 403, "forbidden")
    assert_outcome(client.delete(local(status_url), headers=other), 403, "forbidden")
    assert download(client, manifest, bearer(app, "codoc/admin", "admin"))["Patient"][0]["id"] == "p1"
    assert download(client, manifest, owner)["Patient"][0]["id"] == "p1"


def test_downloads_are_audited_with_the_resources_they_served(hospital_client, store):
    export(hospital_client, "/$export?_type=Patient")
    events = store.search("AuditEvent", {"entity.what.reference": "Patient/pat-dupont"}, limit=100).resources
    assert any((e.get("outcomeDesc") or "").startswith("$export file") for e in events)
    kick_offs = store.search("AuditEvent", {"outcomeDesc": "$export system kick-off: Patient"}, limit=10)
    assert kick_offs.resources and kick_offs.resources[0]["outcome"] == "0"


# -- durability: a worker killed mid-job, then another ----------------------------------------------------------
def start_worker(settings: dict, log_path: Path, pause: float) -> subprocess.Popen:
    """A real ``codoc worker --only export`` process of this worktree on the test's database."""
    env = {**os.environ, "CODOC_ENV": "testing", "CODOC_MONGO_URI": settings["CODOC_MONGO_URI"],
           "CODOC_MONGO_DB": settings["CODOC_MONGO_DB"], "CODOC_EXPORT_FILE_BYTES": "1",
           "CODOC_EXPORT_PAUSE": str(pause), "CODOC_EXPORT_LEASE": "2", "PYTHONPATH": str(ROOT)}
    with open(log_path, "ab") as out:
        return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "worker", "--only", "export"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def exported_so_far(client, status_url: str) -> int:
    response = client.get(local(status_url))
    assert response.status_code == 202, response.get_data(as_text=True)
    progress = response.headers["X-Progress"]
    return int(progress.split(": ")[1].split(" ")[0]) if " of " in progress else 0


@pytest.mark.wire
@pytest.mark.settings(CODOC_EXPORT_IN_PROCESS=False)
def test_a_job_whose_worker_is_killed_mid_job_completes_after_a_restart(wire_settings, wire_client, tmp_path):
    settings, client = wire_settings, wire_client
    created = {client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "female"}).get_json()["id"]
               for _ in range(30)}
    status_url = kick_off(client, "/$export?_type=Patient")
    log_path = tmp_path / "worker.log"
    first = start_worker(settings, log_path, pause=0.3)  # one resource per file, a pause after each
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while exported_so_far(client, status_url) == 0 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        done_before_restart = exported_so_far(client, status_url)
        assert 0 < done_before_restart < len(created), log_path.read_text()[-2000:]
        second = start_worker(settings, log_path, pause=0)
        try:
            manifest = wait(client, status_url)
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    patients = download(client, manifest)["Patient"]
    assert sorted(r["id"] for r in patients) == sorted(created)  # every one, none twice
    assert len(manifest["output"]) == len(created)


@pytest.mark.wire
@pytest.mark.settings(CODOC_EXPORT_IN_PROCESS=False)
def test_a_worker_claims_exactly_the_job_it_read_when_several_wait(wire_settings):
    """A job whose worker died (lease expired) and new jobs waiting: the claim writes the job it read (nx-27017 wrote
    another record when a write's filter held ``$or`` beside ``_id``), and a worker drains them all."""
    app = create_app(wire_settings)
    client = app.test_client()
    client.post(f"{BASE}/Patient", json={"resourceType": "Patient", "gender": "female"})
    urls = [kick_off(client, f"/$export?_type={t}") for t in ("Patient", "Observation", "Encounter")]
    exporter = app.extensions["codoc.registry"].exporter
    first = exporter.jobs.find({}, limit=10)[0]["_id"]  # the one a claim reads first
    assert exporter.jobs.update(first, {"$set": {"lease": 1.0}})  # released long ago: free again
    claimed = exporter._claim()
    assert claimed is not None and claimed["_id"] == first and claimed["status"] == "running"
    others = [j for j in exporter.jobs.find({}, limit=10) if j["_id"] != first]
    assert [(j["status"], "lease" in j) for j in others] == [("accepted", False), ("accepted", False)]
    exporter.run(claimed)
    while exporter.run_next():
        pass
    manifests = [wait(client, url) for url in urls]
    assert [m["request"].split("_type=")[1] for m in manifests] == ["Patient", "Observation", "Encounter"]


# -- codoc export DIR, and its round trip -------------------------------------------------------------------------
@pytest.mark.wire
def test_codoc_export_writes_one_file_per_type_that_loads_back_into_an_empty_store(
        wire_settings, wire_client, tmp_path, monkeypatch, capsys):
    settings, hospital_client = wire_settings, wire_client
    load(hospital_client)
    patient = hospital_client.get(f"{BASE}/Patient/pat-dupont").get_json()
    patient["gender"] = "other"
    assert hospital_client.put(f"{BASE}/Patient/pat-dupont", json=patient).status_code == 200
    deleted = next(r for r in HOSPITAL if r["resourceType"] == "Procedure")["id"]
    assert hospital_client.delete(f"{BASE}/Procedure/{deleted}").status_code == 204
    for key in ("CODOC_ENV", "CODOC_MONGO_URI", "CODOC_MONGO_DB"):
        monkeypatch.setenv(key, settings[key])

    assert cli.main(["export", str(tmp_path / "out")]) == 0
    summary = capsys.readouterr().out
    assert "Patient: 4 resources" in summary and "Procedure: 0 resources" in summary
    files = {p.stem: [json.loads(line) for line in p.read_text().splitlines()]
             for p in (tmp_path / "out").glob("*.ndjson")}
    assert files["Patient"] and files == export(hospital_client) | {"Procedure": []}

    empty = f"test_{uuid.uuid4().hex[:12]}"  # codoc import of the files into an empty database
    monkeypatch.setenv("CODOC_MONGO_DB", empty)
    assert cli.main(["import", str(tmp_path / "out"), "--rejects", str(tmp_path / "rejects.ndjson")]) == 0
    target = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": settings["CODOC_MONGO_URI"],
                         "CODOC_MONGO_DB": empty, "CODOC_RATELIMIT_ENABLED": False}).test_client()
    ordered = [r for lines in files.values() for r in lines]
    for resource in ordered:
        reference = f"{resource['resourceType']}/{resource['id']}"
        source, copy = (c.get(f"{BASE}/{reference}").get_json() for c in (hospital_client, target))
        assert resource["meta"]["versionId"] == source["meta"]["versionId"]  # the current version was exported
        assert {k: v for k, v in copy.items() if k != "meta"} == {k: v for k, v in source.items() if k != "meta"}
    assert len(ordered) == len(HOSPITAL) - 1
    assert target.get(f"{BASE}/Procedure/{deleted}").status_code == 404


@pytest.mark.wire
def test_codoc_export_type_and_since(wire_settings, wire_client, tmp_path, monkeypatch):
    settings = wire_settings
    load(wire_client)
    for key in ("CODOC_ENV", "CODOC_MONGO_URI", "CODOC_MONGO_DB"):
        monkeypatch.setenv(key, settings[key])
    assert cli.main(["export", str(tmp_path), "--type", "Patient", "--since", "2999-01-01"]) == 0
    assert [p.name for p in tmp_path.glob("*.ndjson")] == ["Patient.ndjson"]
    assert (tmp_path / "Patient.ndjson").read_text() == ""
    assert cli.main(["export", str(tmp_path), "--type", "Unicorn"]) == 2
    assert cli.main(["export", str(tmp_path), "--since", "soon"]) == 2
