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


class CodocFlask(Flask):
    """Flask, its check of whether a hook or view is a coroutine function made once per function instead of on
    every call (Flask asks it of each hook and view of each request)."""

    #: Most functions remembered as plain (the app's hooks and views: a few dozen).
    MAX_PLAIN = 4096

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_functions: set = set()

    def ensure_sync(self, func):
        try:
            if func in self._plain_functions:
                return func
        except TypeError:  # an unhashable callable: asked every time
            return super().ensure_sync(func)
        sync = super().ensure_sync(func)
        if sync is func and len(self._plain_functions) < self.MAX_PLAIN:
            self._plain_functions.add(func)
        return sync


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build an app; ``overrides`` (tests) win over the profile and the environment."""
    settings = load_config(overrides)
    production.check(settings)
    if not settings["CODOC_MONGO_URI"]:
        raise RuntimeError("CODOC_MONGO_URI is empty: start the app with `make run` (which launches the embedded "
                           "store) or set CODOC_MONGO_URI (mongomock:// for a throwaway store)")
    app = CodocFlask(__name__)
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
