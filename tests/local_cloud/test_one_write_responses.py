"""The local cloud sends each answer in one write (status line, headers and body together).

Terraform's HTTP client, under load, closed connections between Werkzeug's separate header and
body writes and retried creates the server had already done ("Function already exist")."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from orchestrator.local_cloud.server import one_write_handler

BODY = b'{"FunctionName": "inventory-dev-load-inventory"}'


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("201 CREATED", [("Content-Length", str(len(BODY)))])
    return [BODY]


@pytest.fixture
def server() -> Iterator[BaseWSGIServer]:
    served = make_server(
        "127.0.0.1", 0, _app, threaded=True, request_handler=one_write_handler(MotoRequestHandler)
    )
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.shutdown()
        served.server_close()


def test_an_answer_leaves_in_one_write(
    server: BaseWSGIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    original = socket.SocketIO.write

    def recording(self: socket.SocketIO, data: Any) -> int | None:
        writes.append(bytes(data))
        return original(self, data)

    monkeypatch.setattr(socket.SocketIO, "write", recording)
    # The client sends and reads on the raw socket, so only the server's writes are recorded.
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as client:
        client.sendall(
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        )
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 CREATED") and answer.endswith(BODY)
    assert len(writes) == 1, [w[:40] for w in writes]
    assert writes[0] == answer
