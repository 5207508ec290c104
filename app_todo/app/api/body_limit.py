"""Middleware: a request body over the limit gets 413 without being read whole.

A declared ``Content-Length`` over the limit is refused before any of the body is read; a
chunked body is counted as it streams in, and refused as soon as the count passes the limit.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.request_id import note_reason


class BodyTooLarge(Exception):
    """Raised into the app when the body it is reading passes the limit (already answered)."""


class BodyLimitMiddleware:
    """Plain ASGI middleware: it must act between body chunks, which BaseHTTPMiddleware hides."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return

        received = 0
        refused = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if not response_started:
                        refused = True
                        await self._refuse(scope, send)
                    # Stops the app's read; whatever it answers then is dropped below.
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass  # an app that let the aborted read through: answered already, or cut short
        if refused:
            # After the app's own handling of the aborted read, which may have noted another.
            self._note(scope)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        self._note(scope)
        body = json.dumps({"detail": f"Request body larger than {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is never read: the connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _note(self, scope: Scope) -> None:
        note_reason(scope, f"body over {self.max_bytes} bytes")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            text = bytes(value).decode("latin-1")
            # Malformed values are the server's to refuse (uvicorn answers 400).
            return int(text) if text.isascii() and text.isdigit() else None
    return None
