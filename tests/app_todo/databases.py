"""Test databases: a SQLite file, or a private database on the MariaDB test server.

.ci/setup_mariadb.sh starts the server. Each test session gets its own database on it
(``todo_test_<pid>_<random>``), so two runs on one server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from tests.conftest import require_component

DEFAULT_MYSQL_URL = "mysql+pymysql://todo:todo@127.0.0.1:3306/todo_test"


def mysql_server_url() -> URL:
    return make_url(os.environ.get("TODO_TEST_MYSQL_URL", DEFAULT_MYSQL_URL))


@cache
def _mariadb_problem(url: URL) -> str | None:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


def require_mariadb() -> URL:
    """The test server's URL; skips (fails in CI) when it does not answer."""
    url = mysql_server_url()
    problem = _mariadb_problem(url)
    require_component(
        problem is None,
        f"MariaDB not reachable at {url.render_as_string(hide_password=True)} ({problem}): "
        "run .ci/setup_mariadb.sh",
    )
    return url


@contextmanager
def fresh_mysql_database(server: URL, prefix: str | None = None) -> Iterator[URL]:
    """Create an empty database on ``server`` (same credentials) and drop it afterwards."""
    base = prefix or server.database or "todo_test"
    name = f"{base}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        yield server.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))
