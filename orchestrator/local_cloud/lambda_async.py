"""Asynchronous invocations (S3 notifications, InvocationType=Event), queued as Lambda does.

Each event waits in its function's queue; at most the function's reserved concurrency (when
set, else the pool size) run at once. A failed invocation is retried up to the event invoke
config's MaximumRetryAttempts (default 2) after a short back-off, unless the event is older than
MaximumEventAgeInSeconds; then AWS's invocation record goes to the OnFailure destination (or the
OnSuccess one after a success).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestrator.local_cloud import event_destinations

if TYPE_CHECKING:
    from orchestrator.local_cloud.lambda_runtime import InvocationResult

log = logging.getLogger("local_cloud.lambda")

RETRY_DELAYS_SECONDS = (1.0, 2.0)  # AWS waits about 1 and 2 minutes; locally, seconds
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_SECONDS = 21600

Invoke = Callable[[Any, str, str], "InvocationResult"]


@dataclass
class _Event:
    function: Any
    event_json: str
    trigger: str
    queued_at: float
    attempts: int = 0
    not_before: float = 0.0
    last: InvocationResult | None = None


class AsyncInvoker:
    def __init__(self, invoke: Invoke, pool_size: int = 8) -> None:
        self._invoke = invoke
        self._pool_size = pool_size
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="lambda-async")
        self._changed = threading.Condition()
        self._queues: dict[str, deque[_Event]] = {}
        self._running: dict[str, int] = {}
        self._closed = False
        self._dispatcher: threading.Thread | None = None

    def submit(self, function: Any, event_json: str, trigger: str) -> None:
        with self._changed:
            if self._closed:
                return
            key = _function_key(function)
            self._queues.setdefault(key, deque()).append(
                _Event(function, event_json, trigger, time.monotonic())
            )
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(
                    target=self._dispatch, name="lambda-async-dispatch", daemon=True
                )
                self._dispatcher.start()
            self._changed.notify_all()

    def shutdown(self) -> None:
        with self._changed:
            self._closed = True
            self._queues.clear()
            self._changed.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- dispatching ----------------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            with self._changed:
                if self._closed:
                    return
                ready, expired, wait_seconds = self._select()
                if not ready and not expired:
                    self._changed.wait(wait_seconds)
                    continue
            for key, event in ready:
                self._pool.submit(self._run, key, event)
            for event in expired:
                self._finish(event, "EventAgeExceeded")

    def _select(self) -> tuple[list[tuple[str, _Event]], list[_Event], float]:
        """Under the lock: the events that may start now, those too old, and how long to wait."""
        now = time.monotonic()
        ready: list[tuple[str, _Event]] = []
        expired: list[_Event] = []
        wake_at = now + 1.0
        total = sum(self._running.values())
        for key, queue in self._queues.items():
            for event in list(queue):
                if now - event.queued_at > _max_event_age(event.function):
                    queue.remove(event)
                    expired.append(event)
                    continue
                if event.not_before > now:
                    wake_at = min(wake_at, event.not_before)
                    continue
                running = self._running.get(key, 0)
                if running >= _concurrency_limit(event.function, self._pool_size):
                    break  # throttled: this function's events wait, in order
                if total >= self._pool_size:
                    return ready, expired, 1.0  # woken when a slot frees
                queue.remove(event)
                self._running[key] = running + 1
                total += 1
                ready.append((key, event))
        return ready, expired, max(wake_at - now, 0.01)

    def _run(self, key: str, event: _Event) -> None:
        try:
            event.last = self._invoke(event.function, event.event_json, event.trigger)
        except Exception:  # the runtime's own failure: logged, and handled as a failed attempt
            log.exception("asynchronous invocation of %s failed", event.function.function_name)
        finally:
            event.attempts += 1
            with self._changed:
                self._running[key] -= 1
                self._changed.notify_all()
        if event.last is not None and not event.last.errored:
            self._finish(event, "Success")
            return
        retries = _max_retries(event.function)
        log.warning(
            "asynchronous invocation of %s failed (attempt %d of %d)",
            event.function.function_name,
            event.attempts,
            retries + 1,
        )
        if event.attempts > retries:
            self._finish(event, "RetriesExhausted")
            return
        delay = RETRY_DELAYS_SECONDS[min(event.attempts - 1, len(RETRY_DELAYS_SECONDS) - 1)]
        event.not_before = time.monotonic() + delay
        with self._changed:
            if not self._closed:
                self._queues.setdefault(key, deque()).append(event)
                self._changed.notify_all()

    def _finish(self, event: _Event, condition: str) -> None:
        destinations = _config(event.function).get("DestinationConfig") or {}
        which = "OnSuccess" if condition == "Success" else "OnFailure"
        arn = (destinations.get(which) or {}).get("Destination")
        if not arn:
            if condition != "Success":
                log.error(
                    "asynchronous event for %s dropped (%s, %d attempt(s)), no OnFailure "
                    "destination: %s",
                    event.function.function_name,
                    condition,
                    event.attempts,
                    event.event_json[:2000],
                )
            return
        event_destinations.send(arn, invocation_record(event, condition), self.submit)


def invocation_record(event: _Event, condition: str) -> dict[str, Any]:
    """AWS's record for an asynchronous invocation sent to a destination."""
    function_arn = str(event.function.function_arn)
    if function_arn.count(":") == 6:
        function_arn += ":$LATEST"
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": event_destinations.timestamp(),
        "requestContext": {
            "requestId": event.last.request_id if event.last else "",
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": _parsed(event.event_json),
    }
    if event.last is not None:
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if event.last.errored:
            response["functionError"] = "Unhandled"
        record["responseContext"] = response
        record["responsePayload"] = _parsed(event.last.payload)
    return record


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _function_key(function: Any) -> str:
    return f"{function.account_id}:{function.region}:{function.function_name}"


def _config(function: Any) -> dict[str, Any]:
    configs = getattr(function, "event_invoke_config", None) or []
    return dict(configs[0].config) if configs else {}


def _max_retries(function: Any) -> int:
    value = _config(function).get("MaximumRetryAttempts")
    return DEFAULT_MAX_RETRIES if value is None else int(value)


def _max_event_age(function: Any) -> float:
    value = _config(function).get("MaximumEventAgeInSeconds")
    return float(DEFAULT_MAX_EVENT_AGE_SECONDS if value is None else value)


def _concurrency_limit(function: Any, pool_size: int) -> int:
    reserved = getattr(function, "reserved_concurrency", None)
    if reserved is None or reserved == "":
        return pool_size
    return int(reserved)
