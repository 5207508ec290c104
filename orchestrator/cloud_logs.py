"""Read a function's CloudWatch logs, optionally following them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from orchestrator.stacks import Say, StackError
from orchestrator.targets import Target


def log_groups(deployed: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Short names for the log groups of the deployed stacks (stack name -> its outputs)."""
    groups: dict[str, str] = {}
    inventory = deployed.get("inventory") or {}
    groups.update(inventory.get("log_group_names") or {})
    for key, function_name in (inventory.get("function_names") or {}).items():
        if key in groups:
            groups[function_name] = groups[key]
    todo = deployed.get("todo") or {}
    if todo.get("log_group_name"):
        groups["todo"] = todo["log_group_name"]
    if todo.get("db_log_group_name"):
        groups["todo-db"] = todo["db_log_group_name"]
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
