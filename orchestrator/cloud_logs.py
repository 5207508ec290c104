"""Read a function's CloudWatch logs, optionally following them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from orchestrator.stack_spec import Say, StackError
from orchestrator.stacks import get_stack
from orchestrator.targets import Target


def log_groups(deployed: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Short names for the log groups of the deployed stacks (stack name -> its outputs)."""
    groups: dict[str, str] = {}
    for name, outputs in deployed.items():
        hook = get_stack(name).log_groups
        if hook is not None:
            groups.update(hook(outputs or {}))
    return groups


def resolve_log_group(deployed: dict[str, dict[str, Any]], name: str) -> str:
    """A log group from a short name (``load_inventory``, ``todo``), a function or group name."""
    groups = log_groups(deployed)
    if name in groups:
        return groups[name]
    if name in groups.values():
        return name
    if not deployed:
        raise StackError("no stack is deployed on this target: nothing has logs yet")
    known = ", ".join(sorted(groups)) or "none"
    raise StackError(f"no log group for {name!r}; known names: {known}")


def print_logs(target: Target, group: str, say: Say, *, since_minutes: float, follow: bool) -> None:
    logs = target.client("logs")
    start = int((time.time() - since_minutes * 60) * 1000)
    seen: set[str] = set()
    while True:
        paginator = logs.get_paginator("filter_log_events")
        for page in paginator.paginate(logGroupName=group, startTime=start):
            for event in page.get("events", []):
                event_id = event.get("eventId") or f"{event['timestamp']}:{event['message']}"
                if event_id in seen:
                    continue
                seen.add(event_id)
                stamp = datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC)
                say(f"{stamp:%H:%M:%S} {event['message'].rstrip()}")
        if not follow:
            return
        time.sleep(2.0)
