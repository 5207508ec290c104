"""The local TODO task's containers log to CloudWatch Logs, as ECS's awslogs driver does.

GIVEN a real local cloud and a real container labelled with a task definition's
``logConfiguration`` for that cloud (what the local task runner does)
WHEN the container writes lines, then more lines
THEN they arrive once each, in order, in the group's stream ``<prefix>/<container>/<task id>``;
a container labelled for another local cloud is left alone.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from devtools.ports import free_port
from orchestrator.local_cloud import control
from orchestrator.local_cloud.container_logs import awslogs_labels
from orchestrator.stacks.todo.images import docker_client

PORTS = range(4770, 4780)
# Writes three lines, waits for a file to appear (the test's signal), then writes two more.
SCRIPT = (
    "import os, sys, time\n"
    "for n in range(3): print(f'first {n}', flush=True)\n"
    "print('to stderr', file=sys.stderr, flush=True)\n"
    "while not os.path.exists('/tmp/go'): time.sleep(0.1)\n"
    "for n in range(2): print(f'second {n}', flush=True)\n"
    "time.sleep(600)\n"
)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.LocalCloud]:
    work_dir = tmp_path_factory.mktemp("local-cloud")
    started = control.up(work_dir, port=free_port(PORTS, set()))
    try:
        yield started
    finally:
        control.down(work_dir)


@pytest.fixture
def logs(cloud: control.LocalCloud) -> Any:
    return boto3.client(
        "logs",
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def run_container(base_image: str | None) -> Iterator[Callable[[dict[str, str]], Any]]:
    client = docker_client()
    started: list[Any] = []

    def run(labels: dict[str, str]) -> Any:
        container = client.containers.run(
            base_image or "python:3.12-slim",
            ["python3", "-c", SCRIPT],
            detach=True,
            labels=labels,
            name=f"t-container-logs-{uuid.uuid4().hex[:8]}",
        )
        started.append(container)
        return container

    yield run
    for container in started:
        container.remove(force=True)
    client.close()


def _configuration(group: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": group,
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "api",
        },
    }


def _messages(logs: Any, group: str) -> list[tuple[str, str]]:
    try:
        events = logs.filter_log_events(logGroupName=group)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [(event["logStreamName"], event["message"]) for event in events]


def _wait(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"not met within {timeout} s"
        time.sleep(0.25)
    return value


def test_a_labelled_containers_output_reaches_its_stream_once_each(
    cloud: control.LocalCloud,
    logs: Any,
    run_container: Callable[[dict[str, str]], Any],
) -> None:
    group = f"/ecs/t-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    container = run_container(awslogs_labels(cloud.endpoint_url, "api", _configuration(group)))

    _wait(lambda: len(_messages(logs, group)) >= 4)
    container.exec_run(["touch", "/tmp/go"])
    _wait(lambda: len(_messages(logs, group)) >= 6)
    time.sleep(2.5)  # more rounds of the shipper: nothing may arrive twice

    messages = _messages(logs, group)
    streams = {stream for stream, _ in messages}
    assert streams == {f"api/api/{container.id[:32]}"}
    texts = [text for _, text in messages]
    assert sorted(texts[:4]) == sorted(["first 0", "first 1", "first 2", "to stderr"])
    assert texts[4:] == ["second 0", "second 1"]


def test_a_container_labelled_for_another_cloud_is_left_alone(
    cloud: control.LocalCloud,
    logs: Any,
    run_container: Callable[[dict[str, str]], Any],
) -> None:
    group = f"/ecs/t-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    ours = f"/ecs/t-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=ours)
    run_container(awslogs_labels("http://127.0.0.1:1", "api", _configuration(group)))
    run_container(awslogs_labels(cloud.endpoint_url, "api", _configuration(ours)))

    _wait(lambda: len(_messages(logs, ours)) >= 4)

    assert _messages(logs, group) == []


def test_no_labels_for_another_driver() -> None:
    assert awslogs_labels("http://x", "api", {"logDriver": "json-file"}) == {}
    assert awslogs_labels("http://x", "api", None) == {}
