"""`orchestrate.py sweep` on the local cloud: the inventory stack deployed by real Terraform.

One module-scoped deployment; the tests run in file order against it: first with the state
intact, then with the state lost (its resources are then swept away, and the fixture's destroy
finds nothing left to do).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator import sweep
from tests.integration.local_stack import DeployedStack, applied_on_local_cloud

pytestmark = pytest.mark.integration

ENV = "swp"
OTHER_ENV = "swp-other"
# Found by tags alone, so each must carry Project, Stack and Environment.
EXPECTED_KINDS = {
    "dynamodb:table",
    "s3:bucket",
    "lambda:function",
    "sqs:queue",
    "sns:topic",
    "iam:role",
    "logs:log-group",
    "apigateway:apis",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    home = tmp_path_factory.mktemp("orchestrate-home")
    with applied_on_local_cloud("inventory", ENV, home) as deployed:
        yield deployed


def tags(environment: str, stack: str = "inventory") -> list[dict[str, str]]:
    wanted = sweep.wanted_tags(stack, environment)
    return [{"Key": key, "Value": value} for key, value in wanted.items()]


def make_bystanders(stack: DeployedStack) -> dict[str, Any]:
    """Resources the sweep must leave alone: another environment's, another stack's, and one
    with no tags, all beside the stack's own."""
    sqs = stack.target.client("sqs")
    iam = stack.target.client("iam")
    s3 = stack.target.client("s3")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    other_env_queue = sqs.create_queue(
        QueueName=f"inventory-{OTHER_ENV}-bystander",
        tags={t["Key"]: t["Value"] for t in tags(OTHER_ENV)},
    )["QueueUrl"]
    other_stack_queue = sqs.create_queue(
        QueueName=f"todo-{ENV}-bystander",
        tags={t["Key"]: t["Value"] for t in tags(ENV, stack="todo")},
    )["QueueUrl"]
    iam.create_role(
        RoleName=f"inventory-{OTHER_ENV}-bystander",
        AssumeRolePolicyDocument=trust,
        Tags=tags(OTHER_ENV),
    )
    s3.create_bucket(Bucket=f"inventory-{ENV}-untagged-bystander")
    return {
        "queues": [other_env_queue, other_stack_queue],
        "role": f"inventory-{OTHER_ENV}-bystander",
        "bucket": f"inventory-{ENV}-untagged-bystander",
    }


def assert_bystanders_remain(stack: DeployedStack, bystanders: dict[str, Any]) -> None:
    queues = stack.target.client("sqs").list_queues().get("QueueUrls", [])
    assert set(bystanders["queues"]) <= set(queues)
    stack.target.client("iam").get_role(RoleName=bystanders["role"])
    stack.target.client("s3").head_bucket(Bucket=bystanders["bucket"])


def sweep_json(
    stack: DeployedStack, *extra: str, stack_name: str = "inventory"
) -> tuple[int, dict[str, Any]]:
    code, out = stack.cli("sweep", stack_name, "--json", *extra)
    return code, json.loads(out)


def test_every_deployed_resource_is_tagged_and_held_so_nothing_is_stranded(
    stack: DeployedStack,
) -> None:
    # GIVEN the stack deployed with its state intact
    found = sweep.find_tagged(stack.target.client, "inventory", ENV)
    assert EXPECTED_KINDS <= {item.kind for item in found}

    # WHEN the sweep runs THEN it finds nothing stranded
    code, out = stack.cli("sweep", "inventory")
    assert code == 0, out
    assert "No stranded resources" in out


def test_a_lost_state_is_swept_and_only_this_stacks_environment(stack: DeployedStack) -> None:
    # GIVEN the state lost, and resources of another environment, another stack and none
    bystanders = make_bystanders(stack)
    state: Path = stack.run().workspace.state_path
    assert state.exists()
    state.rename(state.with_name("lost.tfstate"))

    # WHEN the sweep lists THEN every resource of the stack is stranded (exit 1)
    code, listed = sweep_json(stack)
    assert code == 1
    kinds = {entry["type"] for entry in listed["stranded"]}
    assert EXPECTED_KINDS <= kinds, sorted(kinds)
    assert all(
        entry["why"] == f"tagged for inventory/{ENV}, not in the state"
        for entry in listed["stranded"]
    )
    arns = {entry["arn"] for entry in listed["stranded"]}
    assert not any("bystander" in arn for arn in arns)
    assert any(stack.outputs["table_name"] in arn for arn in arns)

    # WHEN it deletes THEN each is reported deleted, and a second sweep finds none
    code, deleted = sweep_json(stack, "--delete", "--yes")
    assert code == 0, deleted
    assert {entry["arn"] for entry in deleted["stranded"]} == arns
    assert all(entry["deleted"] for entry in deleted["stranded"]), deleted
    code, again = sweep_json(stack)
    assert (code, again["stranded"]) == (0, [])
    assert sweep.find_tagged(stack.target.client, "inventory", ENV) == []

    # AND the bystanders are untouched
    assert_bystanders_remain(stack, bystanders)


# ------------------------------------------------------------------------- the TODO stack
TODO_KINDS = {
    "ecs:cluster",
    "ecs:service",
    "ecs:task-definition",
    "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup",
    "ec2:security-group",
    "secretsmanager:secret",
    "ecr:repository",
    "logs:log-group",
    "iam:role",
}


def test_the_todo_stack_held_then_lost_is_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the TODO stack deployed (its app under uvicorn: the sweep needs no containers)
    monkeypatch.setenv("TODO_LOCAL_RUNNER", "uvicorn")
    monkeypatch.setenv("TODO_LOCAL_PORT", str(free_port(range(4682, 4690))))
    with applied_on_local_cloud("todo", ENV, tmp_path / "home") as todo:
        # WHEN the state is intact THEN nothing is stranded
        code, held = todo.cli("sweep", "todo")
        assert code == 0, held

        # WHEN the state is lost THEN every resource is found, and deleted
        state = todo.run().workspace.state_path
        state.rename(state.with_name("lost.tfstate"))
        code, deleted = sweep_json(todo, "--delete", "--yes", stack_name="todo")
        assert code == 0, deleted
        assert TODO_KINDS <= {entry["type"] for entry in deleted["stranded"]}
        assert all(entry["deleted"] for entry in deleted["stranded"]), deleted
        code, again = sweep_json(todo, stack_name="todo")
        assert (code, again["stranded"]) == (0, [])
