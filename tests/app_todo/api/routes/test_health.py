"""Liveness and readiness, on both backends (the outage case is in test_readiness_outage.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.api.errors import DATABASE_UNAVAILABLE, DB_RETRY_AFTER_S
from app.main import create_app
from tests.app_todo.conftest import JsonLog, make_settings
from tests.app_todo.databases import sqlite_url


def test_liveness_answers_without_the_database(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.json() == {"message": "CloudTasks TODO API is running"}


def test_readiness_is_ready_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readiness_is_503_with_a_clean_reason_when_the_database_cannot_open(
    tmp_path: Path, json_log: JsonLog
) -> None:
    # GIVEN an app whose SQLite file lies in a directory that does not exist (no startup wait)
    settings = make_settings(sqlite_url(tmp_path / "missing" / "todo.db"), MIGRATE_ON_STARTUP=False)
    app = create_app(settings)
    client = TestClient(app)  # not entered: the lifespan would fail waiting for the database

    # WHEN readiness and a route that needs the database are asked
    ready = client.get("/health/ready")
    listing = client.get("/tasks")

    # THEN both answer 503 (not 500) saying the database is unavailable and when to retry...
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "detail": DATABASE_UNAVAILABLE}
    assert listing.status_code == 503
    assert listing.json() == {"detail": DATABASE_UNAVAILABLE}
    assert listing.headers["retry-after"] == DB_RETRY_AFTER_S
    # ... and the cause is in the log, with each request's id, not in the answers
    lines = json_log.lines()
    for response, logger in [(ready, "app.api.routes.health"), (listing, "app.api.errors")]:
        assert "OperationalError" not in response.text
        assert "unable to open database file" not in response.text
        assert any(
            line["logger"] == logger
            and line["level"] == "WARNING"
            and "unable to open database file" in line["reason"]
            and line["request_id"] == response.headers["x-request-id"]
            for line in lines
        ), lines
