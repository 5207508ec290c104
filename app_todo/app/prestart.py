"""Before serving: wait for the database (bounded retries with backoff), then migrate.

The app's lifespan runs this, so every way of starting it is safe; ``python -m app.prestart``
runs it alone (for an init container or an operator).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from app.core.config import Settings, get_settings
from app.core.db import UNAVAILABLE_ERRORS, describe_error, make_engine, password_source, ping
from app.core.logging import configure_logging

logger = logging.getLogger(__name__)

APP_ROOT = Path(__file__).resolve().parent.parent  # app_todo/ here, /app in the image
MIGRATION_LOCK = "cloudtasks_todo_migrations"
MIGRATION_LOCK_TIMEOUT_S = 120


class DatabaseUnavailableError(RuntimeError):
    """The database did not answer within the configured attempts."""


def wait_for_database(
    engine: Engine,
    *,
    attempts: int,
    interval: float,
    backoff: float = 1.0,
    max_interval: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Ping until the database answers; return the attempt that succeeded, or raise."""
    target = engine.url.render_as_string(hide_password=True)
    delay = interval
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            ping(engine)
        except UNAVAILABLE_ERRORS as exc:
            reason = describe_error(exc)
            if attempt == attempts:
                break
            logger.warning(
                "database not reachable (attempt %d/%d), retrying in %.1f s: %s",
                attempt,
                attempts,
                delay,
                reason,
                extra={"attempt": attempt, "attempts": attempts, "database": target},
            )
            sleep(delay)
            delay = min(delay * backoff, max_interval)
        else:
            logger.info("database answered (attempt %d/%d)", attempt, attempts)
            return attempt
    raise DatabaseUnavailableError(
        f"database {target} not reachable after {attempts} attempts: {reason}"
    )


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without an ini file (logging stays ours)."""
    config = Config()
    config.set_main_option("script_location", str(APP_ROOT / "alembic"))
    config.attributes["connection"] = connection
    return config


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """On MySQL, one task migrates at a time (tasks of a service start together)."""
    if connection.dialect.name != "mysql":
        yield
        return
    acquired = connection.execute(
        text("SELECT GET_LOCK(:name, :timeout)"),
        {"name": MIGRATION_LOCK, "timeout": MIGRATION_LOCK_TIMEOUT_S},
    ).scalar()
    connection.commit()  # the lock is the session's; the migration runs its own transaction
    if acquired != 1:
        raise RuntimeError(f"could not take the migration lock within {MIGRATION_LOCK_TIMEOUT_S} s")
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MIGRATION_LOCK})
        connection.commit()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``."""
    with engine.connect() as connection, migration_lock(connection):
        command.upgrade(alembic_config(connection), revision)
        # Committed before the lock is released, so the next task sees the new version.
        connection.commit()
    logger.info("database schema at %s", revision)


def wait_as_configured(settings: Settings, engine: Engine) -> None:
    """Wait for the database with the retries and backoff the settings give."""
    wait_for_database(
        engine,
        attempts=settings.DB_WAIT_ATTEMPTS,
        interval=settings.DB_WAIT_INTERVAL,
        backoff=settings.DB_WAIT_BACKOFF,
        max_interval=settings.DB_WAIT_MAX_INTERVAL,
    )


def prepare_database(settings: Settings, engine: Engine) -> None:
    wait_as_configured(settings, engine)
    if settings.MIGRATE_ON_STARTUP:
        migrate(engine)


def main() -> int:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    engine = make_engine(settings, password_source(settings))
    try:
        wait_as_configured(settings, engine)
        migrate(engine)
    except DatabaseUnavailableError as exc:
        logger.error("%s", exc)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
