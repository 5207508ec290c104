"""Middleware: a request id (``X-Request-ID`` in, or a new one) in logs and every response.

It is the outermost handler of a request's errors too: an exception nothing else handled
becomes a JSON 500 with the id (Starlette's ServerErrorMiddleware would answer without it),
and its traceback is logged once, with the id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import request_id_var

HEADER = "X-Request-ID"
# A caller's id is kept only if it is short and plain, so it cannot forge log lines or headers.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Where handlers leave the reason of a refusal for the request's log line (request.state).
_REASON = "log_reason"
_INTERNAL_ERROR = json.dumps({"detail": "Internal Server Error"}).encode()

logger = logging.getLogger("app.request")


def note_reason(scope: Scope, reason: str) -> None:
    """Give the request's log line the reason it was refused (a 4xx or 503)."""
    scope.setdefault("state", {})[_REASON] = reason


class RequestIdMiddleware:
    """Plain ASGI middleware (no BaseHTTPMiddleware), so context variables reach the routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, HEADER.lower().encode())
        request_id = incoming if incoming and _ACCEPTED_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        # The same dict as request.state, so what handlers note there is seen here.
        state: dict[str, Any] = scope.setdefault("state", {})
        started = time.perf_counter()
        status_code = 500  # what the client gets if the app fails before answering
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                status_code = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Not re-raised: the server would log the same traceback again, without the id.
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not response_started:
                await _send_internal_error(send_with_id)
        finally:
            extra: dict[str, Any] = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if _REASON in state:
                extra["reason"] = state[_REASON]
            logger.info("%s %s %s", scope["method"], scope["path"], status_code, extra=extra)
            request_id_var.reset(token)


async def _send_internal_error(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _INTERNAL_ERROR})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None
