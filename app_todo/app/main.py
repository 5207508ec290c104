"""The FastAPI application: ``uvicorn app.main:app`` (from app_todo/, or /app in the image)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from app.api.errors import install_error_handlers
from app.api.request_id import RequestIdMiddleware
from app.api.routes import health, tasks
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.core.logging import configure_logging
from app.prestart import prepare_database

logger = logging.getLogger(__name__)


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

    # FastAPIOffline serves Swagger UI and ReDoc from the package, not from a public CDN, so the
    # docs work offline, behind strict proxies and in private subnets.
    app = FastAPIOffline(
        title=settings.PROJECT_NAME,
        summary="A small TODO API: tasks with a title, a description and a completed flag.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(tasks.router)
    return app


app = create_app()
