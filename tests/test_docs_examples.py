"""Every curl, Python and JavaScript example of the docs site runs, page by page, against a live server.

How a page is run (the convention is also told to readers in docs/about-examples.md):

- Each page gets a fresh server: ``create_app`` behind a threaded werkzeug server on a free port, in the development
  profile of ``make run`` (anonymous access allowed), on one embedded nx-27017 store of the session with a database of
  its own (the store is shared so that ``codoc create-client`` in a bash block writes where the server reads), with
  ``CODOC_NLP=off``. A page changes settings with a comment ``<!-- doctest: CODOC_NLP=on CODOC_X=y -->``.
- Its ``bash``, ``python`` and ``javascript`` fenced blocks run in page order (content tabs included, in tab
  order); ``http://localhost:8000`` is rewritten to the test server. Other fences (``json``, ``text``, ``shell``
  for commands of another machine such as ``make run``, ``js`` for the Mongo shell) are shown, not run, and may not
  call the API (checked).
- Bash blocks run with ``set -eo pipefail``; the variables they set (``B``, ``H``, ``PATIENT_ID=$(…)``) carry over to
  the next bash blocks of the page. ``{patient_id}``, ``{encounter_id}``… (``{<lowercase type>_id}``) in a bash block
  are replaced by the id of the last resource of that type created (201) on the page, ``{id}`` by the last one of
  any type. Python and JavaScript blocks are self-contained (they find what they need by identifier).
- Every HTTP request of a block is recorded (a ``curl`` shim on the PATH, a ``requests`` hook, a ``fetch`` hook).
  A comment ``→ 201``, ``→ 409 OperationOutcome``, ``→ 201 or 409`` states an expected status (and resource
  type), in request order; requests not so annotated must answer < 400. Every error must be an OperationOutcome
  served as ``application/fhir+json`` (``/auth/token`` answers RFC 6749 JSON), and a block must exit 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import functools
import importlib.util
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUN = {"bash": "bash", "python": "python", "javascript": "node"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
EXPECT = re.compile(r"→[ \t]*(?P<statuses>\d{3}(?:[ \t]+or[ \t]+\d{3})*)(?:[ \t]+(?P<type>[A-Z][A-Za-z]+))?")
SETTINGS = re.compile(r"^<!--\s*doctest:(?P<settings>.*?)-->", re.S | re.M)
CALLS_API = re.compile(r"\bcurl\b|\brequests\.|\bfetch\(")
BASE = "http://localhost:8000"
BLOCK_TIMEOUT = 60

CURL_SHIM = r'''#!{python} -S
"""curl as the docs call it, recording status, content type, URL and body of each request in $DOCTEST_LOG."""
import json, os, re, subprocess, sys, tempfile
with tempfile.NamedTemporaryFile() as headers:
    done = subprocess.run([{curl!r}, *sys.argv[1:], "-D", headers.name], stdout=subprocess.PIPE)
    sys.stdout.buffer.write(done.stdout)
    sys.stdout.flush()
    head = open(headers.name, encoding="latin-1").read()
blocks = [b for b in re.split(r"\r?\n\r?\n", head) if b.startswith("HTTP/")]
status, ctype = 0, ""
if blocks:
    status = int(blocks[-1].split()[1])
    ctype = next((line.split(":", 1)[1].strip() for line in blocks[-1].splitlines()
                  if line.lower().startswith("content-type:")), "")
body = done.stdout.decode("utf-8", "replace")
if body.startswith("HTTP/"):  # curl -i: the headers are on stdout too
    body = body.split("\r\n\r\n")[-1]
url = next((a for a in sys.argv[1:] if re.match(r"https?://", a)), "")
with open(os.environ["DOCTEST_LOG"], "a") as log:
    log.write(json.dumps({{"tool": "curl", "status": status, "ctype": ctype, "url": url, "body": body}}) + "\n")
sys.exit(done.returncode)
'''

PYTHON_HOOK = '''"""Record every response of requests in $DOCTEST_LOG (loaded as sitecustomize by the docs test)."""
import json, os
import requests

_send = requests.Session.send


def _recording_send(self, request, **kwargs):
    response = _send(self, request, **kwargs)
    with open(os.environ["DOCTEST_LOG"], "a") as log:
        log.write(json.dumps({"tool": "python", "status": response.status_code, "url": request.url,
                              "ctype": response.headers.get("Content-Type", ""), "body": response.text}) + "\\n")
    return response


requests.Session.send = _recording_send
'''

NODE_HOOK = '''// Record every response of fetch in $DOCTEST_LOG (preloaded with --require by the docs examples test).
const fs = require("fs");
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const response = await realFetch(...args);
  const body = await response.clone().text();
  fs.appendFileSync(process.env.DOCTEST_LOG, JSON.stringify({tool: "node", status: response.status,
    url: response.url, ctype: response.headers.get("content-type") || "", body}) + "\\n");
  return response;
};
'''


@dataclass
class Block:
    page: str
    lang: str
    code: str
    line: int

    def __str__(self) -> str:
        return f"{self.page}:{self.line} ({self.lang})"


@dataclass
class Page:
    path: Path
    settings: dict
    blocks: list[Block] = field(default_factory=list)
    shown: list[Block] = field(default_factory=list)


def parse_page(path: Path) -> Page:
    """The runnable and shown-only code blocks of a Markdown page, in order, and its doctest settings."""
    text = path.read_text()
    settings = {}
    for match in SETTINGS.finditer(text):
        for pair in match["settings"].split():
            key, _, value = pair.partition("=")
            settings[key] = value
    page = Page(path, settings)
    name = str(path.relative_to(DOCS)) if path.is_relative_to(DOCS) else path.name
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        code = "".join(line[indent:] + "\n" for line in match["body"].splitlines())
        lang = (match["info"].split() or [""])[0]
        block = Block(name, lang, code, text.count("\n", 0, match.start()) + 1)
        (page.blocks if lang in RUN else page.shown).append(block)
    return page


class LiveServer:
    """create_app behind a threaded werkzeug server on a free port."""

    def __init__(self, settings: dict):
        from werkzeug.serving import make_server

        from app import create_app

        self.app = create_app(settings)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture(scope="session")
def docs_store():
    from fhirstore.embedded import EmbeddedMongo

    shm = Path("/dev/shm")  # in memory where there is one: the store's fsyncs are most of a page's wait
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None, prefix="codoc-docs-nx-") as data:
        with EmbeddedMongo(data) as server:
            yield server.uri


@pytest.fixture(scope="session")
def shims(tmp_path_factory) -> Path:
    """A directory with the curl shim, the requests hook (sitecustomize) and the fetch hook, and a .venv link."""
    directory = tmp_path_factory.mktemp("docs-shims")
    real_curl = shutil.which("curl")
    assert real_curl, "curl is needed to run the docs' examples"
    shim = directory / "bin" / "curl"
    shim.parent.mkdir()
    shim.write_text(CURL_SHIM.format(python=sys.executable, curl=real_curl))
    shim.chmod(0o755)
    (directory / "sitecustomize.py").write_text(PYTHON_HOOK)
    (directory / "fetch-hook.js").write_text(NODE_HOOK)
    return directory


class PageRun:
    """Runs the blocks of one page against its own server; collects what each block's requests answered."""

    def __init__(self, page: Page, store_uri: str, shims: Path, workdir: Path):
        self.page = page
        self.shims = shims
        self.workdir = workdir
        (workdir / ".venv").symlink_to(Path(sys.prefix))  # the docs say .venv/bin/codoc
        self.database = f"docs_{uuid.uuid4().hex[:12]}"
        settings = {"CODOC_ENV": "development", "CODOC_MONGO_URI": store_uri, "CODOC_MONGO_DB": self.database,
                    "CODOC_NLP": "off", **page.settings}
        self.server = LiveServer(settings)
        if settings["CODOC_NLP"] == "on":
            import nlp

            nlp.get_engine(wait=None)  # what a user of make run waits for once; not part of the examples
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CODOC_")}
        self.env.update({"PATH": f"{shims / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}",
                         "PYTHONPATH": f"{shims}{os.pathsep}{ROOT}",  # the worktree's code, not an installed copy
                         "CODOC_MONGO_URI": store_uri, "CODOC_MONGO_DB": self.database,
                         "CODOC_ENV": "development", "CODOC_NLP": "off", "NO_COLOR": "1"})
        from nlp import config as nlp_config

        self.env["CODOC_NLP_CACHE_DIR"] = str(nlp_config.cache_dir().resolve())  # the suite's cache, not the workdir's
        self.bash_vars: dict[str, str] = {}
        self.created: dict[str, str] = {}
        self.requests = 0

    def close(self) -> None:
        self.server.stop()

    def run(self, block: Block) -> list[dict]:
        """Run one block; returns its recorded requests. :raises AssertionError: the block is broken."""
        code = block.code.replace(BASE, self.server.url)
        log = self.workdir / "requests.jsonl"
        log.write_text("")
        env = {**self.env, **self.bash_vars, "DOCTEST_LOG": str(log)}
        if block.lang == "bash":
            code = self.substitute(code, block)
            state = self.workdir / "state"
            script = self.workdir / "block.sh"
            script.write_text(f"set -a\nset -eo pipefail\n{code}\nenv -0 > {state}\n")
            command = ["bash", str(script)]
        elif block.lang == "python":
            script = self.workdir / "block.py"
            script.write_text(code)
            command = [sys.executable, str(script)]
        else:
            script = self.workdir / "block.mjs"
            script.write_text(code)
            command = ["node", "--require", str(self.shims / "fetch-hook.js"), str(script)]
        try:
            done = subprocess.run(command, cwd=self.workdir, env=env, capture_output=True, text=True,
                                  timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{block}: did not finish in {BLOCK_TIMEOUT} s") from None
        output = f"\n--- code ---\n{code}\n--- stdout ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"
        assert done.returncode == 0, f"{block}: exit status {done.returncode}{output}"
        if os.environ.get("DOCTEST_VERBOSE"):  # to read what the examples print
            print(f"\n=== {block}{output}")
        recorded = [json.loads(line) for line in log.read_text().splitlines()]
        check_requests(block, recorded, output)
        if block.lang == "bash":
            self.keep_variables(state)
        self.remember_created(recorded)
        self.requests += len(recorded)
        return recorded

    def substitute(self, code: str, block: Block) -> str:
        def value(match: re.Match) -> str:
            key = match[1]
            assert key in self.created, f"{block}: {{{key}}} but no such resource was created before on the page"
            return self.created[key]

        return re.sub(r"\{((?:[a-z]+_)?id)\}", value, code)

    def keep_variables(self, state: Path) -> None:
        for entry in state.read_text().split("\0"):
            key, sep, value = entry.partition("=")
            if sep and key not in ("PWD", "OLDPWD", "SHLVL", "_", "DOCTEST_LOG") and self.env.get(key) != value:
                self.bash_vars[key] = value

    def remember_created(self, recorded: list[dict]) -> None:
        for request in recorded:
            if request["status"] == 201:
                body = parse_json(request["body"])
                if isinstance(body, dict) and "id" in body and "resourceType" in body:
                    self.created[f"{body['resourceType'].lower()}_id"] = body["id"]
                    self.created["id"] = body["id"]


def parse_json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def check_requests(block: Block, recorded: list[dict], output: str = "") -> None:
    """Statuses match the block's ``→`` annotations in order; the rest are < 400; errors are OperationOutcomes."""
    expected = [([int(s) for s in m["statuses"].split("or")], m["type"]) for m in EXPECT.finditer(block.code)]
    summary = "\n".join(f"  {r['status']} {r['url']}" for r in recorded)
    where = f"{block}: requests\n{summary}{output}"
    position = 0
    for request in recorded:
        body = parse_json(request["body"])
        resource_type = body.get("resourceType") if isinstance(body, dict) else None
        if "/auth/token" not in request["url"] and request["status"] >= 400:
            assert request["ctype"].startswith("application/fhir+json"), f"{where}\nerror not fhir+json: {request}"
            assert resource_type == "OperationOutcome", f"{where}\nerror is not an OperationOutcome: {request}"
        if position < len(expected):
            statuses, wanted_type = expected[position]
            if request["status"] in statuses and wanted_type in (None, resource_type):
                position += 1
                continue
        assert request["status"] < 400, f"{where}\nunexpected {request['status']} for {request['url']}"
    assert position == len(expected), f"{where}\nannotation not met: → {expected[position]}"


def run_page(page: Page, store_uri: str, shims: Path) -> PageRun | None:
    """Run every block of the page against a server of its own. :raises AssertionError: a block is broken."""
    if not page.blocks:
        return None
    with tempfile.TemporaryDirectory() as workdir:
        run = PageRun(page, store_uri, shims, Path(workdir))
        try:
            for block in page.blocks:
                run.run(block)
        finally:
            run.close()
    return run


PAGES = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)
NLP_PAGES = {p for p in PAGES if parse_page(p).settings.get("CODOC_NLP") == "on"}


