"""A real redis-server for the rate-limit tests: started on a free local port in a temp dir, stopped at the end.

No binary: the tests skip with a clear message, except in CI (``CI=true``) where a missing Redis fails them.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from fhirstore.embedded import free_port, stop_process

INSTALL_HINT = "install it (Debian: apt-get install -y redis-server)"


class RedisServer:
    """``redis-server --port N --save '' --appendonly no`` in a temporary directory."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.workdir = tempfile.mkdtemp(prefix="codoc-redis-")

    def start(self, timeout: float = 10.0) -> "RedisServer":
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.workdir], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {timeout} s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            assert sock.recv(64).startswith(b"+OK")

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def redis_binary() -> str:
    """The redis-server path; skips (or fails in CI) when there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = f"redis-server not found: {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI must install it (.ci/run)")
        pytest.skip(message)
    return binary


@pytest.fixture(scope="session")
def redis_server():
    """One real Redis for the session; tests that count should call ``redis_server.flush()`` first."""
    server = RedisServer(redis_binary()).start()
    try:
        yield server
    finally:
        server.stop()
