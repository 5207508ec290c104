"""DynamoDB requests one at a time, so each is atomic as on AWS.

The server is threaded and moto applies an UpdateItem by reading the item, changing it and
storing it, with no lock: two concurrent ``ADD done_ranges :r`` on one item could both read the
old set, and one range's completion was lost (a load then waited forever for it). On AWS
every single-item write is atomic and conditions are checked against the latest item. A lock
around each DynamoDB call gives the same guarantee; moto holds the GIL while it works, so this
costs almost no throughput.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The JSON protocol's target header of DynamoDB calls (streams have their own, and only read).
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810."


class SerializedDynamoDB:
    """WSGI wrapper: DynamoDB calls run one at a time, everything else as before."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET_PREFIX):
            return self._app(environ, start_response)
        with self._lock:
            # moto builds the whole answer in the call; materialise it inside the lock anyway,
            # in case a body is produced lazily.
            return list(self._app(environ, start_response))
