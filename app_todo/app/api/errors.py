"""Error responses: 422 for any bad input, 503 when the database is away, a correct Allow."""

from __future__ import annotations

import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from app.core.db import UNAVAILABLE_ERRORS, describe_error

logger = logging.getLogger(__name__)

DB_RETRY_AFTER_S = "5"


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: an echoed lone surrogate cannot break the encoding."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return AsciiJSONResponse(status_code=422, content={"detail": jsonable_encoder(exc.errors())})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # FastAPI answers 400 when a body is not even text (bytes that are not UTF-8); to a client
    # that is invalid JSON like any other, so it gets the same 422 (the app raises no 400).
    if exc.status_code == 400 and exc.__cause__ is not None:
        error = {"type": "json_invalid", "loc": ["body"], "msg": "The body is not valid JSON"}
        return JSONResponse(status_code=422, content={"detail": [error]})
    if exc.status_code == 405:
        return await http_exception_handler(request, _with_every_allowed_method(request, exc))
    return await http_exception_handler(request, exc)


def _with_every_allowed_method(request: Request, exc: HTTPException) -> HTTPException:
    # Starlette's Allow names the methods of one route, and each method is a route of its own:
    # list every method the schema documents for the path instead.
    methods = _documented_methods(request.app, request.url.path)
    headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
    return HTTPException(status_code=405, detail=exc.detail, headers=headers)


def _documented_methods(app: FastAPI, path: str) -> set[str]:
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return {method.upper() for method in operations}
    return set()


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    reason = describe_error(exc)
    logger.warning(
        "database unavailable during %s %s: %s", request.method, request.url.path, reason
    )
    return JSONResponse(
        status_code=503,
        content={"detail": f"Database unavailable: {reason}"},
        headers={"Retry-After": DB_RETRY_AFTER_S},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, database_unavailable)
