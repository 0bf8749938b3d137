"""The README's Quick Start against a real `codoc run`: gunicorn + the embedded nx-27017 store in a data dir."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fhirstore.embedded import free_port

pytestmark = pytest.mark.wire
CODOC = str(Path(sys.executable).with_name("codoc"))


def start(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CODOC_PORT": str(port), "CODOC_DATA_DIR": str(data_dir), "CODOC_ENV": "development",
           "CODOC_NLP": "off", "CODOC_TERMINOLOGY_AUTOLOAD": "false"}
    env.pop("CODOC_MONGO_URI", None)
    process = subprocess.Popen([CODOC, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v4.3.0/metadata", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("codoc run did not answer /metadata: " + process.stderr.read().decode()[-2000:])


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
    process.wait(timeout=30)


def test_quick_start_and_data_survive_a_restart(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}/v4.3.0"
    server = start(tmp_path, port)
    try:
        metadata = requests.get(f"{base}/metadata")
        assert metadata.json()["fhirVersion"] == "4.3.0"
        created = requests.post(f"{base}/patient/", json={
            "resourceType": "Patient", "name": [{"family": "Dupont", "given": ["Jean"]}],
            "gender": "male", "birthDate": "1980-01-01"}, headers={"Content-Type": "application/fhir+json"})
        assert created.status_code == 201
        patient_id = created.json()["id"]
        read = requests.get(f"{base}/patient/{patient_id}/")
        assert read.status_code == 200 and read.json()["name"][0]["family"] == "Dupont"
        assert requests.get(f"{base}/patient/").status_code == 405
    finally:
        stop(server)
    assert not (tmp_path / "nx-27017.pid").exists() or subprocess.run(
        ["pgrep", "-f", f"nx-27017.*{tmp_path}"], capture_output=True).returncode != 0, "embedded store left running"
    server = start(tmp_path, port)
    try:
        again = requests.get(f"{base}/Patient/{patient_id}")
        assert again.status_code == 200 and again.json()["meta"]["versionId"] == "1"
    finally:
        stop(server)
