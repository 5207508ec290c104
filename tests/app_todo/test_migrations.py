"""Alembic from an empty database, on SQLite and MariaDB: upgrade, match the models, downgrade."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL
from sqlmodel import SQLModel

from app.core.db import make_engine
from app.prestart import alembic_config, migrate
from tests.app_todo.conftest import BACKENDS, make_settings
from tests.app_todo.databases import fresh_mysql_database, sqlite_url


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(make_settings(sqlite_url(tmp_path / "empty.db")))
        yield engine
        engine.dispose()
        return
    server: URL = request.getfixturevalue("mariadb_server")
    with fresh_mysql_database(server, prefix="todo_migrations") as url:
        engine = make_engine(make_settings(url))
        yield engine
        engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_creates_the_schema_the_models_describe(empty_engine: Engine) -> None:
    assert tables(empty_engine) == set()

    migrate(empty_engine)

    assert tables(empty_engine) == {"tasks", "alembic_version"}
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == "0001"
        # The hand-written migration and app/models.py agree, column types included.
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_twice_is_a_no_op(empty_engine: Engine) -> None:
    migrate(empty_engine)
    migrate(empty_engine)

    assert tables(empty_engine) == {"tasks", "alembic_version"}


def test_downgrade_to_base_removes_the_table_and_upgrade_restores_it(empty_engine: Engine) -> None:
    migrate(empty_engine)

    with empty_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert "tasks" not in tables(empty_engine)

    migrate(empty_engine)
    assert "tasks" in tables(empty_engine)


def test_tasks_starting_together_migrate_once(mariadb_server: URL) -> None:
    # Tasks of one service start at the same time; the MySQL lock makes them take turns.
    with fresh_mysql_database(mariadb_server, prefix="todo_migrations") as url:
        engine = make_engine(make_settings(url))
        errors: list[BaseException] = []

        def run() -> None:
            try:
                migrate(engine)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert errors == []
        assert tables(engine) == {"tasks", "alembic_version"}
        engine.dispose()
