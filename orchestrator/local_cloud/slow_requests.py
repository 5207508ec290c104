"""Requests that take too long are logged with the stack of the thread serving them.

A request the local cloud never answers looks, from Terraform, like a resource "still creating"
for minutes (then the provider retries and meets the half-done first attempt). The log then
says which request hung and where, instead of nothing.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

log = logging.getLogger("local_cloud.slow_requests")

SLOW_AFTER_SECONDS = 30.0  # no request of the stacks' takes near this; Lambda invokes are async


@dataclass
class _InFlight:
    what: str
    started: float
    reported: bool = False


class SlowRequestWatch:
    """WSGI wrapper: tracks each request's thread; a daemon thread logs the stuck ones."""

    def __init__(
        self,
        app: WsgiApp,
        slow_after: float = SLOW_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._slow_after = slow_after
        self._clock = clock
        self._in_flight: dict[int, _InFlight] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        ident = threading.get_ident()
        what = _describe(environ)
        with self._lock:
            self._in_flight[ident] = _InFlight(what, self._clock())
        try:
            # Materialised here, so the time spent building the answer is counted too.
            return list(self._app(environ, start_response))
        finally:
            with self._lock:
                entry = self._in_flight.pop(ident, None)
            if entry is not None and entry.reported:
                log.warning("slow request finished after %.0f s: %s", self._age(entry), what)

    def _age(self, entry: _InFlight) -> float:
        return self._clock() - entry.started

    def check(self) -> list[str]:
        """Log (once each) the requests older than the limit; returns what it logged."""
        frames = sys._current_frames()
        logged = []
        with self._lock:
            stuck = [
                (ident, entry)
                for ident, entry in self._in_flight.items()
                if not entry.reported and self._age(entry) >= self._slow_after
            ]
            for _, entry in stuck:
                entry.reported = True
        for ident, entry in stuck:
            frame = frames.get(ident)
            stack = "".join(traceback.format_stack(frame)) if frame is not None else "(gone)\n"
            message = (
                f"request still running after {self._age(entry):.0f} s: {entry.what}; "
                f"its thread is at:\n{stack}"
            )
            log.warning("%s", message)
            logged.append(message)
        return logged

    def start(self, every: float = 5.0) -> None:
        def watch() -> None:
            while not self._stopped.wait(every):
                self.check()

        threading.Thread(target=watch, name="slow-request-watch", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()


def _describe(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    method = environ.get("REQUEST_METHOD", "?")
    path = environ.get("PATH_INFO", "")
    agent = environ.get("HTTP_USER_AGENT", "")[:60]
    return f"{method} {path}" + (f" ({target})" if target else "") + f" from {agent!r}"
