"""What the two local runners of the TODO task share: the result, the error, HTTP waiting."""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orchestrator.workspace import work_root

LineSink = Callable[[str], None]
# The local target publishes the app on 127.0.0.1 only; 4680-4689 are this project's ports.
DEFAULT_PORT = int(os.environ.get("TODO_LOCAL_PORT", "4680"))
DEFAULT_NAME = "todo-local"


def ignore(_line: str) -> None:
    return None


def local_tasks_dir() -> Path:
    return work_root() / "local-tasks"


class LocalTaskError(Exception):
    """The task's containers (or the uvicorn fallback) did not start or did not get healthy."""


@dataclass(frozen=True)
class LocalTask:
    """A running local copy of the ECS task."""

    base_url: str
    runner: Literal["docker", "uvicorn"]
    database: str  # what the app stores its data in, for the user
    containers: tuple[str, ...] = ()
    pid: int | None = None
    log_path: Path | None = None
    notes: tuple[str, ...] = field(default=())


def config_hash(spec: Mapping[str, object]) -> str:
    """A short digest of how a task was started, to tell whether a running one can be reused
    (it holds no secret in the clear)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def http_ok(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.5,
    failed: Callable[[], str | None] = lambda: None,
) -> bool:
    """Poll ``check`` until it holds (True) or time runs out (False); ``failed`` stops early by
    raising LocalTaskError with the reason it returns."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        reason = failed()
        if reason:
            raise LocalTaskError(reason)
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
