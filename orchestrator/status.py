"""What this workspace has deployed: every stack on each target and environment, with its URLs.

Read from the files the orchestrator keeps under the work dir: a deploy writes
``state/<target>/<env>/<stack>/outputs.json`` after its apply (with team state in S3 too, where
the outputs are cached next to the backend's settings), so its time is when the stack was last
applied. Nothing is asked of the cloud: the command answers at once, also with expired keys.
The local cloud keeps its resources in memory, so a local environment outlives it only on paper.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.state_backend import recorded_backend
from orchestrator.workspace import state_root

GONE_NOTE = "local cloud not running: these local environments are gone"


@dataclass(frozen=True)
class Deployed:
    target: str
    environment: str
    stack: str
    applied_at: str
    state: str
    urls: dict[str, str]
    # A local stack whose local cloud is not running: its resources went with it.
    gone: bool = False


def _urls(outputs: dict[str, Any]) -> dict[str, str]:
    """Every output that is a URL (website, API, load balancer, docs), by output name."""
    found = {
        name: value
        for name, value in outputs.items()
        if isinstance(value, str) and value.startswith(("http://", "https://"))
    }
    # An ALB's DNS name is a host, not a URL, and is still where the stack answers.
    for name, value in outputs.items():
        if name.endswith("dns_name") and isinstance(value, str) and value:
            found.setdefault(name, value)
    return dict(sorted(found.items()))


def _state(stack_dir: Path) -> str:
    recorded = recorded_backend(stack_dir)
    if recorded is not None and recorded.kind == "s3":
        return recorded.describe()
    return str(stack_dir / "terraform.tfstate")


def deployed(root: Path, *, local_cloud_running: bool) -> list[Deployed]:
    """Every stack with outputs under the work dir ``root``, by target, environment, stack."""
    found = []
    for outputs_file in sorted(state_root(root).glob("*/*/*/outputs.json")):
        stack_dir = outputs_file.parent
        target, environment, stack = stack_dir.parts[-3:]
        try:
            outputs = json.loads(outputs_file.read_text())
        except (OSError, ValueError):
            outputs = {}
        applied = datetime.fromtimestamp(outputs_file.stat().st_mtime, UTC)
        found.append(
            Deployed(
                target=target,
                environment=environment,
                stack=stack,
                applied_at=applied.isoformat(timespec="seconds"),
                state=_state(stack_dir),
                urls=_urls(outputs if isinstance(outputs, dict) else {}),
                gone=target == "local" and not local_cloud_running,
            )
        )
    return found


def to_json(stacks: list[Deployed], *, local_cloud: str | None) -> dict[str, Any]:
    return {
        "local_cloud": {"running": local_cloud is not None, "endpoint_url": local_cloud},
        "stacks": [asdict(item) for item in stacks],
    }


def render(stacks: list[Deployed], *, local_cloud: str | None) -> list[str]:
    lines = [
        f"Local cloud: running at {local_cloud}" if local_cloud else "Local cloud: not running"
    ]
    if not stacks:
        lines.append("No stack is deployed from this workspace.")
        return lines
    if any(item.gone for item in stacks):
        lines.append(f"{GONE_NOTE} (deploy them again, or clear them with 'local down')")
    for item in stacks:
        gone = "  [gone: local cloud not running]" if item.gone else ""
        lines.append(
            f"\n{item.stack}  target {item.target}, env {item.environment}, "
            f"applied {item.applied_at}{gone}"
        )
        lines.append(f"  {'state:':<20}{item.state}")
        lines.extend(f"  {name + ':':<20}{url}" for name, url in item.urls.items())
    return lines
