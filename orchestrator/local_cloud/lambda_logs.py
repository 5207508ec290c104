"""Invocation logs, written to CloudWatch Logs (moto's logs backend, in process) as AWS does."""

from __future__ import annotations

import math
import threading
import time
import uuid
from datetime import UTC, datetime

from moto.logs.models import logs_backends

# moto's logs backend is not thread-safe; invocations finish on many threads.
_logs_lock = threading.Lock()


def new_log_stream_name(version: str) -> str:
    """One stream per execution environment, named like AWS's: 2024/05/01/[$LATEST]<hex>."""
    today = datetime.now(UTC)
    return f"{today:%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    duration_ms: float,
    memory_mb: int,
    max_memory_used_mb: int | None,
    init_ms: float | None,
    status: str | None = None,
) -> str:
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {max(math.ceil(duration_ms), 1)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_memory_used_mb or 0} MB",
    ]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if status:
        parts.append(f"Status: {status}")
    return "\t".join(parts) + "\t"


def timeout_line(request_id: str, timeout_seconds: float) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return f"{stamp} {request_id} Task timed out after {timeout_seconds:.2f} seconds"


def write_events(
    account_id: str,
    region: str,
    group_name: str,
    stream_name: str,
    lines: list[tuple[int, str]],
) -> None:
    """Append (timestamp_ms, message) lines; the group is made if Terraform has not made it."""
    if not lines:
        return
    backend = logs_backends[account_id][region]
    events = [{"timestamp": stamp, "message": message} for stamp, message in lines]
    with _logs_lock:
        backend.ensure_log_group(group_name)
        backend.ensure_log_stream(group_name, stream_name)
        backend.put_log_events(group_name, stream_name, events)


def now_ms() -> int:
    return int(time.time() * 1000)
