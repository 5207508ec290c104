"""The app as it is run for real: ``uvicorn app.main:app`` in its own process.

It starts (wait, migrate), logs JSON lines only, serves, and on SIGTERM shuts down cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import requests

from tests.app_todo.app_process import APP_DIR, uvicorn_command, wait_until_answers
from tests.app_todo.live_server import free_port


def test_uvicorn_serves_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SQLITE_PATH": str(tmp_path / "todo.db"),
        "LOG_LEVEL": "INFO",
    }
    process = subprocess.Popen(
        uvicorn_command(port, "--timeout-graceful-shutdown", "10"),
        cwd=APP_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(f"{base}/", process, lambda: process.communicate()[0])
        created = requests.post(f"{base}/tasks", json={"title": "via uvicorn"}, timeout=10)
        assert created.status_code == 201
        assert "server" not in created.headers  # --no-server-header, as in the image
        refused = requests.post(f"{base}/tasks", json={"title": ""}, timeout=10)
        assert refused.status_code == 422

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    # uvicorn re-raises the signal once shut down, so its exit status says why it stopped.
    assert process.returncode in (0, -signal.SIGTERM), output
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    messages = [record["message"] for record in records]
    assert "ready to serve" in messages
    assert messages.index("shut down") > messages.index("ready to serve")
    assert "Application shutdown complete." in messages
    assert any(m.startswith("Uvicorn running on") for m in messages)  # uvicorn's own, as JSON
    assert any(r.get("path") == "/tasks" and r.get("status") == 201 for r in records)
    assert any(
        r.get("status") == 422
        and r.get("reason") == "body.title: string_too_short"
        and r.get("request_id") == refused.headers["x-request-id"]
        for r in records
    )
    assert all(not line.strip() or line.startswith("{") for line in output.splitlines()), output
