"""Health of the process (``/healthz``) and of what it needs (``/readyz``), outside ``/v4.3.0``: for load balancers
and orchestrators, no token, no audit, no rate limit."""
from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app

from handlers.http.io import fhir_json, outcome_response

health = Blueprint("health", __name__)
#: Seconds each dependency has to answer.
READY_TIMEOUT = 1.0


def _answers(probe) -> bool:
    """Whether ``probe()`` returns within READY_TIMEOUT seconds without raising."""
    outcome: list[bool] = []

    def run():
        try:
            probe()
            outcome.append(True)
        except Exception:  # noqa: BLE001 - any failure means not ready
            outcome.append(False)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(READY_TIMEOUT)
    return bool(outcome and outcome[0])


@health.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return fhir_json({"resourceType": "OperationOutcome", "issue": [
        {"severity": "information", "code": "informational", "diagnostics": "up"}]})


@health.get("/readyz")
def readyz() -> Response:
    """MongoDB (and Redis when configured) answer within a second: 200, else 503 naming what does not."""
    checks = {"MongoDB": current_app.extensions["codoc.store"].ping}
    if current_app.config.get("CODOC_REDIS_URL"):
        import redis

        url = current_app.config["CODOC_REDIS_URL"]
        checks["Redis"] = lambda: redis.Redis.from_url(url, socket_connect_timeout=READY_TIMEOUT,
                                                       socket_timeout=READY_TIMEOUT).ping()
    down = [name for name, probe in checks.items() if not _answers(probe)]
    if down:
        return outcome_response(503, [{"severity": "error", "code": "transient",
                                       "diagnostics": f"not ready: {', '.join(down)} did not answer within "
                                                      f"{READY_TIMEOUT:.0f} s"}], {"Retry-After": "2"})
    return fhir_json({"resourceType": "OperationOutcome", "issue": [
        {"severity": "information", "code": "informational", "diagnostics": f"ready: {', '.join(checks)}"}]})
