"""Bearer-token auth of the task routes: off by default, writes with API_TOKEN, reads too with
API_AUTH_READS; liveness, readiness and the docs always open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url

TOKEN = "s3cret-token"
GOOD = {"Authorization": f"Bearer {TOKEN}"}
BAD_HEADERS: list[dict[str, Any]] = [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": TOKEN},
    {"Authorization": "Bearer s3cr\u00e9t-token".encode()},  # not ASCII
]
WRITES = [
    ("POST", "/tasks"),
    ("PUT", "/tasks/{id}"),
    ("PATCH", "/tasks/{id}"),
    ("DELETE", "/tasks/{id}"),
]
READS = [("GET", "/tasks"), ("GET", "/tasks/{id}")]
OPEN = ["/", "/health/ready", "/docs", "/redoc", "/openapi.json"]


def started(tmp_path: Path, **settings: Any) -> Iterator[TestClient]:
    app = create_app(make_settings(sqlite_url(tmp_path / "todo.db"), **settings))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[TestClient]:
    yield from started(tmp_path, API_TOKEN=TOKEN)


@pytest.fixture
def guarded_reads(tmp_path: Path) -> Iterator[TestClient]:
    yield from started(tmp_path, API_TOKEN=TOKEN, API_AUTH_READS=True)


def call(client: TestClient, method: str, path: str, headers: dict[str, Any]) -> Any:
    task = client.post("/tasks", json={"title": "a task"}, headers=GOOD).json()
    body = {"title": "t"} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, path.format(id=task["id"]), json=body, headers=headers)


def assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Missing or invalid bearer token"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["x-request-id"]


# --- off (the default) ---------------------------------------------------------------------


def test_without_a_token_setting_everything_is_open(client: TestClient) -> None:
    for method, path in WRITES + READS:
        response = call(client, method, path, {})
        assert response.status_code in (200, 201, 204), (method, path, response.text)
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


def test_an_empty_token_setting_means_off(tmp_path: Path) -> None:
    for client in started(tmp_path, API_TOKEN=""):
        assert client.app.state.settings.API_TOKEN is None  # type: ignore[attr-defined]
        assert client.post("/tasks", json={"title": "t"}).status_code == 201


# --- on: writes need the token -------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_write_needs_the_token(guarded: TestClient, method: str, path: str) -> None:
    for headers in BAD_HEADERS:
        assert_refused(call(guarded, method, path, headers))

    assert call(guarded, method, path, GOOD).status_code in (200, 201, 204)


def test_a_refused_write_changes_nothing(guarded: TestClient) -> None:
    task = guarded.post("/tasks", json={"title": "kept"}, headers=GOOD).json()

    assert_refused(guarded.delete(f"/tasks/{task['id']}"))
    assert_refused(guarded.patch(f"/tasks/{task['id']}", json={"title": "changed"}))

    assert guarded.get(f"/tasks/{task['id']}").json() == task
    assert guarded.get("/tasks").json()["count"] == 1


@pytest.mark.parametrize(("method", "path"), READS)
def test_reads_stay_open_by_default(guarded: TestClient, method: str, path: str) -> None:
    assert call(guarded, method, path, {}).status_code == 200
    assert call(guarded, method, path, {"Authorization": "Bearer wrong"}).status_code == 200


@pytest.mark.parametrize("path", OPEN)
def test_health_and_docs_stay_open(guarded_reads: TestClient, path: str) -> None:
    assert guarded_reads.get(path).status_code == 200


def test_the_schema_documents_the_scheme_on_writes_only(guarded: TestClient) -> None:
    schema = guarded.get("/openapi.json").json()

    assert schema["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "The API token (API_TOKEN)",
        }
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            secured = path.startswith("/tasks") and method != "get"
            assert ("security" in operation) is secured, (method, path)
            assert ("401" in operation["responses"]) is secured, (method, path)
            if secured:
                assert operation["security"] == [{"HTTPBearer": []}]


# --- on, reads too -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), READS + WRITES)
def test_with_auth_reads_every_task_route_needs_the_token(
    guarded_reads: TestClient, method: str, path: str
) -> None:
    for headers in BAD_HEADERS:
        assert_refused(call(guarded_reads, method, path, headers))

    assert call(guarded_reads, method, path, GOOD).status_code in (200, 201, 204)


def test_with_auth_reads_the_schema_documents_the_scheme_on_every_task_route(
    guarded_reads: TestClient,
) -> None:
    schema = guarded_reads.get("/openapi.json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            secured = path.startswith("/tasks")
            assert ("security" in operation) is secured, (method, path)
