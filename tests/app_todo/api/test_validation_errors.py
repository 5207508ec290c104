"""A 422 names the field and the rule, and echoes at most the start of what was sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.errors import ECHO_MAX_CHARS, ERRORS_MAX
from app.main import create_app
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url

TEN_MB = 10 * 1024 * 1024
JSON = {"content-type": "application/json"}
CLIPPED = "\u2026"


@pytest.fixture(scope="module")
def big_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app that lets 10 MB bodies in, so what is echoed is the 422's doing, not the 413's."""
    database = sqlite_url(tmp_path_factory.mktemp("echo") / "todo.db")
    app = create_app(make_settings(database, MAX_BODY_BYTES=2 * TEN_MB))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def errors(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    detail: list[dict[str, Any]] = response.json()["detail"]
    return detail


def test_a_10_mb_field_comes_back_as_a_short_prefix(big_client: TestClient) -> None:
    response = big_client.post("/tasks", json={"title": "x" * TEN_MB})

    [error] = errors(response)
    assert error["loc"] == ["body", "title"]
    assert error["type"] == "string_too_long"
    assert error["ctx"] == {"max_length": 200}
    assert error["msg"]
    assert error["input"] == "x" * ECHO_MAX_CHARS + CLIPPED
    assert len(response.content) < 1000


def test_a_whole_body_echoed_is_clipped_inside(big_client: TestClient) -> None:
    # The "missing" error echoes the whole body: every value in it is clipped, and its items.
    body = {"description": "d" * TEN_MB, **{f"extra{n}": n for n in range(30)}}

    response = big_client.post("/tasks", json=body)

    missing = next(e for e in errors(response) if e["type"] == "missing")
    assert missing["loc"] == ["body", "title"]
    assert missing["input"]["description"] == "d" * ECHO_MAX_CHARS + CLIPPED
    assert len(missing["input"]) <= 11  # ten items and a mark
    assert len(response.content) < 5000


def test_an_unknown_field_with_a_huge_name_is_named_by_its_start(big_client: TestClient) -> None:
    body = json.dumps({"title": "ok", "k" * TEN_MB: 1})

    response = big_client.post("/tasks", content=body, headers=JSON)

    [error] = errors(response)
    assert error["type"] == "extra_forbidden"
    assert error["loc"] == ["body", "k" * ECHO_MAX_CHARS + CLIPPED]
    assert len(response.content) < 1000


def test_a_huge_number_is_clipped_like_text(big_client: TestClient) -> None:
    body = '{"title": "ok", "completed": ' + "9" * 4000 + "}"

    response = big_client.post("/tasks", content=body, headers=JSON)

    [error] = errors(response)
    assert error["loc"] == ["body", "completed"]
    assert error["input"] == "9" * ECHO_MAX_CHARS + CLIPPED


def test_a_long_query_value_is_clipped(big_client: TestClient) -> None:
    response = big_client.get("/tasks", params={"limit": "7" * 5000})

    [error] = errors(response)
    assert error["loc"] == ["query", "limit"]
    assert error["input"] == "7" * ECHO_MAX_CHARS + CLIPPED


def test_short_inputs_come_back_whole_and_ascii_escaped(big_client: TestClient) -> None:
    response = big_client.post("/tasks", json={"title": "ok", "completed": "yés"})

    [error] = errors(response)
    assert (error["loc"], error["type"], error["input"]) == (
        ["body", "completed"],
        "bool_type",
        "yés",
    )
    assert response.content.isascii()  # AsciiJSONResponse, as before
    assert b"y\\u00e9s" in response.content


def test_many_mistakes_give_the_first_ones_and_a_count(big_client: TestClient) -> None:
    body = {"title": "ok", **{f"unknown{n}": n for n in range(5000)}}

    response = big_client.post("/tasks", json=body)

    detail = errors(response)
    assert len(detail) == ERRORS_MAX + 1
    assert [e["type"] for e in detail[:ERRORS_MAX]] == ["extra_forbidden"] * ERRORS_MAX
    assert detail[-1] == {
        "type": "too_many_errors",
        "loc": [],
        "msg": f"And {5000 - ERRORS_MAX} more errors",
    }
    assert len(response.content) < 5000
