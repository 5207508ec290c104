"""Request ids: taken from X-Request-ID or made, returned on every answer (a 500 included), and in
every JSON log line; the request line gives the reason of a refusal."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app_todo.conftest import JsonLog, make_settings
from tests.app_todo.databases import sqlite_url
from tests.app_todo.live_server import serve
from tests.conftest import REPO_ROOT


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_callers_request_id_comes_back(client: TestClient) -> None:
    response = client.get("/", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, '{"forged": 1}', "é"])
def test_a_missing_or_unsafe_request_id_is_replaced(client: TestClient, sent: str | None) -> None:
    headers = {} if sent is None else {b"X-Request-ID": sent.encode()}

    response = client.get("/", headers=headers)

    assert len(response.headers["x-request-id"]) == 32
    assert response.headers["x-request-id"] != sent


def test_logs_are_json_lines_with_the_request_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an app logging at INFO (its handler writes to this test's captured stderr)
    app = create_app(make_settings(sqlite_url(tmp_path / "todo.db"), LOG_LEVEL="INFO"))

    with TestClient(app) as client:
        capsys.readouterr()
        client.post("/tasks", json={"title": "logged"}, headers={"X-Request-ID": "req-42"})
        client.get("/tasks/999999", headers={"X-Request-ID": "req-43"})
    lines = json_lines(capsys.readouterr().err)
    # The app's handler writes to this test's stream, which closes with the test.
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "app-json"]

    requests = [line for line in lines if line["logger"] == "app.request"]
    assert [(r["request_id"], r["method"], r["status"]) for r in requests] == [
        ("req-42", "POST", 201),
        ("req-43", "GET", 404),
    ]
    assert all({"time", "level", "message", "duration_ms", "path"} <= set(r) for r in requests)
    assert any(line["message"] == "shut down" for line in lines)


def test_an_unhandled_error_is_a_json_500_with_the_id_and_one_logged_traceback(
    tmp_path: Path, json_log: JsonLog
) -> None:
    # GIVEN an app with a route that fails, served by uvicorn
    app = create_app(make_settings(sqlite_url(tmp_path / "todo.db"), LOG_LEVEL="INFO"))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    # WHEN it is called
    with serve(app) as base:
        response = requests.get(f"{base}/boom", headers={"X-Request-ID": "req-500"}, timeout=10)
    app.state.engine.dispose()

    # THEN the client gets a plain JSON 500 with its id and the usual headers
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert response.headers["x-request-id"] == "req-500"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    # AND the traceback is logged once, with the id; the request line says 500
    lines = json_log.lines()
    tracebacks = [line for line in lines if "exception" in line]
    assert len(tracebacks) == 1, tracebacks
    assert tracebacks[0]["request_id"] == "req-500"
    assert tracebacks[0]["level"] == "ERROR"
    assert "RuntimeError: boom" in tracebacks[0]["exception"]
    [request_line] = [line for line in lines if "status" in line]
    assert (request_line["request_id"], request_line["status"]) == ("req-500", 500)


def test_a_refused_requests_log_line_gives_the_reason(tmp_path: Path, json_log: JsonLog) -> None:
    settings = make_settings(sqlite_url(tmp_path / "todo.db"), LOG_LEVEL="INFO", API_TOKEN="s3cret")
    auth = {"Authorization": "Bearer s3cret"}
    with TestClient(create_app(settings)) as client:
        sent = [
            client.post("/tasks", json={"title": ""}, headers=auth),
            client.post("/tasks", json={"title": "ok", "owner": "me"}, headers=auth),
            client.post(
                "/tasks", content=b"{", headers={**auth, "content-type": "application/json"}
            ),
            client.get("/tasks/abc"),
            client.get("/tasks/999999"),
            client.get("/nowhere"),
            client.request("OPTIONS", "/tasks"),
            client.post("/tasks", json={"title": "ok"}),
            client.get("/tasks"),
        ]
    by_id = {
        line["request_id"]: line for line in json_log.lines() if line["logger"] == "app.request"
    }
    reasons = [
        (by_id[r.headers["x-request-id"]]["status"], by_id[r.headers["x-request-id"]].get("reason"))
        for r in sent
    ]

    assert reasons == [
        (422, "body.title: string_too_short"),
        (422, "body.owner: extra_forbidden"),
        (422, "body.1: json_invalid"),
        (422, "path.task_id: int_parsing"),
        (404, "Task not found"),
        (404, "Not Found"),
        (405, "Method Not Allowed"),
        (401, "Missing or invalid bearer token"),
        (200, None),
    ]


def test_python_warnings_are_json_log_lines(tmp_path: Path) -> None:
    # A process of its own: pytest takes over warnings in its own.
    code = "import warnings; import app.main; warnings.warn('an old API', UserWarning)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT / "app_todo",
        env={"PATH": os.environ.get("PATH", ""), "SQLITE_PATH": str(tmp_path / "todo.db")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    lines = [json.loads(line) for line in result.stderr.splitlines()]  # JSON, every one
    [line] = [line for line in lines if line["logger"] == "py.warnings"]
    assert line["level"] == "WARNING"
    assert "UserWarning: an old API" in line["message"]
