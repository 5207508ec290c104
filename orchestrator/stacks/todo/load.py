"""Many concurrent clients against a deployed TODO API: is every request answered?

``python orchestrate.py smoke todo --clients 256`` runs this after the smoke test. Each client
is a thread with its own keep-alive connection (as a browser or an SDK has) and runs tasks
through their life (create, get, update, list, delete) until the time is up; all start
together. Standard library only, so the orchestrator needs nothing more to run it.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT_S = 30


@dataclass
class LoadReport:
    clients: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # no answer at all, by reason
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.failures.values())

    @property
    def all_answered_2xx(self) -> bool:
        return (
            bool(self.statuses)
            and not self.failures
            and all(200 <= status < 300 for status in self.statuses)
        )

    def summary(self) -> list[str]:
        cuts = statistics.quantiles(self.latencies_ms, n=100) if len(self.latencies_ms) > 1 else []
        p50, p99 = (cuts[49], cuts[98]) if cuts else (0.0, 0.0)
        answers = ", ".join(f"{status} x{n:,}" for status, n in sorted(self.statuses.items()))
        lines = [
            f"{self.clients} clients for {self.seconds:.0f} s: {self.requests:,} requests, "
            f"{self.requests / self.seconds:,.0f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms",
            f"answers: {answers or 'none'}",
        ]
        if self.failures:
            failed = ", ".join(f"{reason} x{n:,}" for reason, n in self.failures.most_common())
            lines.append(f"no answer: {failed}")
        return lines


class _Client:
    """One keep-alive connection; reconnects after a failure, as an HTTP client library does."""

    def __init__(self, base_url: str, token: str | None, report: LoadReport, lock: threading.Lock):
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.report = report
        self.lock = lock
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        payload = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        try:
            connection = self.connection or self._connect()
            connection.request(method, self.prefix + path, body=payload, headers=self.headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._record(None, type(exc).__name__, started)
            self.close()
            return None
        self._record(response.status, None, started)
        if response.status >= 300 or not raw:
            return None
        return json.loads(raw)

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        self.connection = kind(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
        return self.connection

    def _record(self, status: int | None, failure: str | None, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.report.latencies_ms.append(elapsed)
            if status is not None:
                self.report.statuses[status] += 1
            else:
                self.report.failures[failure or "error"] += 1

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run_clients(base_url: str, *, clients: int, seconds: float, token: str | None) -> LoadReport:
    """``clients`` concurrent clients for ``seconds``; every request and answer counted."""
    report = LoadReport(clients=clients, seconds=seconds)
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(n: int) -> None:
        api = _Client(base_url, token, report, lock)
        barrier.wait(timeout=60)
        deadline = time.monotonic() + seconds
        round_number = 0
        try:
            while time.monotonic() < deadline:
                round_number += 1
                task = api.call(
                    "POST", "/tasks", {"title": f"load client {n} round {round_number}"}
                )
                api.call("GET", "/tasks?limit=20")
                if not task:
                    continue
                path = f"/tasks/{task['id']}"
                api.call("GET", path)
                api.call("PATCH", path, {"completed": True})
                api.call("DELETE", path)
        finally:
            api.close()

    started = time.monotonic()
    with ThreadPoolExecutor(clients, thread_name_prefix="load-client") as pool:
        for future in [pool.submit(client, n) for n in range(clients)]:
            future.result()
    report.seconds = time.monotonic() - started
    return report
