"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.gate import DatabaseGate


async def get_gate(request: Request) -> DatabaseGate:
    # async: FastAPI runs a plain def dependency in a thread, a hop per request for nothing.
    gate: DatabaseGate = request.app.state.gate
    return gate


GateDep = Annotated[DatabaseGate, Depends(get_gate)]
