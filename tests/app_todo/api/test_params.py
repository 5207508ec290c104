"""Task ids in paths: plain positive integers only, 1 to 2147483647, one spelling per task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from app.models import ID_MAX

METHODS = ["GET", "PUT", "PATCH", "DELETE"]


def arabic_indic(digits: str) -> str:
    return quote("".join(chr(0x0660 + int(d)) for d in digits))


def fullwidth(digits: str) -> str:
    return quote("".join(chr(0xFF10 + int(d)) for d in digits))


# Other spellings of an existing task's id (lax int parsing takes most of them), and why each
# is refused; then numbers no task can have.
SPELLINGS: list[tuple[Callable[[str], str], str]] = [
    (lambda i: f"%20{i}", "a leading space"),
    (lambda i: f"{i}%20", "a trailing space"),
    (lambda i: f"%09{i}", "a leading tab"),
    (lambda i: f"+{i}", "a plus sign"),
    (lambda i: f"0{i}", "a leading zero"),
    (lambda i: f"{i[:-1]}_{i[-1]}" if len(i) > 1 else f"0_{i}", "a digit separator"),
    (lambda i: f"{i}.0", "a decimal point"),
    (lambda i: f"{i}e0", "an exponent"),
    (arabic_indic, "Arabic-Indic digits"),
    (fullwidth, "fullwidth digits"),
    (lambda i: hex(int(i)), "hexadecimal"),
    (lambda _: "0", "zero"),
    (lambda _: "-1", "negative"),
    (lambda _: str(ID_MAX + 1), "above MySQL INT"),
    (lambda _: "9" * 40, "far above"),
]


def create(client: TestClient) -> dict[str, Any]:
    response = client.post("/tasks", json={"title": "a task"})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("spell", "why"), SPELLINGS, ids=[why for _, why in SPELLINGS])
@pytest.mark.parametrize("method", METHODS)
def test_an_id_that_is_not_plain_digits_is_422(
    client: TestClient, method: str, spell: Callable[[str], str], why: str
) -> None:
    task = create(client)
    spelling = spell(str(task["id"]))

    response = client.request(method, f"/tasks/{spelling}", json={"title": "x"})

    assert response.status_code == 422, (spelling, why, response.text)
    [error] = [e for e in response.json()["detail"] if e["loc"] == ["path", "task_id"]]
    assert error["type"] in ("int_parsing", "greater_than_equal", "less_than_equal")
    assert error["msg"]
    assert client.get(f"/tasks/{task['id']}").json() == task  # untouched


@pytest.mark.parametrize("method", METHODS)
def test_plain_ids_from_1_to_the_maximum_are_accepted(client: TestClient, method: str) -> None:
    task = create(client)

    for task_id in ("1", "7", str(ID_MAX), str(task["id"])):
        response = client.request(method, f"/tasks/{task_id}", json={"title": "x"})
        # Found or not, the id itself was accepted.
        assert response.status_code in (200, 204, 404), (task_id, response.text)


def test_the_schema_documents_the_id_as_a_bounded_integer(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/tasks/{task_id}"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "task_id"]

    assert parameter["in"] == "path"
    assert parameter["schema"]["type"] == "integer"
    assert parameter["schema"]["minimum"] == 1
    assert parameter["schema"]["maximum"] == 2**31 - 1
