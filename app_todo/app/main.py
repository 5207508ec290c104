"""The FastAPI application: ``uvicorn app.main:app`` (from app_todo/, or /app in the image)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Security
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from app.api.auth import UNAUTHORIZED, document_open_reads, require_token
from app.api.body_limit import BodyLimitMiddleware
from app.api.errors import install_error_handlers
from app.api.request_id import RequestIdMiddleware
from app.api.routes import health, tasks
from app.api.security_headers import SecurityHeadersMiddleware
from app.core.config import Settings, get_settings
from app.core.db import make_async_engine, make_engine, password_source
from app.core.garbage_collection import settle_after_startup
from app.core.gate import DatabaseGate
from app.core.logging import configure_logging
from app.prestart import prepare_database

logger = logging.getLogger(__name__)

# Where FastAPIOffline serves the docs' JavaScript and CSS (cacheable, unlike API answers).
DOCS_STATIC_URL = "/static-offline-docs"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL)
    # Start-up (wait, migrate) and tools use the blocking engine, requests the asyncio one.
    # One password source for both: a password read again after a rotation serves each.
    passwords = password_source(settings)
    engine = make_engine(settings, passwords)
    requests_engine = make_async_engine(settings, passwords)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Blocking waits run off the event loop so a SIGTERM during startup is still handled.
        await run_in_threadpool(prepare_database, settings, engine)
        # Its connection is not needed while serving (it reconnects if a tool asks).
        engine.dispose()
        settle_after_startup()
        logger.info("ready to serve", extra={"database": engine.url.get_backend_name()})
        yield
        # uvicorn has drained in-flight requests by now (graceful shutdown on SIGTERM).
        await requests_engine.dispose()
        engine.dispose()
        logger.info("shut down")

    # FastAPIOffline serves Swagger UI and ReDoc from the package, not from a public CDN, so the
    # docs work offline, behind strict proxies and in private subnets.
    app = FastAPIOffline(
        title=settings.PROJECT_NAME,
        summary="A small TODO API: tasks with a title, a description and a completed flag.",
        version="1.0.0",
        lifespan=lifespan,
        static_url=DOCS_STATIC_URL,
    )
    app.state.engine = engine
    app.state.gate = DatabaseGate(
        requests_engine,
        connections=settings.DB_POOL_SIZE,
        max_waiting=settings.DB_MAX_WAITING,
        queue_timeout=settings.DB_QUEUE_TIMEOUT,
        timeout=settings.DB_TIMEOUT,
    )
    app.state.settings = settings
    # The last added runs first: headers on every answer (the id's 500 included), then the
    # request id and log line, then the body limit (its 413 logged with the id).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, cacheable_prefixes=(DOCS_STATIC_URL + "/",))
    install_error_handlers(app)
    app.include_router(health.router)
    # Only with a token is the scheme in the schema, so the docs never ask for one in vain.
    guarded = settings.API_TOKEN is not None
    app.include_router(
        tasks.router,
        dependencies=[Security(require_token)] if guarded else None,
        responses=UNAUTHORIZED if guarded else None,
    )
    if guarded and not settings.API_AUTH_READS:
        document_open_reads(app)
    return app


app = create_app()
