"""Private databases on the MariaDB server of .ci/setup_mariadb.sh, for tests and benchmarks.

Each user gets its own database on the server (``<prefix>_<pid>_<random>``), so two runs on one
server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

DEFAULT_MYSQL_URL = "mysql+pymysql://todo:todo@127.0.0.1:3306/todo_test"


def mysql_server_url() -> URL:
    """The server's URL: TODO_TEST_MYSQL_URL, else the one .ci/setup_mariadb.sh creates."""
    return make_url(os.environ.get("TODO_TEST_MYSQL_URL", DEFAULT_MYSQL_URL))


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
