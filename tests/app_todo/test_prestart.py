"""Startup: bounded retries with backoff, then a clear error; migrations after the wait."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from app.core.db import make_engine
from app.main import create_app
from app.prestart import DatabaseUnavailableError, wait_for_database
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url
from tests.conftest import REPO_ROOT

# Nothing listens here (the port range is this test suite's own): connections are refused.
CLOSED_MYSQL_URL = "mysql+pymysql://todo:todo@127.0.0.1:4669/todo"


def test_wait_gives_up_after_the_configured_attempts_with_a_clear_error() -> None:
    engine = make_engine(make_settings(CLOSED_MYSQL_URL))
    sleeps: list[float] = []

    with pytest.raises(DatabaseUnavailableError) as raised:
        wait_for_database(
            engine, attempts=4, interval=3, backoff=2, max_interval=10, sleep=sleeps.append
        )

    # Three waits between four attempts, growing by the backoff factor up to the cap.
    assert sleeps == [3, 6, 10]
    message = str(raised.value)
    assert "127.0.0.1:4669" in message and "after 4 attempts" in message
    assert "2003" in message  # the driver's reason: can't connect
    assert "todo:todo" not in message  # no password


def test_wait_returns_as_soon_as_the_database_answers(tmp_path: Path) -> None:
    engine = make_engine(make_settings(sqlite_url(tmp_path / "todo.db")))
    sleeps: list[float] = []

    assert wait_for_database(engine, attempts=8, interval=3, sleep=sleeps.append) == 1
    assert sleeps == []


def test_the_app_refuses_to_start_without_a_database() -> None:
    app = create_app(make_settings(CLOSED_MYSQL_URL, DB_WAIT_ATTEMPTS=2, DB_WAIT_INTERVAL=0.01))

    with pytest.raises(DatabaseUnavailableError, match="after 2 attempts"), TestClient(app):
        pass


def test_the_app_migrates_an_empty_database_at_startup(tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url(tmp_path / "todo.db")))

    with TestClient(app) as client:
        assert client.post("/tasks", json={"title": "first"}).status_code == 201

    assert {"tasks", "alembic_version"} <= set(inspect(app.state.engine).get_table_names())


def test_prestart_module_exits_1_with_the_reason(tmp_path: Path) -> None:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": CLOSED_MYSQL_URL,
        "DB_WAIT_ATTEMPTS": "2",
        "DB_WAIT_INTERVAL": "0",
    }

    result = subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        cwd=REPO_ROOT / "app_todo",
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "not reachable after 2 attempts" in result.stderr


def test_prestart_module_migrates(tmp_path: Path) -> None:
    result = run_prestart(REPO_ROOT / "app_todo", tmp_path / "todo.db")

    assert result.returncode == 0, result.stderr
    assert "database schema at head" in result.stderr


def run_prestart(cwd: Path, sqlite_path: Path) -> subprocess.CompletedProcess[str]:
    """``python -m app.prestart`` from ``cwd`` on a SQLite file, with a bare environment."""
    return subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "SQLITE_PATH": str(sqlite_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
