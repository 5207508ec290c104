"""Test databases: a SQLite file, or a private database on the MariaDB test server.

.ci/setup_mariadb.sh starts the server. Each test session gets its own database on it
(``todo_test_<pid>_<random>``), so two runs on one server never see each other's rows.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

# Shared with bench/, which must not import tests/; the tests import it from here as before.
from devtools.mysql_databases import fresh_mysql_database as fresh_mysql_database
from devtools.mysql_databases import mysql_server_url
from tests.conftest import require_component


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


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))
