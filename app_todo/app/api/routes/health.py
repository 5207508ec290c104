"""Liveness (no database) and readiness (touches the database)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import EngineDep
from app.core.db import UNAVAILABLE_ERRORS, describe_error, ping
from app.models import Liveness, Readiness

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

LIVE_MESSAGE = "CloudTasks TODO API is running"


@router.get("/", response_model=Liveness)
def liveness() -> Liveness:
    """Answer while the process runs; the load balancer's health check (no database)."""
    return Liveness(message=LIVE_MESSAGE)


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database is unavailable"}},
)
async def readiness(engine: EngineDep) -> Readiness | JSONResponse:
    """Answer 200 when the database answers ``SELECT 1``, else 503 with the reason."""
    try:
        await run_in_threadpool(ping, engine)
    except UNAVAILABLE_ERRORS as exc:
        reason = describe_error(exc)
        logger.warning("database not ready", extra={"reason": reason})
        body = Readiness(status="unavailable", detail=reason)
        return JSONResponse(status_code=503, content=body.model_dump())
    return Readiness(status="ready")
