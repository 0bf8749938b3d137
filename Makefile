# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install init-db demo-data bench docs clean

$(STAMP): requirements.txt requirements-dev.txt requirements-nlp.txt setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -r requirements-nlp.txt
	$(BIN)/pip install --quiet --no-deps --config-settings editable_mode=compat -e .
	touch $(STAMP)

install: $(STAMP)

## Serve the API on http://localhost:$${CODOC_PORT:-8000}/v4.3.0/ with the embedded store in ./data (Ctrl-C stops all).
run: $(STAMP)
	$(BIN)/codoc run

## The linter, the whole suite (mongomock, wire-server, real Redis and NLP tiers) on up to two cores (a file per
## worker), then the schemathesis fuzzing on its own (it counts its cases across the module), then the docs site.
test: $(STAMP)
	$(BIN)/flake8
	$(BIN)/python -m pytest -m "not fuzz" --numprocesses auto --maxprocesses 2 --dist loadfile
	$(BIN)/python -m pytest -m fuzz
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

## Serve the documentation site on http://localhost:$${DOCS_PORT:-8001}/ (rebuilds on change).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr localhost:$${DOCS_PORT:-8001}

## Only the fast tier (mongomock, no NLP pipeline).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not wire and not nlp and not redis"

lint: $(STAMP)
	$(BIN)/flake8

init-db: $(STAMP)
	$(BIN)/codoc init-db

## Write a made-up French hospital to ./demo-data (NDJSON and Synthea-style Bundles) and import it (stop `make run`).
demo-data: $(STAMP)
	$(BIN)/codoc demo-data --out demo-data

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache site
