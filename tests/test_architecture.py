"""The layout is the design: modules import on their own, dependencies point one way, persistence stays behind the
store interface, the ``_codoc`` helper schema is named in one module."""
from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "fhirstore", "handlers", "schemas", "security", "nlp")
#: The HTTP layer: the only application code that may import Flask (or its extensions, or werkzeug).
HTTP_LAYER = {"app.py", "handlers/http/routes.py", "handlers/http/io.py", "handlers/http/gate.py",
              "handlers/http/errors.py", "handlers/http/health.py", "security/__init__.py", "security/tokens.py",
              "security/limiter.py", "security/cors.py"}
WEB_PACKAGES = ("flask", "flask_cors", "flask_jwt_extended", "flask_limiter", "werkzeug")


def application_files() -> list[Path]:
    files = [ROOT / "app.py", ROOT / "cli.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every module name an application file imports (at any depth of the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    modules = [module_name(p) for p in application_files()]

    def load(module: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        return module, done.stderr.strip().splitlines()[-1] if done.returncode else ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = {module: error for module, error in pool.map(load, modules) if error}
    assert len(modules) > 40 and failures == {}


def test_flask_is_imported_only_by_the_app_factory_and_the_http_layer():
    offenders = {relative(p): sorted(n for n in imported(p) if n.split(".")[0] in WEB_PACKAGES)
                 for p in application_files() if relative(p) not in HTTP_LAYER}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_security_never_imports_handlers():
    offenders = {relative(p) for p in (ROOT / "security").rglob("*.py")
                 if any(n.split(".")[0] == "handlers" for n in imported(p))}
    assert offenders == set()


def test_only_the_store_talks_to_pymongo():
    offenders = {relative(p) for p in application_files() if not relative(p).startswith("fhirstore/")
                 and any(n.split(".")[0] in ("pymongo", "mongomock") or n.startswith("fhirstore.mongo")
                         for n in imported(p))}
    assert offenders == set()


def _code_strings(path: Path) -> list[str]:
    """String constants of a file that are not docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_the_internal_helper_schema_is_named_in_one_module():
    offenders = {relative(p) for p in application_files() if relative(p) != "fhirstore/fields.py"
                 and any("_codoc" in s for s in _code_strings(p))}
    assert offenders == set()


def test_one_fhir_version_constant():
    offenders = {relative(p) for p in application_files() if relative(p) != "config/__init__.py"
                 and any(s in ("4.3.0", "4_3_0") for s in _code_strings(p))}
    assert offenders == set()


@pytest.mark.parametrize("fragment", ["handlers.registry", "handlers.http.routes"])
def test_importing_a_module_registers_nothing(fragment):
    """Registration is explicit: the registry's lists are data, not side effects of imports."""
    script = ("import importlib, sys; import handlers.resources.patient; "
              "assert 'handlers.registry' not in sys.modules; "
              f"importlib.import_module({fragment!r})")
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60).returncode == 0
