"""Small HTTP servers for the page-behaviour tests: the website files, and an API stand-in.

Both bind to 127.0.0.1 on a free port in 4650-4659 and run in a daemon thread; the context
managers always shut them down.
"""

from __future__ import annotations

import functools
import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseServer, ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.conftest import REPO_ROOT

WEB_DIR = REPO_ROOT / "app_inventory" / "web"
RECORDINGS = Path(__file__).resolve().parent / "recordings" / "inventory_api.json"
PORTS = range(4650, 4660)
HOST = "127.0.0.1"
# Served under a path prefix, as the local cloud serves a website bucket: relative URLs must hold.
SITE_PREFIX = "_website/inventory-web"


def _bind_in_range(factory: Callable[[int], BaseServer]) -> BaseServer:
    last: OSError | None = None
    for port in PORTS:
        try:
            return factory(port)
        except OSError as err:  # taken; try the next one
            last = err
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1} on {HOST}: {last}")


@contextmanager
def closed_port() -> Iterator[int]:
    """A port in our range that refuses connections (for the unreachable-API case).

    The socket is bound but never listens: connections are refused, and no other server can
    take the port while the test runs.
    """
    sock = socket.socket()
    try:
        for port in PORTS:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            yield port
            return
        raise RuntimeError(f"every port in {PORTS.start}-{PORTS.stop - 1} is in use")
    finally:
        sock.close()


@contextmanager
def _running(server: BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- the website


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve_website(root: Path, config: dict[str, Any] | None) -> Iterator[str]:
    """Serve app_inventory/web plus a generated config.js; yield the site URL.

    ``config=None`` leaves config.js out, as a half-finished deploy would.
    """
    site = root / SITE_PREFIX
    shutil.copytree(WEB_DIR, site)
    if config is not None:
        (site / "config.js").write_text(
            f"window.INVENTORY_CONFIG = {json.dumps(config)};\n", encoding="utf-8"
        )
    handler = functools.partial(_QuietFiles, directory=str(root))
    server = _bind_in_range(lambda port: ThreadingHTTPServer((HOST, port), handler))
    with _running(server):
        yield f"http://{HOST}:{server.server_address[1]}/{SITE_PREFIX}/"


# ---------------------------------------------------------------- the API stand-in


def load_recording(name: str) -> list[dict[str, Any]]:
    """The exchanges of one scenario in recordings/inventory_api.json."""
    scenarios = json.loads(RECORDINGS.read_text(encoding="utf-8"))
    return scenarios[name]["exchanges"]


@dataclass
class RecordedApi:
    """A WSGI app answering GET requests from recorded exchanges, with CORS like the real API.

    It matches on the decoded path and the query parameters; anything else gets API Gateway's
    404. ``requests`` keeps what the page asked for, so tests can check pagination and encoding.
    """

    exchanges: list[dict[str, Any]]
    delay_s: float = 0.0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        cors = [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", "GET, OPTIONS"),
            ("Access-Control-Allow-Headers", "content-type"),
        ]
        if environ["REQUEST_METHOD"] == "OPTIONS":
            start_response("204 No Content", cors)
            return [b""]
        # wsgiref decodes the path as latin-1; the browser sent UTF-8.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self.requests.append((path, query))
        if self.delay_s:
            time.sleep(self.delay_s)
        status, body = 404, {"message": "Not Found"}
        for exchange in self.exchanges:
            request = exchange["request"]
            if request["path"] == path and request.get("query", {}) == query:
                status, body = exchange["response"]["status"], exchange["response"]["body"]
                break
        payload = json.dumps(body).encode("utf-8")
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *cors],
        )
        return [payload]


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietWSGI(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve_api(api: RecordedApi) -> Iterator[str]:
    """Serve ``api``; yield its base URL (no trailing slash), like the API's invoke URL."""
    server = _bind_in_range(
        lambda port: make_server(
            HOST, port, api, server_class=_ThreadingWSGIServer, handler_class=_QuietWSGI
        )
    )
    with _running(server):
        yield f"http://{HOST}:{server.server_address[1]}"
