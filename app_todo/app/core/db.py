"""The engine (one per app) and how database errors are described to clients."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.core.config import Settings

# Errors that mean "the database is not there right now" (as opposed to a bug in a query).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
)


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    kwargs: dict[str, Any] = {
        # A connection killed by a database restart is noticed and replaced before use.
        "pool_pre_ping": True,
        "pool_recycle": settings.DB_POOL_RECYCLE,
    }
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        # Requests run in a thread pool; each connection is still used by one thread at a time.
        connect_args["check_same_thread"] = False
        connect_args["timeout"] = settings.DB_POOL_TIMEOUT
    else:
        connect_args["connect_timeout"] = settings.DB_CONNECT_TIMEOUT
    if url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:"):
        kwargs.update(
            pool_size=settings.DB_POOL_SIZE,
            max_overflow=settings.DB_MAX_OVERFLOW,
            pool_timeout=settings.DB_POOL_TIMEOUT,
        )
    return create_engine(url, connect_args=connect_args, **kwargs)


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raises one of UNAVAILABLE_ERRORS when the database cannot answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


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
