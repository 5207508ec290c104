"""The local ECS task's container output in CloudWatch Logs, as ECS's ``awslogs`` driver puts it.

On AWS each container of the TODO task writes to the log group its task definition names, in
the stream ``<awslogs-stream-prefix>/<container name>/<task id>``. Locally the task's containers
run on this machine's Docker engine: the runner labels each one with its ``logConfiguration``
(see ``awslogs_labels``), and this thread, in the local cloud's process (which outlives the
deploy command), follows every labelled container's output into moto's logs backend. So
``orchestrate.py logs todo --follow`` reads the same place locally as on AWS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

from orchestrator.local_cloud import lambda_logs

log = logging.getLogger("local_cloud.container_logs")

GROUP_LABEL = "cloud-reference-stacks.awslogs-group"
REGION_LABEL = "cloud-reference-stacks.awslogs-region"
PREFIX_LABEL = "cloud-reference-stacks.awslogs-stream-prefix"
CONTAINER_LABEL = "cloud-reference-stacks.awslogs-container"
# Which local cloud ships them: several may run on one machine (the tests start many).
ENDPOINT_LABEL = "cloud-reference-stacks.awslogs-endpoint"
INTERVAL_S = 1.0
# Without an engine, look again now and then (it may be started later).
NO_ENGINE_INTERVAL_S = 30.0


def awslogs_labels(
    endpoint_url: str, container_name: str, log_configuration: Mapping[str, Any] | None
) -> dict[str, str]:
    """Labels asking the local cloud at ``endpoint_url`` to ship a container's output as
    ``log_configuration`` (a task definition container's ``logConfiguration``) says; none for
    another driver."""
    if not log_configuration or log_configuration.get("logDriver") != "awslogs":
        return {}
    options = log_configuration.get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        return {}
    return {
        GROUP_LABEL: str(group),
        REGION_LABEL: str(options.get("awslogs-region") or "us-east-1"),
        PREFIX_LABEL: str(options.get("awslogs-stream-prefix") or ""),
        CONTAINER_LABEL: container_name,
        ENDPOINT_LABEL: endpoint_url,
    }


def stream_name(labels: Mapping[str, str], container_id: str) -> str:
    """ECS's name: ``prefix/container-name/task-id`` (the container's short id stands in for
    the task's id); without a prefix, the task id alone."""
    task_id = container_id[:32]
    prefix = labels.get(PREFIX_LABEL, "")
    if not prefix:
        return task_id
    return f"{prefix}/{labels.get(CONTAINER_LABEL, 'container')}/{task_id}"


def _split(line: bytes) -> tuple[int, str]:
    """Docker's ``<RFC 3339 timestamp, nanoseconds> <message>`` -> (epoch ns, message); 0 when
    the line has no timestamp. (Docker trims the fraction's trailing zeros, so the text itself
    does not sort.)"""
    text = line.decode("utf-8", errors="replace")
    stamp, _, message = text.partition(" ")
    seconds, _, fraction = stamp.rstrip("Z").partition(".")
    try:
        whole = int(datetime.fromisoformat(f"{seconds}+00:00").timestamp())
        return whole * 1_000_000_000 + int((fraction + "000000000")[:9]), message
    except ValueError:
        return 0, text


class ContainerLogShipper:
    """Follows labelled containers' output into their log groups, every ``interval`` seconds."""

    def __init__(
        self, endpoint_url: str, account_id: str = DEFAULT_ACCOUNT_ID, interval: float = INTERVAL_S
    ) -> None:
        self._endpoint_url = endpoint_url
        self._account_id = account_id
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="container-logs", daemon=True)
        # Per container: the timestamp (epoch ns) of the last line shipped.
        self._shipped: dict[str, int] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        client: Any = None
        last_error = ""
        while not self._stop.is_set():
            if client is None:
                client = _docker_client()
                if client is None:
                    self._stop.wait(NO_ENGINE_INTERVAL_S)
                    continue
            try:
                self.ship_once(client)
            except Exception as error:  # the engine went away, a container vanished mid-read
                # Once per distinct failure: a lasting one must not fill the log every second.
                if str(error) != last_error:
                    log.warning("container logs: %s", error)
                last_error = str(error)
                client = None
            self._stop.wait(self._interval)

    def ship_once(self, client: Any) -> int:
        """Ship what every labelled container wrote since the last call; the lines shipped."""
        shipped = 0
        seen: set[str] = set()
        for container in client.containers.list(
            all=True, filters={"label": f"{ENDPOINT_LABEL}={self._endpoint_url}"}
        ):
            seen.add(container.id)
            shipped += self._ship_container(container)
        for gone in set(self._shipped) - seen:
            del self._shipped[gone]
        return shipped

    def _ship_container(self, container: Any) -> int:
        last = self._shipped.get(container.id, 0)
        # ``since`` has whole-second precision: lines of that second already shipped are
        # dropped by their timestamp below.
        options: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": True}
        if last:
            options["since"] = last // 1_000_000_000  # the SDK refuses 0 (meaning: all)
        raw = container.logs(**options)
        lines: list[tuple[int, str]] = []
        newest = last
        for line in raw.splitlines():
            stamp, message = _split(line)
            if stamp and stamp <= last:
                continue
            lines.append((stamp // 1_000_000 if stamp else lambda_logs.now_ms(), message))
            newest = max(newest, stamp)
        if not lines:
            return 0
        labels = container.labels
        lambda_logs.write_events(
            self._account_id,
            labels.get(REGION_LABEL, "us-east-1"),
            labels[GROUP_LABEL],
            stream_name(labels, container.id),
            lines,
        )
        self._shipped[container.id] = newest
        return len(lines)


def _docker_client() -> Any:
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
    except Exception:  # no SDK, no engine: nothing to ship
        return None
    return client
