"""Process-wide engine, loaded once in a background thread."""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import Callable

from .types import Engine, EngineError

log = logging.getLogger("codoc.nlp")

IDLE, LOADING, READY, FAILED = "idle", "loading", "ready", "failed"


def _default_factory() -> Engine:
    try:
        from .engine import EdsEngine
        from .pipeline import load_or_build
    except ImportError as exc:  # edsnlp not installed
        raise EngineError(f"edsnlp is not installed ({exc}); see requirements-nlp.txt") from exc
    return EdsEngine(load_or_build())


class Loader:
    """State machine idle -> loading -> ready | failed.

    A failure is sticky: the app keeps answering "failed" (and get_engine
    raises) until the process restarts, instead of rebuilding in a loop."""

    def __init__(self, factory: Callable[[], Engine] = _default_factory):
        self._factory = factory
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._state = IDLE
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def status(self) -> str:
        return self._state

    def start(self) -> None:
        with self._lock:
            if self._state != IDLE:
                return
            self._state = LOADING
            self._thread = threading.Thread(target=self._run, name="codoc-nlp-loader", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            engine = self._factory()
        except BaseException as exc:  # noqa: BLE001 - reported through get()
            self._error = exc
            self._state = FAILED
            log.error("nlp engine failed to load after %.1f s: %s: %s",
                      time.perf_counter() - t0, type(exc).__name__, exc)
        else:
            # the engine's ~140k objects live as long as the process: out of the collector's reach, a full
            # collection no longer walks them (~70 ms with every thread paused) and forked workers keep sharing
            # their pages (a collection writes to each object it visits)
            gc.collect()
            gc.freeze()
            self._engine = engine
            self._state = READY
            log.info("nlp engine ready in %.1f s", time.perf_counter() - t0)
        finally:
            self._done.set()

    def get(self, wait: float | None = 0) -> Engine | None:
        """The engine if loaded, else None (after waiting up to ``wait``
        seconds; ``wait=None`` blocks until loaded). Starts loading if idle.
        Raises EngineError if loading failed."""
        self.start()
        if self._state == LOADING and (wait is None or wait > 0):
            self._done.wait(timeout=wait)
        if self._state == FAILED:
            err = self._error
            if isinstance(err, EngineError):
                raise err
            raise EngineError(f"nlp engine failed to load: {type(err).__name__}: {err}") from err
        return self._engine if self._state == READY else None


_loader = Loader()


def start_loading() -> None:
    """Start loading the pipeline in a background thread (idempotent)."""
    _loader.start()


def get_engine(wait: float | None = 0) -> Engine | None:
    """Process-wide engine; None while loading. ``wait`` seconds to wait
    (None = until loaded). Raises :class:`nlp.EngineError` if loading failed.
    Starts loading if nobody did."""
    return _loader.get(wait)


def engine_status() -> str:
    """"idle" | "loading" | "ready" | "failed"."""
    return _loader.status()
