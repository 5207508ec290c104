"""Create, read, update and delete a task over HTTP, as a client of the running API would."""

from __future__ import annotations

import requests

TIMEOUT_S = 10


def exercise_crud(base_url: str) -> None:
    """GIVEN a running API WHEN a task goes through its life THEN every step answers right."""
    session = requests.Session()
    root = session.get(f"{base_url}/", timeout=TIMEOUT_S)
    assert root.status_code == 200
    assert root.json() == {"message": "CloudTasks TODO API is running"}
    assert "server" not in root.headers  # uvicorn runs with --no-server-header
    assert root.headers["x-content-type-options"] == "nosniff"
    assert session.get(f"{base_url}/health/ready", timeout=TIMEOUT_S).status_code == 200

    created = session.post(
        f"{base_url}/tasks", json={"title": "  ship it  ", "description": "d"}, timeout=TIMEOUT_S
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["title"] == "ship it"
    assert task["completed"] is False
    url = f"{base_url}/tasks/{task['id']}"

    assert session.get(url, timeout=TIMEOUT_S).json()["title"] == "ship it"
    patched = session.patch(url, json={"completed": True}, timeout=TIMEOUT_S)
    assert patched.status_code == 200 and patched.json()["completed"] is True
    put = session.put(
        url, json={"title": "shipped", "description": None, "completed": True}, timeout=TIMEOUT_S
    )
    assert put.status_code == 200 and put.json()["title"] == "shipped"

    listed = session.get(f"{base_url}/tasks", params={"limit": 100}, timeout=TIMEOUT_S).json()
    assert task["id"] in [item["id"] for item in listed["data"]]
    assert listed["count"] >= 1

    invalid = session.post(f"{base_url}/tasks", json={"title": "   "}, timeout=TIMEOUT_S)
    assert invalid.status_code == 422

    assert session.delete(url, timeout=TIMEOUT_S).status_code == 204
    missing = session.get(url, timeout=TIMEOUT_S)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Task not found"
