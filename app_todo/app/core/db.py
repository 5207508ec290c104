"""The engines (one of each per app) and how database errors are described to clients.

Requests use an asyncio engine (aiomysql, which is PyMySQL's protocol under asyncio, or
aiosqlite): no thread per request, so a busy task spends its CPU on requests rather than on
handing them between threads. Start-up (the wait for the database and the Alembic migrations)
and tools use a plain engine on the same database (PyMySQL, sqlite3).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.config import Settings
from app.core.db_password import PasswordSource, read_again_when_refused


class DatabaseBusy(Exception):
    """Too many requests already wait for the database (app/core/gate.py)."""


class DatabaseDown(Exception):
    """The database failed just now, and another request is already trying it again."""


class DatabaseTimeout(Exception):
    """A request's database work did not finish within DB_TIMEOUT (a hung database)."""


# Errors that mean "the database is not there right now" (as opposed to a bug in a query).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    DatabaseBusy,
    DatabaseDown,
    DatabaseTimeout,
)

# The asyncio driver for each blocking one the settings may name.
ASYNC_DRIVERS = {
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
    "mysql+aiomysql": "mysql+aiomysql",
    "mariadb+pymysql": "mariadb+aiomysql",
    "mariadb+aiomysql": "mariadb+aiomysql",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}
BLOCKING_DRIVERS = {
    "mysql+aiomysql": "mysql+pymysql",
    "mariadb+aiomysql": "mariadb+pymysql",
    "sqlite+aiosqlite": "sqlite",
}


def blocking_url(url: URL) -> URL:
    return url.set(drivername=BLOCKING_DRIVERS.get(url.drivername, url.drivername))


def async_url(url: URL) -> URL:
    """The same database through its asyncio driver; ValueError for a driver with none."""
    try:
        return url.set(drivername=ASYNC_DRIVERS[url.drivername])
    except KeyError:
        known = ", ".join(sorted(ASYNC_DRIVERS))
        message = f"unsupported database driver {url.drivername!r} (use one of: {known})"
        raise ValueError(message) from None


def password_source(settings: Settings) -> PasswordSource | None:
    """Where a rotated MySQL password is read again (DB_SECRET_ARN), or None: a fixed one."""
    url = settings.database_url
    if settings.DB_SECRET_ARN is None or url.get_backend_name() != "mysql":
        return None
    return PasswordSource(
        settings.DB_SECRET_ARN,
        key=settings.DB_SECRET_KEY,
        initial=url.password if isinstance(url.password, str) else None,
        min_interval=settings.DB_SECRET_REFRESH_INTERVAL,
    )


def make_engine(settings: Settings, passwords: PasswordSource | None = None) -> Engine:
    """The blocking engine, for start-up (wait, migrate) and tools: a connection at a time."""
    url = blocking_url(settings.database_url)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        connect_args["timeout"] = settings.DB_TIMEOUT
    else:
        connect_args["connect_timeout"] = settings.DB_CONNECT_TIMEOUT
        connect_args["read_timeout"] = settings.DB_TIMEOUT
        connect_args["write_timeout"] = settings.DB_TIMEOUT
    engine = create_engine(
        url, connect_args=connect_args, pool_pre_ping=True, pool_recycle=settings.DB_POOL_RECYCLE
    )
    if passwords is not None:
        read_again_when_refused(engine, passwords, asyncio_driver=False)
    return engine


def make_async_engine(settings: Settings, passwords: PasswordSource | None = None) -> AsyncEngine:
    """The requests' engine: DB_POOL_SIZE connections, which the gate never oversubscribes."""
    url = async_url(settings.database_url)
    kwargs: dict[str, Any] = {
        # A connection killed by a database restart is noticed and replaced before use.
        "pool_pre_ping": True,
        "pool_recycle": settings.DB_POOL_RECYCLE,
    }
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        # How long a writer waits for SQLite's file lock before "database is locked".
        connect_args["timeout"] = settings.DB_TIMEOUT
    else:
        connect_args["connect_timeout"] = settings.DB_CONNECT_TIMEOUT
    if url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:"):
        kwargs.update(
            pool_size=settings.DB_POOL_SIZE,
            max_overflow=0,
            pool_timeout=settings.DB_TIMEOUT,
        )
    engine = create_async_engine(url, connect_args=connect_args, **kwargs)
    if passwords is not None:
        read_again_when_refused(engine.sync_engine, passwords, asyncio_driver=True)
    return engine


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raises one of UNAVAILABLE_ERRORS when the database cannot answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def ping_async(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def describe_error(exc: BaseException) -> str:
    """A short reason for a database error, without SQL, parameters or credentials."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    if orig is None:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    args: tuple[Any, ...] = getattr(orig, "args", ())
    # PyMySQL errors carry (code, message); sqlite3 errors a message.
    if len(args) == 2 and isinstance(args[0], int):
        reason = f"{type(orig).__name__} {args[0]}: {args[1]}"
    else:
        reason = f"{type(orig).__name__}: {orig}"
    return reason[:300]
