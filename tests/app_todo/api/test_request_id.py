"""Request ids: taken from X-Request-ID or made, returned, and in every JSON log line."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url


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
