"""A plain moto server in a child process, for tests and benchmarks that need no extensions."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestrator.processes import stop_child


@contextmanager
def moto_server(port: int, log_path: Path, *, timeout: float = 30) -> Iterator[str]:
    """Serve moto on 127.0.0.1:``port`` until the block ends; yields its endpoint URL."""
    endpoint = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"moto server did not start on {endpoint}: see {log_path}"
                        ) from None
                    time.sleep(0.3)
            yield endpoint
        finally:
            stop_child(process, timeout=10)
