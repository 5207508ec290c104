"""The app under uvicorn in a process of its own, as the image runs it.

Load tests need it: a server in a thread of the test process would share the GIL with hundreds
of client threads, and its latency would measure the clients, not the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.engine import URL

from orchestrator.processes import stop_child
from tests.app_todo.live_server import free_port
from tests.conftest import REPO_ROOT

APP_DIR = REPO_ROOT / "app_todo"


def uvicorn_command(port: int, *options: str) -> list[str]:
    """``uvicorn app.main:app`` on 127.0.0.1 (run from APP_DIR), as the image runs it."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-server-header",
        *options,
    ]


@dataclass
class AppProcess:
    base_url: str
    log_path: Path

    def log_lines(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@contextmanager
def app_process(database: URL, **settings: str) -> Iterator[AppProcess]:
    """``uvicorn app.main:app`` on ``database`` with extra settings (environment variables)."""
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database.render_as_string(hide_password=False),
        "LOG_LEVEL": "WARNING",
        "DB_WAIT_ATTEMPTS": "1",
        **settings,
    }
    with tempfile.TemporaryDirectory(prefix="todo-app-") as scratch:
        log_path = Path(scratch) / "app.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                uvicorn_command(port, "--no-access-log"),
                cwd=APP_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        served = AppProcess(f"http://127.0.0.1:{port}", log_path)
        try:
            wait_until_answers(
                f"{served.base_url}/health/ready", process, served.log_path.read_text
            )
            yield served
        finally:
            stop_child(process, timeout=30)


def wait_until_answers(
    url: str, process: subprocess.Popen[Any], exit_output: Callable[[], str], timeout: float = 60
) -> None:
    """Poll ``url`` until it answers 200; fail with the process's output if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{exit_output()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not answer {url} within {timeout:g} s")
        time.sleep(0.1)
