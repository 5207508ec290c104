"""A database outage while the app runs: 503 with a reason, then recovery without a restart.

Uses a private MariaDB (port 3307) that the test stops and starts, behind a real uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from app.main import create_app
from tests.app_todo.conftest import make_settings
from tests.app_todo.live_server import serve
from tests.app_todo.private_mariadb import PrivateMariaDB
from tests.conftest import require_component


@pytest.fixture(scope="module")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    problem = PrivateMariaDB.available()
    require_component(problem is None, f"cannot run a private MariaDB: {problem}")
    server = PrivateMariaDB()
    try:
        server.install()
        server.start()
        server.create_app_user()
        yield server
    finally:
        server.destroy()


def test_readiness_follows_the_database_and_the_app_recovers_by_itself(
    private_mariadb: PrivateMariaDB,
) -> None:
    app = create_app(make_settings(private_mariadb.url, DB_CONNECT_TIMEOUT=2))

    with serve(app) as base:
        # GIVEN a running app with a task and pooled connections
        created = requests.post(f"{base}/tasks", json={"title": "survives"}, timeout=10)
        assert created.status_code == 201
        task_url = f"{base}/tasks/{created.json()['id']}"
        assert requests.get(f"{base}/health/ready", timeout=10).status_code == 200

        # WHEN the database goes away
        private_mariadb.stop()

        # THEN readiness says so with the reason, routes answer 503 (not 500), liveness stays up
        ready = requests.get(f"{base}/health/ready", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert "2003" in ready.json()["detail"]  # can't connect
        for method, url, body in [
            ("GET", task_url, None),
            ("GET", f"{base}/tasks", None),
            ("POST", f"{base}/tasks", {"title": "lost"}),
        ]:
            response = requests.request(method, url, json=body, timeout=30)
            assert response.status_code == 503, (method, url, response.text)
            assert response.json()["detail"].startswith("Database unavailable: ")
        assert requests.get(f"{base}/", timeout=10).status_code == 200

        # WHEN the database is back (same app process, same engine and pool)
        private_mariadb.start()

        # THEN it is ready again and CRUD works, the earlier data included
        assert requests.get(f"{base}/health/ready", timeout=30).status_code == 200
        assert requests.get(task_url, timeout=10).json()["title"] == "survives"
        patched = requests.patch(task_url, json={"completed": True}, timeout=10)
        assert patched.status_code == 200 and patched.json()["completed"] is True
        assert requests.post(f"{base}/tasks", json={"title": "new"}, timeout=10).status_code == 201
        assert requests.delete(task_url, timeout=10).status_code == 204
        assert requests.get(f"{base}/tasks", timeout=10).json()["count"] == 1
