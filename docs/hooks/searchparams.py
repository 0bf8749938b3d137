"""mkdocs hook: replace ``<!-- searchparams: Type -->`` by the search parameters the server declares for Type.

The table comes from ``GET /v4.3.0/metadata`` of the app itself (a throwaway in-process store, no NLP), i.e. from
the handler registry, so the reference pages cannot drift from what the server accepts.
"""
from __future__ import annotations

import functools
from pathlib import Path
import re
import sys

MARKER = re.compile(r"^<!--\s*searchparams:\s*(?P<type>[A-Za-z]+)\s*-->[ \t]*$", re.M)
ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def capability_statement() -> dict:
    """The CapabilityStatement the app serves."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app({"CODOC_ENV": "testing", "CODOC_MONGO_URI": "mongomock://", "CODOC_NLP": "off",
                      "CODOC_CREATE_INDEXES": False, "CODOC_MONGO_DB": "docs_build"})
    response = app.test_client().get("/v4.3.0/metadata")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def search_params(resource_type: str, statement: dict | None = None) -> list[dict]:
    """The declared ``searchParam`` entries of one type. :raises KeyError: the type is not served."""
    statement = statement or capability_statement()
    for resource in statement["rest"][0]["resource"]:
        if resource["type"] == resource_type:
            return resource.get("searchParam", [])
    raise KeyError(resource_type)


def table(resource_type: str, statement: dict | None = None) -> str:
    """A Markdown table of the search parameters of ``resource_type``."""
    rows = ["| parameter | type | meaning |", "|---|---|---|"]
    for param in search_params(resource_type, statement):
        meaning = " ".join(param.get("documentation", "").split()).replace("|", "\\|")
        rows.append(f"| `{param['name']}` | {param['type']} | {meaning} |")
    return "\n".join(rows)


def render(markdown: str, statement: dict | None = None) -> str:
    return MARKER.sub(lambda match: table(match["type"], statement), markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return render(markdown)
