"""Launch the embedded MongoDB wire-protocol server (nx-27017, SQLite inside) on a free local port."""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
SOURCE_ROOT = str(Path(__file__).resolve().parents[1])  # for ``python -m fhirstore.embedded_server``


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """Terminate a child server, killing it if it does not exit within ``timeout`` seconds."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class EmbeddedMongo:
    """An nx-27017 process keeping its data in ``data_dir``; use as a context manager or call start()/stop()."""

    def __init__(self, data_dir: str | os.PathLike, port: int | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._stopping = False

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 30.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.data_dir / "nx-27017.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fhirstore.embedded_server", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--log-file", str(log_file),
             "--pid-file", str(self.data_dir / "nx-27017.pid")],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SOURCE_ROOT, os.getenv("PYTHONPATH")]))},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with {self.process.returncode}; see {log_file}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    log.info("embedded MongoDB (nx-27017) on port %s, data in %s", self.port, self.data_dir)
                    return self.uri
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nx-27017 did not listen on port {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        self._stopping = True
        stop_process(self.process)
        self.process = None

    def supervise(self, every: float = 1.0) -> threading.Thread:
        """Restart the server (same port, same data) whenever it exits until :meth:`stop`; a daemon thread."""
        self._stopping = False

        def watch() -> None:
            while not self._stopping:
                time.sleep(every)
                process = self.process
                if self._stopping or process is None or process.poll() is None:
                    continue
                log.error("embedded MongoDB (nx-27017) exited with %s: restarting it", process.returncode)
                try:
                    self.start()
                except RuntimeError as error:
                    log.error("embedded MongoDB did not restart (%s); retrying", error)

        thread = threading.Thread(target=watch, name="nx-27017-supervisor", daemon=True)
        thread.start()
        return thread

    def __enter__(self) -> "EmbeddedMongo":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