@pytest.mark.wire  # the pages' server runs on the embedded nx-27017 store (shared with the codoc CLI)
@pytest.mark.parametrize("path", [pytest.param(p, marks=[pytest.mark.nlp] if p in NLP_PAGES else [],
                                               id=str(p.relative_to(DOCS))) for p in PAGES])
def test_every_example_of_the_page_runs(path, docs_store, shims, record_property):
    page = parse_page(path)
    started = time.monotonic()
    run = run_page(page, docs_store, shims)
    record_property("examples", len(page.blocks))
    print(f"{path.relative_to(DOCS)}: {len(page.blocks)} examples, {run.requests if run else 0} requests, "
          f"{time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_examples_that_are_not_run_do_not_call_the_api(path):
    for block in parse_page(path).shown:
        assert not CALLS_API.search(block.code), f"{block}: calls the API in a fence that is not run; use " \
                                                 f"```bash, ```python or ```javascript"


def test_the_site_has_examples_in_the_three_languages():
    langs = {block.lang for path in PAGES for block in parse_page(path).blocks}
    assert langs == set(RUN)


BROKEN = {  # markdown of a broken example → what the failure says
    "curl to a wrong route": ("```bash\ncurl -s http://localhost:8000/v4.3.0/Patietn/1\n```\n", "unexpected 404"),
    "curl whose annotation no longer holds": (
        "```bash\ncurl -s -X POST http://localhost:8000/v4.3.0/Patient -H 'Content-Type: application/fhir+json' "
        "-d '{\"resourceType\": \"Patient\"}'   # → 409\n```\n", "annotation not met"),
    "curl of an invalid body": (
        "```bash\ncurl -s -X POST http://localhost:8000/v4.3.0/Patient -H 'Content-Type: application/fhir+json' "
        "-d '{\"resourceType\": \"Patient\", \"gender\": \"man\"}'\n```\n", "unexpected 400"),
    "a failing shell command": ("```bash\nfalse\necho never\n```\n", "exit status 1"),
    "a placeholder nothing created": (
        "```bash\ncurl -s http://localhost:8000/v4.3.0/Patient/{patient_id}\n```\n", "no such resource"),
    "python with a wrong field": (
        "```python\nimport requests\nr = requests.get('http://localhost:8000/v4.3.0/metadata')\n"
        "assert r.json()['fhirVersion'] == '5.0.0'\n```\n", "exit status 1"),
    "python ignoring an error status": (
        "```python\nimport requests\nrequests.get('http://localhost:8000/v4.3.0/Patient')\n```\n", "unexpected 405"),
    "javascript of a wrong route": (
        "```javascript\nawait fetch('http://localhost:8000/v4.3.0/Observaton?code=x');\n```\n", "unexpected 404"),
    "javascript throwing": ("```javascript\nconst r = await fetch('http://localhost:8000/v4.3.0/metadata');\n"
                            "(await r.json()).rest.nope.length;\n```\n", "exit status 1"),
}


@pytest.mark.wire
@pytest.mark.parametrize("markdown, failure", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_example_is_caught(markdown, failure, docs_store, shims, tmp_path):
    path = tmp_path / "broken.md"
    path.write_text("# A page\n\n" + markdown)
    with pytest.raises(AssertionError, match=failure):
        run_page(parse_page(path), docs_store, shims)


@pytest.mark.wire
def test_a_correct_example_passes(docs_store, shims, tmp_path):
    """The counterpart of the broken ones: the same harness accepts what the server really answers."""
    path = tmp_path / "good.md"
    path.write_text("# A page\n\n```bash\nB=http://localhost:8000/v4.3.0\n"
                    "curl -s -X POST $B/Patient -H 'Content-Type: application/fhir+json' "
                    "-d '{\"resourceType\": \"Patient\"}'   # → 201 Patient\n```\n\n"
                    "```bash\ncurl -s $B/Patient/{patient_id}\n"
                    "curl -s $B/Patient/nope   # → 404 OperationOutcome\n```\n"
                    "\n```javascript\nconst r = await fetch('http://localhost:8000/v4.3.0/metadata');\n"
                    "if ((await r.json()).fhirVersion !== '4.3.0') throw new Error('version');\n```\n")
    run = run_page(parse_page(path), docs_store, shims)
    assert run.requests == 4


API_PAGES = {"patient": "Patient", "organization": "Organization", "encounter": "Encounter",
             "documentreference": "DocumentReference", "observation": "Observation",
             "observation-phenotype": "Observation", "procedure": "Procedure",
             "medicationrequest": "MedicationRequest", "diagnosticreport": "DiagnosticReport",
             "codesystem": "CodeSystem"}


@functools.cache
def load_hook():
    spec = importlib.util.spec_from_file_location("searchparams_hook", DOCS / "hooks" / "searchparams.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def served_metadata() -> dict:
    """The CapabilityStatement as a client gets it over HTTP from a running server."""
    import requests

    server = LiveServer({"CODOC_ENV": "testing", "CODOC_MONGO_URI": "mongomock://", "CODOC_NLP": "off"})
    try:
        response = requests.get(f"{server.url}/v4.3.0/metadata", timeout=10)
    finally:
        server.stop()
    assert response.status_code == 200
    return response.json()


def test_there_is_a_reference_page_per_served_type(served_metadata):
    served = {resource["type"] for resource in served_metadata["rest"][0]["resource"]}
    assert served == set(API_PAGES.values())
    assert {p.stem for p in (DOCS / "api").glob("*.md")} == set(API_PAGES) | {"index", "openapi"}


@pytest.mark.parametrize("page, resource_type", API_PAGES.items())
def test_reference_page_tables_are_the_served_search_parameters(page, resource_type, served_metadata):
    hook = load_hook()
    text = (DOCS / "api" / f"{page}.md").read_text()
    assert [m["type"] for m in hook.MARKER.finditer(text)] == [resource_type], "one searchparams marker, this type"
    declared = hook.search_params(resource_type, served_metadata)
    rendered = hook.render(text, served_metadata)
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \|", rendered, re.M)
    assert rows == [(p["name"], p["type"]) for p in declared]
    assert hook.render(text) == rendered, "the build-time table differs from what the server serves"


@pytest.mark.parametrize("page, resource_type", API_PAGES.items())
def test_reference_page_runs_a_search_with_every_parameter(page, resource_type, served_metadata):
    """Each parameter the server declares is used by an executed example of its page (so its example is tested)."""
    hook = load_hook()
    code = "".join(block.code for block in parse_page(DOCS / "api" / f"{page}.md").blocks)
    used = set(re.findall(r"[?&]([a-z][a-z-]*)[=:]", code))
    missing = {p["name"] for p in hook.search_params(resource_type, served_metadata)
               if not p["name"].startswith("_")} - used
    assert not missing, f"api/{page}.md has no example of {sorted(missing)}"
