"""Request bodies over MAX_BODY_BYTES get 413 without being read whole.

Over real HTTP (uvicorn) where it is the server's behaviour: a declared Content-Length over
the limit is answered before any of the body is sent, a chunked body as soon as the limit is
passed, before it ends.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.app_todo.conftest import JsonLog, make_settings
from tests.app_todo.databases import sqlite_url
from tests.app_todo.live_server import serve

LIMIT = Settings.model_fields["MAX_BODY_BYTES"].default
TOO_LARGE = {"detail": f"Request body larger than {LIMIT} bytes"}


def padded_task(size: int) -> bytes:
    """A valid task body of exactly ``size`` bytes (JSON allows trailing spaces)."""
    body = json.dumps({"title": "padded"}).encode()
    return body + b" " * (size - len(body))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = sqlite_url(tmp_path_factory.mktemp("body-limit") / "todo.db")
    app = create_app(make_settings(database))
    with serve(app) as url:
        yield url
    app.state.engine.dispose()


def connect(base_url: str) -> http.client.HTTPConnection:
    host, port = base_url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def test_the_default_limit_is_64_kib() -> None:
    assert LIMIT == 65536


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    base_url: str,
) -> None:
    # GIVEN a request that announces 10 MB
    connection = connect(base_url)
    connection.putrequest("POST", "/tasks")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(10 * 1024 * 1024))
    connection.endheaders()

    # WHEN not one byte of its body is sent THEN the answer is already there
    response = connection.getresponse()

    assert response.status == 413
    assert json.loads(response.read()) == TOO_LARGE
    assert response.getheader("content-type") == "application/json"
    assert response.getheader("connection") == "close"
    assert response.getheader("x-request-id")
    connection.close()


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(base_url: str) -> None:
    # GIVEN a chunked upload with no declared length
    connection = connect(base_url)
    connection.putrequest("POST", "/tasks")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()

    # WHEN a little more than the limit is sent, and the body never ends
    chunk = b"x" * 4096
    for _ in range(LIMIT // len(chunk) + 1):
        connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    # THEN 413 comes back without waiting for the rest
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == TOO_LARGE
    connection.close()


def test_a_chunked_body_at_the_limit_is_served(base_url: str) -> None:
    body = padded_task(LIMIT)

    def chunks() -> Iterator[bytes]:  # a generator: requests sends it chunked
        for start in range(0, len(body), 5000):
            yield body[start : start + 5000]

    response = requests.post(
        f"{base_url}/tasks", data=chunks(), headers={"Content-Type": "application/json"}, timeout=10
    )

    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("size", "status"), [(LIMIT - 1, 201), (LIMIT, 201), (LIMIT + 1, 413)])
def test_the_limit_counts_bytes(client: TestClient, size: int, status: int) -> None:
    response = client.post(
        "/tasks", content=padded_task(size), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == status, response.text


def test_the_limit_is_a_setting_and_a_refusal_is_logged_with_its_reason(
    tmp_path: Path, json_log: JsonLog
) -> None:
    settings = make_settings(sqlite_url(tmp_path / "todo.db"), MAX_BODY_BYTES=100, LOG_LEVEL="INFO")
    with TestClient(create_app(settings)) as client:
        refused = client.post("/tasks", json={"title": "x" * 100})
        served = client.post("/tasks", json={"title": "x" * 50})

    assert refused.status_code == 413
    assert refused.json() == {"detail": "Request body larger than 100 bytes"}
    assert served.status_code == 201
    [line] = [
        line
        for line in json_log.lines()
        if line["logger"] == "app.request" and line["status"] == 413
    ]
    assert line["reason"] == "body over 100 bytes"
    assert line["request_id"] == refused.headers["x-request-id"]
