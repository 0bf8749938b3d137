"""The README's Quick Start against a real `codoc run`: gunicorn + the embedded nx-27017 store in a data dir."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from fhirstore.embedded import free_port

pytestmark = pytest.mark.wire
CODOC = str(Path(sys.executable).with_name("codoc"))


def start(data_dir: Path, port: int, stderr=subprocess.PIPE) -> subprocess.Popen:
    env = {**os.environ, "CODOC_PORT": str(port), "CODOC_DATA_DIR": str(data_dir), "CODOC_ENV": "development",
           "CODOC_NLP": "off", "CODOC_TERMINOLOGY_AUTOLOAD": "false"}
    env.pop("CODOC_MONGO_URI", None)
    process = subprocess.Popen([CODOC, "run"], env=env, stdout=subprocess.DEVNULL, stderr=stderr,
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
        ["pgrep", "-f", f"fhirstore.embedded_server.*{tmp_path}"], capture_output=True).returncode != 0, \
        "embedded store left running"
    server = start(tmp_path, port)
    try:
        again = requests.get(f"{base}/Patient/{patient_id}")
        assert again.status_code == 200 and again.json()["meta"]["versionId"] == "1"
    finally:
        stop(server)


def raw_request(port: int, data: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are; returns (status, headers, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_requests_gunicorn_refuses_are_operation_outcomes_and_not_logged(tmp_path):
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log_file:
        server = start(tmp_path / "data", port, stderr=log_file)
        try:
            secret = "Dupont-Secret-Name"
            long_search = f"GET /v4.3.0/Patient?family={secret}{'x' * 9000} HTTP/1.1\r\nHost: a\r\n\r\n"
            cases = {
                414: long_search.encode(),
                400: f"GET /v4.3.0/Patient?family={secret} BOGUS/9\r\n\r\n".encode(),
                431: ("GET /v4.3.0/metadata HTTP/1.1\r\nHost: a\r\n"
                      + "".join(f"X-{n}: {secret}\r\n" for n in range(200)) + "\r\n").encode(),
            }
            for status, data in cases.items():
                got, headers, body = raw_request(port, data)
                assert got == status, body
                assert headers["content-type"].startswith("application/fhir+json")
                outcome = json.loads(body)
                assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["severity"] == "error"
                assert secret not in body.decode()
            # an 8 KB request line is served (gunicorn's default refuses beyond 4 KB)
            within = requests.get(f"http://127.0.0.1:{port}/v4.3.0/Patient", params={"family": "x" * 7000})
            assert within.status_code == 200 and within.json()["resourceType"] == "Bundle"
        finally:
            stop(server)
    logged = log_path.read_text(errors="replace")
    assert "Invalid request from ip=" in logged and secret not in logged


def test_make_run_restarts_its_embedded_store_when_it_dies(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}/v4.3.0"
    server = start(tmp_path, port)
    try:
        created = requests.post(f"{base}/Patient", json={"resourceType": "Patient", "name": [{"family": "Survit"}]},
                                headers={"Content-Type": "application/fhir+json"})
        assert created.status_code == 201
        store_pid = int((tmp_path / "nx-27017.pid").read_text().strip())
        os.kill(store_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:  # /readyz says 503 meanwhile, then 200 once the supervisor restarted it
            ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            if ready.status_code == 200 and int((tmp_path / "nx-27017.pid").read_text().strip()) != store_pid:
                break
            assert time.monotonic() < deadline, "the embedded store was not restarted"
            time.sleep(0.5)
        again = requests.get(f"{base}/Patient/{created.json()['id']}")
        assert again.status_code == 200 and again.json()["name"][0]["family"] == "Survit"
    finally:
        stop(server)


def test_a_store_that_does_not_answer_is_one_clear_line_at_start(tmp_path):
    env = {**os.environ, "CODOC_PORT": str(free_port()), "CODOC_ENV": "development", "CODOC_NLP": "off",
           "CODOC_MONGO_URI": f"mongodb://user:pw@127.0.0.1:{free_port()}/?directConnection=true",
           "CODOC_TERMINOLOGY_AUTOLOAD": "false", "CODOC_DATA_DIR": str(tmp_path)}
    result = subprocess.run([CODOC, "run"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no database answers at CODOC_MONGO_URI" in lines[0], result.stderr
    assert "pw@" not in lines[0] and "Traceback" not in result.stderr
