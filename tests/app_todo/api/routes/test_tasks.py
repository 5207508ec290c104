"""Every task route and every validation rule, on SQLite and on MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import DESCRIPTION_MAX, ID_MAX, TITLE_MAX, Task


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post("/tasks", json={"title": "a task", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def when(timestamp: str) -> datetime:
    # Compared as datetimes: the text drops a zero fraction of a second.
    return datetime.fromisoformat(timestamp)


def error_fields(response: Any) -> list[tuple[str, ...]]:
    """The ``loc`` of each 422 error, e.g. ("body", "title")."""
    assert response.status_code == 422, response.text
    return [tuple(str(part) for part in error["loc"]) for error in response.json()["detail"]]


# --- create and read -------------------------------------------------------------------------


def test_create_returns_the_task_with_server_fields(client: TestClient, session: Session) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)

    response = client.post("/tasks", json={"title": "Buy milk", "description": "2 litres"})

    assert response.status_code == 201
    task = response.json()
    assert task["title"] == "Buy milk"
    assert task["description"] == "2 litres"
    assert task["completed"] is False
    assert isinstance(task["id"], int)
    created = datetime.fromisoformat(task["created_at"])
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=1)
    assert when(task["updated_at"]) >= created
    stored = session.get(Task, task["id"])
    assert stored is not None and stored.title == "Buy milk"


def test_create_trims_the_title(client: TestClient) -> None:
    assert create(client, title="  padded \t")["title"] == "padded"


def test_create_accepts_limits_and_unicode(client: TestClient) -> None:
    title = "é" * (TITLE_MAX - 1) + "🙂"  # 200 characters, one of them outside the BMP
    task = create(client, title=title, description="x" * DESCRIPTION_MAX, completed=True)

    fetched = client.get(f"/tasks/{task['id']}").json()
    assert fetched["title"] == title
    assert len(fetched["description"]) == DESCRIPTION_MAX
    assert fetched["completed"] is True


def test_read_returns_the_same_task(client: TestClient) -> None:
    task = create(client, description=None)

    response = client.get(f"/tasks/{task['id']}")

    assert response.status_code == 200
    assert response.json() == task


# --- list and pagination -------------------------------------------------------------------


def test_list_is_empty_with_a_zero_count(client: TestClient) -> None:
    response = client.get("/tasks")

    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0}


def test_list_pages_in_id_order_with_the_total(client: TestClient) -> None:
    ids = [create(client, title=f"task {n}")["id"] for n in range(25)]

    first = client.get("/tasks").json()  # default limit 20
    second = client.get("/tasks", params={"offset": 20, "limit": 20}).json()
    middle = client.get("/tasks", params={"offset": 5, "limit": 3}).json()
    beyond = client.get("/tasks", params={"offset": 1000}).json()

    assert [t["id"] for t in first["data"]] == ids[:20]
    assert [t["id"] for t in second["data"]] == ids[20:]
    assert [t["id"] for t in middle["data"]] == ids[5:8]
    assert beyond["data"] == []
    assert first["count"] == second["count"] == middle["count"] == beyond["count"] == 25


def test_list_accepts_the_bounds(client: TestClient) -> None:
    create(client)

    for params in ({"limit": 1}, {"limit": 100}, {"offset": 0}, {"offset": ID_MAX}):
        assert client.get("/tasks", params=params).status_code == 200, params


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": -1},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": ID_MAX + 1},
        {"offset": 10**30},
        {"offset": "1.5"},
    ],
)
def test_list_refuses_out_of_range_paging(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/tasks", params=params)

    assert error_fields(response) == [("query", next(iter(params)))]


# --- replace (PUT) and update (PATCH) ------------------------------------------------------


def test_put_replaces_every_field_and_defaults_the_omitted(client: TestClient) -> None:
    task = create(client, title="old", description="old text", completed=True)

    response = client.put(f"/tasks/{task['id']}", json={"title": " new "})

    assert response.status_code == 200
    replaced = response.json()
    assert (replaced["title"], replaced["description"], replaced["completed"]) == (
        "new",
        None,
        False,
    )
    assert replaced["id"] == task["id"]
    assert replaced["created_at"] == task["created_at"]
    assert when(replaced["updated_at"]) > when(task["updated_at"])
    assert client.get(f"/tasks/{task['id']}").json() == replaced


def test_put_requires_the_title(client: TestClient) -> None:
    task = create(client)

    response = client.put(f"/tasks/{task['id']}", json={"completed": True})

    assert error_fields(response) == [("body", "title")]


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    task = create(client, title="keep", description="keep too")

    response = client.patch(f"/tasks/{task['id']}", json={"completed": True})

    assert response.status_code == 200
    patched = response.json()
    assert (patched["title"], patched["description"], patched["completed"]) == (
        "keep",
        "keep too",
        True,
    )
    assert when(patched["updated_at"]) > when(task["updated_at"])
    assert patched["created_at"] == task["created_at"]


def test_patch_can_clear_the_description_and_rename(client: TestClient) -> None:
    task = create(client, description="to clear")

    patched = client.patch(f"/tasks/{task['id']}", json={"description": None, "title": " b "})

    assert patched.status_code == 200
    assert (patched.json()["description"], patched.json()["title"]) == (None, "b")


def test_patch_with_an_empty_body_changes_nothing(client: TestClient) -> None:
    task = create(client, description="same")

    patched = client.patch(f"/tasks/{task['id']}", json={})

    assert patched.status_code == 200
    assert {k: patched.json()[k] for k in ("title", "description", "completed")} == {
        "title": "a task",
        "description": "same",
        "completed": False,
    }


@pytest.mark.parametrize("field", ["title", "completed"])
def test_patch_refuses_null_for_required_fields(client: TestClient, field: str) -> None:
    task = create(client)

    response = client.patch(f"/tasks/{task['id']}", json={field: None})

    assert error_fields(response) == [("body", field)]
    assert client.get(f"/tasks/{task['id']}").json() == task


# --- delete --------------------------------------------------------------------------------


def test_delete_removes_the_task(client: TestClient, session: Session) -> None:
    task = create(client)

    response = client.delete(f"/tasks/{task['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/tasks/{task['id']}").status_code == 404
    assert session.exec(select(Task)).all() == []


# --- 404 and invalid ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PUT", {"title": "x"}), ("PATCH", {"completed": True}), ("DELETE", None)],
)
def test_a_missing_task_is_404(client: TestClient, method: str, body: Any) -> None:
    task = create(client)
    client.delete(f"/tasks/{task['id']}")

    for task_id in (task["id"], ID_MAX):
        response = client.request(method, f"/tasks/{task_id}", json=body)
        assert response.status_code == 404
        assert response.json() == {"detail": "Task not found"}


@pytest.mark.parametrize("task_id", ["abc", "1.5", "0", "-1", str(ID_MAX + 1), "9" * 40, "%20"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_an_invalid_id_is_422_never_500(client: TestClient, method: str, task_id: str) -> None:
    response = client.request(method, f"/tasks/{task_id}", json={"title": "x"})

    assert ("path", "task_id") in error_fields(response)


# --- body validation, the same rules on create, replace and update --------------------------

INVALID_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "\t\n"}, "title"),
    ({"title": "x" * (TITLE_MAX + 1)}, "title"),
    ({"title": 5}, "title"),
    ({"title": ["a"]}, "title"),
    ({"title": "ok", "description": "x" * (DESCRIPTION_MAX + 1)}, "description"),
    ({"title": "ok", "description": 5}, "description"),
    ({"title": "ok", "completed": "yes"}, "completed"),
    ({"title": "ok", "completed": 1}, "completed"),
    ({"title": "ok", "completed": None}, "completed"),
    ({"title": "ok", "id": 7}, "id"),
    ({"title": "ok", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ({"title": "ok", "updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
    ({"title": "ok", "owner": "me"}, "owner"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_an_invalid_body_is_422_naming_the_field(
    client: TestClient, session: Session, method: str, body: dict[str, Any], field: str
) -> None:
    task = create(client, title="unchanged")
    url = "/tasks" if method == "POST" else f"/tasks/{task['id']}"

    response = client.request(method, url, json=body)

    assert error_fields(response) == [("body", field)]
    assert response.json()["detail"][0]["msg"]  # the reason
    assert [t.title for t in session.exec(select(Task)).all()] == ["unchanged"]


def test_create_requires_a_title(client: TestClient) -> None:
    assert error_fields(client.post("/tasks", json={"description": "no title"})) == [
        ("body", "title")
    ]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("not json", "application/json"),
        ('{"title": "unterminated', "application/json"),
        ('["a list"]', "application/json"),
        ("null", "application/json"),
        ('"a string"', "application/json"),
        ('{"title": "\\ud800"}', "application/json"),  # a lone surrogate, not text
        ('{"title": "ok"}', "text/plain"),
        ("", "application/json"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_that_is_not_a_json_object_is_422(
    client: TestClient, method: str, content: str, content_type: str
) -> None:
    task = create(client)
    url = "/tasks" if method == "POST" else f"/tasks/{task['id']}"

    response = client.request(method, url, content=content, headers={"content-type": content_type})

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_client_timestamps_cannot_be_forged_through_any_route(client: TestClient) -> None:
    task = create(client)
    forged = {"title": "t", "created_at": "2000-01-01T00:00:00Z"}

    for method in ("PUT", "PATCH"):
        assert client.request(method, f"/tasks/{task['id']}", json=forged).status_code == 422
    assert client.get(f"/tasks/{task['id']}").json()["created_at"] == task["created_at"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_that_is_not_utf8_is_422(client: TestClient, method: str) -> None:
    task = create(client)
    url = "/tasks" if method == "POST" else f"/tasks/{task['id']}"

    response = client.request(
        method, url, content=b'{"title": "\xff\xfe"}', headers={"content-type": "application/json"}
    )

    assert error_fields(response) == [("body",)]


@pytest.mark.parametrize(
    ("path", "allowed"), [("/tasks", "GET, POST"), ("/tasks/1", "DELETE, GET, PATCH, PUT")]
)
def test_an_unsupported_method_is_405_listing_every_allowed_one(
    client: TestClient, path: str, allowed: str
) -> None:
    response = client.request("OPTIONS", path)

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
