"""Small HTTP servers for the page tests: the website files, and the API (a model of its
contract, or the real handler).

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
from http import HTTPStatus
from http.server import HTTPServer, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseServer, ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.conftest import REPO_ROOT
from tests.inventory_api_tables import store_summaries
from tests.lambda_context import FakeLambdaContext

WEB_DIR = REPO_ROOT / "app_inventory" / "web"
PORTS = range(4650, 4660)
HOST = "127.0.0.1"
# Served under a path prefix, as the local cloud serves a website bucket: relative URLs must hold.
SITE_PREFIX = "_website/inventory-web"


def _bind_in_range(factory: Callable[[int], HTTPServer]) -> HTTPServer:
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
        yield f"http://{HOST}:{server.server_port}/{SITE_PREFIX}/"


# ---------------------------------------------------------------- the API stand-ins


Row = tuple[str, str, int]
Exchange = tuple[str, dict[str, str]]
CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, OPTIONS"),
    ("Access-Control-Allow-Headers", "content-type"),
]


class _CountingApi:
    """What both stand-ins share: CORS like the real API, a log of requests, an optional delay.

    ``requests`` keeps (decoded path, query) of every GET, so tests can count them and check
    pagination and encoding.
    """

    def __init__(self) -> None:
        self.requests: list[Exchange] = []
        self.delay_s = 0.0

    def answer(self, path: str, raw_path: str, query: dict[str, str]) -> tuple[int, Any]:
        raise NotImplementedError

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "OPTIONS":
            start_response("204 No Content", CORS)
            return [b""]
        # wsgiref decodes the path as latin-1; the browser sent UTF-8.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        self.requests.append((path, query))
        if self.delay_s:
            time.sleep(self.delay_s)
        status, body = self.answer(path, quote(path, safe="/!*'()~"), query)
        payload = json.dumps(body).encode("utf-8")
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *CORS],
        )
        return [payload]

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class ModelApi(_CountingApi):
    """The read API's contract over a list of rows, for page-behaviour tests.

    Stores come in name order with their counts (``stores`` overrides the summary), a store's
    items in item order, low items by store; pages of ``limit`` with opaque tokens. ``fail``
    maps a path to the (status, body) it answers instead, on the page ``fail_on_page`` (0: the
    first page) and after.
    """

    def __init__(
        self,
        rows: list[Row],
        threshold: int = 5,
        stores: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.threshold = threshold
        self.stores = stores
        self.fail: dict[str, tuple[int, Any]] = {}
        self.fail_on_page = 0

    def answer(self, path: str, raw_path: str, query: dict[str, str]) -> tuple[int, Any]:
        token = query.get("next_token", "")
        if path in self.fail and (token or self.fail_on_page == 0):
            return self.fail[path]
        limit = int(query.get("limit", "50"))
        if path == "/stores":
            summary = self.stores or store_summaries(self.rows, self.threshold)
            listing: list[dict[str, Any]] = [
                {"store": store, "items": items, "low_items": low}
                for store, (items, low) in sorted(summary.items())
            ]
            return 200, self._page("stores", listing, limit, token, "stores")
        if path == "/items" and query.get("low_stock") == "true":
            low = sorted(row for row in self.rows if row[2] < self.threshold)
            return 200, self._page("low", self._items(low), limit, token, "items")
        if path.startswith("/items/") and path.count("/") == 2:
            store, prefix = path.removeprefix("/items/"), query.get("prefix", "")
            rows = sorted(r for r in self.rows if r[0] == store and r[1].startswith(prefix))
            return 200, self._page(f"{store}|{prefix}", self._items(rows), limit, token, "items")
        if path == "/items":
            return 200, self._page("all", self._items(self.rows), limit, token, "items")
        return 404, {"message": "Not Found"}

    @staticmethod
    def _items(rows: list[Row]) -> list[dict[str, Any]]:
        return [{"store": store, "item": item, "count": count} for store, item, count in rows]

    @staticmethod
    def _page(
        listing: str, rows: list[dict[str, Any]], limit: int, token: str, field: str
    ) -> dict[str, Any]:
        start = 0
        if token:
            name, _, offset = token.rpartition("@")
            if name != listing:
                return {"message": "next_token belongs to another listing"}
            start = int(offset)
        end = start + limit
        next_token = f"{listing}@{end}" if end < len(rows) else None
        return {field: rows[start:end], "next_token": next_token}


class HandlerApi(_CountingApi):
    """The real ``get_inventory_api.handler`` behind HTTP, as API Gateway calls it (payload
    format 2.0): the page talks to the code that is deployed, on whatever DynamoDB the
    environment names (``AWS_ENDPOINT_URL``, ``TABLE_NAME``...)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.handler_seconds: list[float] = []

    def answer(self, path: str, raw_path: str, query: dict[str, str]) -> tuple[int, Any]:
        from app_inventory.get_inventory_api import handler

        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": urlencode(query),
            "headers": {"accept": "application/json"},
            "queryStringParameters": query or None,
            "requestContext": {
                "http": {"method": "GET", "path": raw_path, "sourceIp": HOST},
                "requestId": f"test-{len(self.requests)}",
                "routeKey": "$default",
                "stage": "$default",
            },
            "isBase64Encoded": False,
        }
        # One invocation at a time, as one Lambda sandbox runs them.
        with self._lock:
            started = time.perf_counter()
            response = handler(
                event, FakeLambdaContext(function_name="inventory-get-inventory-api")
            )
            self.handler_seconds.append(time.perf_counter() - started)
        return response["statusCode"], json.loads(response["body"])


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietWSGI(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve_api(api: Callable[..., list[bytes]]) -> Iterator[str]:
    """Serve ``api``; yield its base URL (no trailing slash), like the API's invoke URL."""
    server = _bind_in_range(
        lambda port: make_server(
            HOST, port, api, server_class=_ThreadingWSGIServer, handler_class=_QuietWSGI
        )
    )
    with _running(server):
        yield f"http://{HOST}:{server.server_port}"
