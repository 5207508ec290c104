"""Headers on every answer: nosniff everywhere, no-store on the API's answers.

The ``server`` banner is uvicorn's (--no-server-header): see test_server_process.py and the
image tests (tests/docker/crud.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import DOCS_STATIC_URL, create_app
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url


def answers(client: TestClient) -> list[Any]:
    """One answer of each kind the API gives."""
    created = client.post("/tasks", json={"title": "a task"})
    return [
        client.get("/"),
        client.get("/health/ready"),
        created,
        client.get(f"/tasks/{created.json()['id']}"),
        client.get("/tasks"),
        client.get("/tasks/999999"),  # 404
        client.get("/nowhere"),  # 404 from the router
        client.request("OPTIONS", "/tasks"),  # 405
        client.post("/tasks", json={"title": ""}),  # 422
        client.post("/tasks", content=b"x" * 70_000),  # 413
        client.get("/openapi.json"),
        client.get("/docs"),
    ]


def test_every_api_answer_is_nosniff_and_no_store(client: TestClient) -> None:
    for response in answers(client):
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
        assert response.headers["cache-control"] == "no-store", response.request.url


def test_a_database_outage_answer_has_them_too(tmp_path: Path) -> None:
    settings = make_settings(sqlite_url(tmp_path / "missing" / "todo.db"), MIGRATE_ON_STARTUP=False)
    client = TestClient(create_app(settings))  # not entered: the database cannot open

    for response in (client.get("/tasks"), client.get("/health/ready")):
        assert response.status_code == 503
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("asset", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"])
def test_the_docs_assets_stay_cacheable(client: TestClient, asset: str) -> None:
    response = client.get(f"{DOCS_STATIC_URL}/{asset}")

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in response.headers.get("cache-control", "")
    assert response.headers["etag"]  # revalidated, not downloaded again
