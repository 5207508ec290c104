"""Waiting for the load balancer on AWS, exercised against the local cloud's ELB and ECS APIs.

The local cloud answers the same API calls as AWS (moto reports registered targets healthy), so
the wait's progress, its success and its explanation of a failure can be checked for real.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator.stack_spec import StackError
from orchestrator.stacks.todo.steps import wait_for_healthy_targets
from orchestrator.targets import Target
from orchestrator.terraform import Terraform
from tests.conftest import require_component


@dataclass
class Context:
    target: Target
    environment: str = "test"
    use_docker: bool = True
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def terraform(self) -> Terraform:
        raise AssertionError("the wait needs no terraform")


@pytest.fixture(scope="module")
def cloud_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    require_component(importlib.util.find_spec("moto") is not None, "moto is not installed")
    from orchestrator.local_cloud import control

    work_dir: Path = tmp_path_factory.mktemp("cloud")
    cloud = control.up(work_dir, port=free_port(range(4710, 4720)))
    try:
        # Named "aws": the code path under test is the one a real account takes.
        yield Target(
            name="aws", region="us-east-1", env=cloud.env(), endpoint_url=cloud.endpoint_url
        )
    finally:
        control.down(work_dir)


def _service(target: Target, name: str) -> dict[str, Any]:
    ec2, elbv2, ecs, logs = (target.client(s) for s in ("ec2", "elbv2", "ecs", "logs"))
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = elbv2.create_target_group(
        Name=f"{name}-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "api", "image": "x", "memory": 64}]
    )
    ecs.create_service(cluster=name, serviceName=name, taskDefinition=name, desiredCount=1)
    log_group = f"/ecs/{name}"
    logs.create_log_group(logGroupName=log_group)
    logs.create_log_stream(logGroupName=log_group, logStreamName="api/1")
    logs.put_log_events(
        logGroupName=log_group,
        logStreamName="api/1",
        logEvents=[
            {"timestamp": int(time.time() * 1000), "message": "database unreachable: gave up"}
        ],
    )
    return {
        "target_group_arn": group,
        "cluster_name": name,
        "service_name": name,
        "log_group_name": log_group,
    }


def test_returns_once_every_target_is_healthy(cloud_target: Target) -> None:
    outputs = _service(cloud_target, "healthy")
    cloud_target.client("elbv2").register_targets(
        TargetGroupArn=outputs["target_group_arn"], Targets=[{"Id": "10.0.0.5", "Port": 8000}]
    )
    ctx = Context(cloud_target)

    wait_for_healthy_targets(ctx, outputs, timeout=30, interval=0.2)

    assert "  targets: healthy" in ctx.lines


def test_explains_with_the_last_log_lines_when_nothing_gets_healthy(cloud_target: Target) -> None:
    outputs = _service(cloud_target, "never")
    ctx = Context(cloud_target)

    with pytest.raises(StackError) as caught:
        wait_for_healthy_targets(ctx, outputs, timeout=1, interval=0.2)

    message = str(caught.value)
    assert "no healthy target after 1 s" in message
    assert "last lines of /ecs/never" in message
    assert "database unreachable: gave up" in message
    assert "  targets: no targets registered yet" in ctx.lines
