"""Fixtures: the app on a real database (SQLite file and MariaDB), a TestClient, a session.

Route tests take ``client`` and run once per backend; the app is started once per backend
(its lifespan migrates the empty database) and the tasks table is emptied before each test.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.engine import URL
from sqlmodel import Session

from app.core.config import Settings
from app.core.logging import JsonFormatter
from app.main import create_app
from app.models import Task
from tests.app_todo.databases import fresh_mysql_database, require_mariadb, sqlite_url
from tests.app_todo.private_mariadb import PrivateMariaDB, private_mariadb_server

BACKENDS = ["sqlite", "mariadb"]


def make_settings(url: URL | str, **overrides: Any) -> Settings:
    """Settings for tests: the given database, fail fast instead of waiting 24 s."""
    values: dict[str, Any] = {
        "DATABASE_URL": url if isinstance(url, str) else url.render_as_string(hide_password=False),
        "DB_WAIT_ATTEMPTS": 1,
        "DB_WAIT_INTERVAL": 0,
        "LOG_LEVEL": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def mariadb_server() -> URL:
    """URL of the MariaDB test server (skips, or fails in CI, when it is not reachable)."""
    return require_mariadb()


@pytest.fixture(scope="session")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    """A MariaDB of the tests' own, which they may stop, start, freeze and thaw."""
    with private_mariadb_server() as server:
        yield server


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[URL]:
    """An empty database of each backend, for the whole session."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("sqlite") / "todo.db")
        return
    server: URL = request.getfixturevalue("mariadb_server")
    with fresh_mysql_database(server) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: URL) -> FastAPI:
    return create_app(make_settings(database_url))


@pytest.fixture(scope="session")
def started_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:  # runs the lifespan: wait for the database, migrate
        yield client


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.engine
    return engine


@pytest.fixture
def client(started_client: TestClient, engine: Engine) -> TestClient:
    """A client of the running app, with no tasks in its database."""
    with engine.begin() as connection:
        connection.execute(delete(Task))
    return started_client


@pytest.fixture
def session(client: TestClient, engine: Engine) -> Iterator[Session]:
    """A session on the same database as ``client``."""
    with Session(engine) as session:
        yield session


class JsonLog:
    """What the app logged while a test ran, formatted as its JSON lines."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        # Every line must be JSON: json.loads fails the test on any other.
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    """The root logger's records, through the app's JSON formatter, for one test."""
    log = JsonLog()
    handler = logging.StreamHandler(log.stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield log
    finally:
        root.removeHandler(handler)
