"""The Codoc FHIR API app factory: settings → store → registry (handlers, operations) → security → http."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

import security
from config import load_config
from fhirstore import open_store
from fhirstore.errors import StoreUnavailableError
from handlers import audit
from handlers.http import routes
from handlers.registry import Registry
from security import production

log = logging.getLogger("codoc")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build an app; ``overrides`` (tests) win over the profile and the environment."""
    settings = load_config(overrides)
    production.check(settings)
    if not settings["CODOC_MONGO_URI"]:
        raise RuntimeError("CODOC_MONGO_URI is empty: start the app with `make run` (which launches the embedded "
                           "store) or set CODOC_MONGO_URI (mongomock:// for a throwaway store)")
    app = Flask(__name__)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["CODOC_MAX_BODY_BYTES"]
    app.json.sort_keys = False

    store = open_store(settings["CODOC_MONGO_URI"], settings["CODOC_MONGO_DB"], settings["CODOC_MONGO_WRITE_CONCERN"],
                       settings["CODOC_TRANSACTION_LEASE"])
    registry = Registry(store, app.config)
    app.extensions["codoc.store"] = store
    app.extensions["codoc.registry"] = registry
    app.extensions["codoc.audit"] = audit.AuditWriter(store, batched=settings["CODOC_AUDIT_BATCHED"],
                                                      max_lag=settings["CODOC_AUDIT_MAX_LAG"])
    if settings["CODOC_CREATE_INDEXES"]:
        registry.ensure_indexes()
        audit.ensure_indexes(store)
    try:  # transactions a stopped process left: rolled back (or forward past their commit point)
        store.recover()
    except StoreUnavailableError:
        log.warning("the store is unavailable at start: transactions left by a stopped process settle later")

    security.init_app(app)
    routes.init_app(app)
    return app
