"""The TODO stack's CPU architecture: the image's platform follows ``cpu_architecture``, and the
local run reads the architecture from the deployed task definition as Fargate does.

GIVEN the stack's variables, or a task definition registered with or without a runtime platform
WHEN the orchestrator picks the platform to build, or the architecture to run
THEN X86_64 builds linux/amd64 and ARM64 linux/arm64, an unknown value is refused before any
build, and a task definition that does not say runs X86_64.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestrator.stack_spec import StackError
from orchestrator.stacks.todo.steps import _platform, cpu_architecture


def test_the_build_platform_follows_cpu_architecture() -> None:
    assert _platform({}) == "linux/amd64"
    assert _platform({"cpu_architecture": "X86_64"}) == "linux/amd64"
    assert _platform({"cpu_architecture": "ARM64"}) == "linux/arm64"
    with pytest.raises(StackError, match="'X86_64' or 'ARM64'"):
        _platform({"cpu_architecture": "aarch64"})


@mock_aws
def test_the_task_definition_names_the_architecture_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    ecs = boto3.client("ecs", region_name="us-east-1")
    containers: list[Any] = [{"name": "api", "image": "todo:1", "memory": 512}]
    graviton = ecs.register_task_definition(
        family="graviton",
        containerDefinitions=containers,
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    )["taskDefinition"]["taskDefinitionArn"]
    unsaid = ecs.register_task_definition(family="unsaid", containerDefinitions=containers)[
        "taskDefinition"
    ]["taskDefinitionArn"]

    def described(arn: str) -> dict[str, Any]:
        return dict(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])

    assert cpu_architecture(described(graviton)) == "ARM64"
    assert cpu_architecture(described(unsaid)) == "X86_64"
