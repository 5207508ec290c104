"""Error responses: 422 for any bad input, 503 when the database is away, a correct Allow."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from app.api.request_id import note_reason
from app.core.db import UNAVAILABLE_ERRORS, describe_error

logger = logging.getLogger(__name__)

DB_RETRY_AFTER_S = "5"
# What clients are told; the cause (host, driver, error code) goes to the log only.
DATABASE_UNAVAILABLE = f"The database is unavailable; retry in {DB_RETRY_AFTER_S} seconds"

# A 422 names the field and the rule and echoes only the start of what was sent: a huge value
# must not come back (nor fill logs and proxies twice).
ECHO_MAX_CHARS = 40
ECHO_MAX_ITEMS = 10
ECHO_MAX_DEPTH = 3
# A body of many small mistakes (thousands of unknown fields) gets the first ones, not an answer
# many times its size.
ERRORS_MAX = 20
_CLIPPED = "\u2026"


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: an echoed lone surrogate cannot break the encoding."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    all_errors = exc.errors()
    errors = [_short_error(error) for error in all_errors[:ERRORS_MAX]]
    if len(all_errors) > ERRORS_MAX:
        more = len(all_errors) - ERRORS_MAX
        errors.append({"type": "too_many_errors", "loc": [], "msg": f"And {more} more errors"})
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        note_reason(request.scope, f"{where}: {first.get('type')}")
    return AsciiJSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


def _short_error(error: Any) -> Any:
    if not isinstance(error, dict):
        return error
    short = dict(error)
    # A loc part can be a key the client sent (an unknown field): clipped like a value.
    short["loc"] = [_clip(part, ECHO_MAX_DEPTH) for part in error.get("loc", ())]
    if "input" in error:
        short["input"] = _clip(error["input"], 0)
    return short


def _clip(value: Any, depth: int) -> Any:
    """``value`` with long text cut to a prefix, containers to their first items, deep ones
    to a mark: what is echoed stays small whatever was sent."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value if len(value) <= ECHO_MAX_CHARS else value[:ECHO_MAX_CHARS] + _CLIPPED
    if isinstance(value, int) and not isinstance(value, bool):
        # A thousands-digit number is long text too.
        return value if value.bit_length() <= 64 else _clip(str(value), depth)
    if isinstance(value, dict | list | tuple):
        if depth >= ECHO_MAX_DEPTH:
            return _CLIPPED
        if isinstance(value, dict):
            items = list(value.items())
            clipped = {
                _clip(str(key), depth): _clip(item, depth + 1)
                for key, item in items[:ECHO_MAX_ITEMS]
            }
            if len(items) > ECHO_MAX_ITEMS:
                clipped[_CLIPPED] = f"{len(items) - ECHO_MAX_ITEMS} more"
            return clipped
        elements = [_clip(item, depth + 1) for item in value[:ECHO_MAX_ITEMS]]
        if len(value) > ECHO_MAX_ITEMS:
            elements.append(_CLIPPED)
        return elements
    return value


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # FastAPI answers 400 when a body is not even text (bytes that are not UTF-8); to a client
    # that is invalid JSON like any other, so it gets the same 422 (the app raises no 400).
    if exc.status_code == 400 and exc.__cause__ is not None:
        error = {"type": "json_invalid", "loc": ["body"], "msg": "The body is not valid JSON"}
        note_reason(request.scope, "body: json_invalid")
        return JSONResponse(status_code=422, content={"detail": [error]})
    note_reason(request.scope, str(exc.detail))
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
        "database unavailable during %s %s: %s",
        request.method,
        request.url.path,
        reason,
        extra={"reason": reason},
    )
    note_reason(request.scope, "database unavailable")
    return JSONResponse(
        status_code=503,
        content={"detail": DATABASE_UNAVAILABLE},
        headers={"Retry-After": DB_RETRY_AFTER_S},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, database_unavailable)
