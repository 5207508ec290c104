"""The FastAPI application: ``uvicorn app.main:app`` (from app_todo/, or /app in the image)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.request_id import RequestIdMiddleware
from app.api.routes import health, tasks
from app.core.config import Settings, get_settings
from app.core.db import UNAVAILABLE_ERRORS, describe_error, make_engine
from app.core.logging import configure_logging
from app.prestart import prepare_database

logger = logging.getLogger(__name__)

DB_RETRY_AFTER_S = "5"


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: an echoed lone surrogate cannot break the encoding."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Blocking waits run off the event loop so a SIGTERM during startup is still handled.
        await run_in_threadpool(prepare_database, settings, engine)
        logger.info("ready to serve", extra={"database": engine.url.get_backend_name()})
        yield
        # uvicorn has drained in-flight requests by now (graceful shutdown on SIGTERM).
        engine.dispose()
        logger.info("shut down")

    app = FastAPI(
        title=settings.PROJECT_NAME,
        summary="A small TODO API: tasks with a title, a description and a completed flag.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(RequestIdMiddleware)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, _database_unavailable)
    app.include_router(health.router)
    app.include_router(tasks.router)
    return app


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return AsciiJSONResponse(status_code=422, content={"detail": jsonable_encoder(exc.errors())})


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    reason = describe_error(exc)
    logger.warning(
        "database unavailable during %s %s: %s", request.method, request.url.path, reason
    )
    return JSONResponse(
        status_code=503,
        content={"detail": f"Database unavailable: {reason}"},
        headers={"Retry-After": DB_RETRY_AFTER_S},
    )


app = create_app()
