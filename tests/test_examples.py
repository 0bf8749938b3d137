"""The official R4B examples round-trip: POST then GET returns the same content (id and meta aside)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.references import local_references
from tests.conftest import BASE
from tests.samples import MINIMAL

EXAMPLES = sorted((Path(__file__).parent / "data" / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_official_example_round_trips(client, path):
    example = json.loads(path.read_text())
    hosted = set(MINIMAL) - {"Phenotype"}
    for reference in local_references(example):  # referenced resources must exist first (referential integrity)
        ref_type, ref_id = reference.split("/")
        if ref_type in hosted:
            stub = client.put(f"{BASE}/{ref_type}/{ref_id}", json={**MINIMAL[ref_type], "id": ref_id})
            assert stub.status_code in (200, 201), stub.get_data(as_text=True)
    created = client.post(f"{BASE}/{example['resourceType']}", json=example)
    assert created.status_code == 201, created.get_data(as_text=True)
    read = client.get(f"{BASE}/{example['resourceType']}/{created.get_json()['id']}").get_json()

    def content(resource):
        return {k: v for k, v in resource.items() if k not in ("id", "meta")}

    assert content(read) == content(example)
    assert {k: v for k, v in read["meta"].items() if k not in ("versionId", "lastUpdated")} == \
        {k: v for k, v in example.get("meta", {}).items() if k not in ("versionId", "lastUpdated")}


def test_there_is_an_example_for_each_base_type():
    types = {json.loads(p.read_text())["resourceType"] for p in EXAMPLES}
    assert types == set(MINIMAL) - {"Phenotype"}
