"""A whole hospital as test data (tests/data/hospital/hospital.json) and helpers to load and query it over HTTP."""
from __future__ import annotations

import copy
import json
import threading
import uuid
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import pytest

from app import create_app
from tests.conftest import BASE

HOSPITAL = json.loads((Path(__file__).parent / "data" / "hospital" / "hospital.json").read_text())["resources"]
LEVEL_SYSTEM = "https://fhir.codoc.fr/CodeSystem/organization-level"
IPP = "https://chu-bordeaux.example/fhir/sid/ipp"
#: Settings for tests that send more requests than the anonymous hourly limit.
NO_RATE_LIMIT = {"CODOC_RATELIMIT_ENABLED": False}


def resources(resource_type: str | None = None) -> list[dict]:
    """Deep copies of the hospital's resources (of one type)."""
    return [copy.deepcopy(r) for r in HOSPITAL if resource_type in (None, r["resourceType"])]


def resource(resource_id: str) -> dict:
    return next(copy.deepcopy(r) for r in HOSPITAL if r["id"] == resource_id)


def load(client, only: set[str] | None = None) -> None:
    """PUT the hospital's resources in file order (each with its own id, so references hold)."""
    for item in HOSPITAL:
        if only is None or item["id"] in only:
            response = client.put(f"{BASE}/{item['resourceType']}/{item['id']}", json=item)
            assert response.status_code == 201, response.get_data(as_text=True)


def create(client, resource_type: str, body: dict, status: int = 201) -> dict:
    response = client.post(f"{BASE}/{resource_type}", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def put(client, body: dict, status: int | None = None):
    response = client.put(f"{BASE}/{body['resourceType']}/{body['id']}", json=body)
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)
    return response


def search(client, resource_type: str, query: str, status: int = 200) -> dict:
    response = client.get(f"{BASE}/{resource_type}?{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def ids(bundle: dict, mode: str = "match") -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == mode}


def follow(client, url: str) -> dict:
    """GET an absolute link of a Bundle with the test client."""
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def link(bundle: dict, relation: str) -> str | None:
    return next((item["url"] for item in bundle.get("link", []) if item["relation"] == relation), None)


def race(writers: list[Callable[[], None]], reader: Callable[[threading.Event], None], readers: int = 2) -> None:
    """Run every writer in its own thread to its end while ``readers`` threads run ``reader(stop)``, then stop them."""
    stop = threading.Event()
    reading = [threading.Thread(target=reader, args=(stop,)) for _ in range(readers)]
    writing = [threading.Thread(target=writer) for writer in writers]
    for thread in reading + writing:
        thread.start()
    for thread in writing:
        thread.join()
    stop.set()
    for thread in reading:
        thread.join()


@pytest.fixture(scope="module", params=["mongomock", pytest.param("wire", marks=pytest.mark.wire)])
def hospital_app(request):
    """One app per module and backend with the whole hospital loaded: for tests that only read."""
    settings = {"CODOC_ENV": "testing", "CODOC_MONGO_DB": f"test_{uuid.uuid4().hex[:12]}", **NO_RATE_LIMIT}
    if request.param == "wire":
        settings["CODOC_MONGO_URI"] = request.getfixturevalue("wire_server").uri
    app = create_app(settings)
    load(app.test_client())
    return app


@pytest.fixture
def hospital(hospital_app):
    """A client of the loaded hospital (read only: tests must not change it)."""
    return hospital_app.test_client()
