"""Bearer-token authentication of the task routes: ``API_TOKEN``, and ``API_AUTH_READS``.

With ``API_TOKEN`` set, writes need ``Authorization: Bearer <token>``; reads need it too when
``API_AUTH_READS`` is true. Liveness, readiness and the docs stay open (load balancers and
people reading the docs have no token).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.config import Settings
from app.models import Message

READ_METHODS = frozenset({"GET", "HEAD"})

# auto_error=False: the 401 is ours (JSON detail, WWW-Authenticate), not the scheme's 403.
bearer_scheme = HTTPBearer(auto_error=False, description="The API token (API_TOKEN)")

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "No valid bearer token"}
}


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> None:
    """Refuse with 401 unless the request may pass without a token or carries the right one."""
    settings: Settings = request.app.state.settings
    if settings.API_TOKEN is None:
        return
    if request.method in READ_METHODS and not settings.API_AUTH_READS:
        return
    expected = settings.API_TOKEN.get_secret_value().encode()
    # Header values reach us decoded as latin-1: encoded back, they are the bytes sent.
    given = credentials.credentials.encode("latin-1") if credentials else b""
    # Constant time, so the answer's timing does not tell how much of a guess was right.
    if not hmac.compare_digest(given, expected):
        raise HTTPException(
            status_code=401,
            detail="Missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def document_open_reads(app: FastAPI) -> None:
    """Drop the token requirement (and its 401) from the schema's reads, which pass without."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        schema = generate()  # made once, then cached by FastAPI
        if first:
            for operations in schema.get("paths", {}).values():
                for method, operation in operations.items():
                    if method.upper() in READ_METHODS:
                        operation.pop("security", None)
                        operation.get("responses", {}).pop("401", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
