"""Read a function's CloudWatch logs, optionally following them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from orchestrator.stacks import Say, StackError
from orchestrator.targets import Target


def resolve_log_group(outputs: dict[str, Any], name: str) -> str:
    """A log group from a function key (``load_inventory``), a function name or a group name."""
    groups: dict[str, str] = dict(outputs.get("log_group_names") or {})
    functions: dict[str, str] = dict(outputs.get("function_names") or {})
    if name in groups:
        return groups[name]
    for key, function_name in functions.items():
        if name == function_name and key in groups:
            return groups[key]
    if name in groups.values():
        return name
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
