"""A database outage while the app runs: a clean 503, then recovery without a restart.

Uses a private MariaDB that the test stops and starts, behind a real uvicorn.
"""

from __future__ import annotations

import requests

from app.api.errors import DATABASE_UNAVAILABLE
from app.main import create_app
from tests.app_todo.conftest import JsonLog, make_settings
from tests.app_todo.live_server import serve
from tests.app_todo.private_mariadb import PrivateMariaDB


def test_readiness_follows_the_database_and_the_app_recovers_by_itself(
    private_mariadb: PrivateMariaDB, json_log: JsonLog
) -> None:
    app = create_app(make_settings(private_mariadb.url, DB_CONNECT_TIMEOUT=2))

    with serve(app) as base:
        # GIVEN a running app with a task and pooled connections
        # (the private server is shared with other outage tests: count from here)
        before = requests.get(f"{base}/tasks", timeout=10).json()["count"]
        created = requests.post(f"{base}/tasks", json={"title": "survives"}, timeout=10)
        assert created.status_code == 201
        task_url = f"{base}/tasks/{created.json()['id']}"
        assert requests.get(f"{base}/health/ready", timeout=10).status_code == 200

        # WHEN the database goes away
        private_mariadb.stop()

        # THEN readiness says so, routes answer 503 (not 500), liveness stays up; the answers
        # say when to retry and nothing of hosts, drivers or error codes: those are in the log,
        # with the request's id
        ready = requests.get(f"{base}/health/ready", timeout=30)
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "detail": DATABASE_UNAVAILABLE}
        assert ready.headers["retry-after"] == "5"
        answers = [ready]
        for method, url, body in [
            ("GET", task_url, None),
            ("GET", f"{base}/tasks", None),
            ("POST", f"{base}/tasks", {"title": "lost"}),
        ]:
            response = requests.request(method, url, json=body, timeout=30)
            assert response.status_code == 503, (method, url, response.text)
            assert response.json() == {"detail": DATABASE_UNAVAILABLE}
            assert response.headers["retry-after"]
            answers.append(response)
        assert requests.get(f"{base}/", timeout=10).status_code == 200
        logged = {line.get("request_id"): line for line in json_log.lines() if "reason" in line}
        for answer in answers:
            for secret in ("2003", "127.0.0.1", "MySQL", "OperationalError", "pymysql"):
                assert secret not in answer.text
            line = logged[answer.headers["x-request-id"]]
            assert line["level"] == "WARNING"
            assert "database not ready" in line["message"] or "unavailable" in line["message"]
        assert any("2003" in line["reason"] for line in logged.values())  # can't connect

        # WHEN the database is back (same app process, same engine and pool)
        private_mariadb.start()

        # THEN it is ready again and CRUD works, the earlier data included
        assert requests.get(f"{base}/health/ready", timeout=30).status_code == 200
        assert requests.get(task_url, timeout=10).json()["title"] == "survives"
        patched = requests.patch(task_url, json={"completed": True}, timeout=10)
        assert patched.status_code == 200 and patched.json()["completed"] is True
        assert requests.post(f"{base}/tasks", json={"title": "new"}, timeout=10).status_code == 201
        assert requests.delete(task_url, timeout=10).status_code == 204
        assert requests.get(f"{base}/tasks", timeout=10).json()["count"] == before + 1
