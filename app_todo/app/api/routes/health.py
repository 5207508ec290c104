"""Liveness (no database) and readiness (touches the database)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import GateDep
from app.api.errors import DATABASE_UNAVAILABLE, DB_RETRY_AFTER_S
from app.core.db import UNAVAILABLE_ERRORS, describe_error, ping_async
from app.models import Liveness, Readiness

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

LIVE_MESSAGE = "CloudTasks TODO API is running"


@router.get("/", response_model=Liveness)
async def liveness() -> Liveness:
    """Answer while the process runs; the load balancer's health check (no database).

    ``async`` so it runs on the event loop and never waits for a thread busy with the database:
    a saturated task still answers its health check at once."""
    return Liveness(message=LIVE_MESSAGE)


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database is unavailable"}},
)
async def readiness(gate: GateDep) -> Readiness | JSONResponse:
    """Answer 200 when the database answers ``SELECT 1``, else 503 with the reason."""
    try:
        await gate.run(ping_async)
    except UNAVAILABLE_ERRORS as exc:
        reason = describe_error(exc)
        # The cause stays in the log: a client learns nothing about hosts or drivers.
        logger.warning("database not ready: %s", reason, extra={"reason": reason})
        body = Readiness(status="unavailable", detail=DATABASE_UNAVAILABLE)
        return JSONResponse(
            status_code=503,
            content=body.model_dump(),
            headers={"Retry-After": DB_RETRY_AFTER_S},
        )
    return Readiness(status="ready")
