"""Every taggable resource of both stacks carries the tags `orchestrate.py sweep` finds it by.

GIVEN each stack planned with its roles created (inventory) and in managed mode with
autoscaling (todo: RDS, its subnet group, the scalable target)
WHEN terraform plans it
THEN every resource that takes tags plans Project, Stack and Environment in ``tags_all``
(the provider's default tags), beside the user's own ``tags``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.sweep import PROJECT
from tests.terraform.tf_helpers import Plan, Stack

ENVIRONMENT = "tagtest"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/todo-tagtest:3f9c2a"
# What users add; the stack's identity tags stay the provider's.
USER_TAGS = {"CostCenter": "42"}


def identity(stack: str) -> dict[str, str]:
    return {"Project": PROJECT, "Stack": stack, "Environment": ENVIRONMENT}


def missing_identity(plan: Plan, stack: str) -> dict[str, Any]:
    """Taggable planned resources whose tags_all lack one of the identity tags."""
    wanted = identity(stack)
    return {
        rc["address"]: rc["change"]["after"].get("tags_all")
        for rc in plan.changes
        if "tags_all" in rc["change"]["after"]
        and any((rc["change"]["after"]["tags_all"] or {}).get(k) != v for k, v in wanted.items())
    }


@pytest.fixture(scope="module")
def inventory_plan(inventory_stack: Stack, package_vars: dict[str, Any], web_dir: Path) -> Plan:
    return inventory_stack.plan(
        "tags",
        {
            "environment": ENVIRONMENT,
            **package_vars,
            "website_source_dir": str(web_dir),
            "alert_email": "ops@example.com",
            "tags": USER_TAGS,
        },
    )


@pytest.fixture(scope="module")
def todo_plan(todo_stack: Stack) -> Plan:
    return todo_stack.plan(
        "tags",
        {
            "environment": ENVIRONMENT,
            "image_uri": IMAGE,
            "db_mode": "managed",
            "desired_count": 2,
            "autoscaling": {"min": 2, "max": 4, "cpu_target": 60},
            "tags": USER_TAGS,
        },
    )


def test_every_inventory_resource_names_project_stack_and_environment(
    inventory_plan: Plan,
) -> None:
    taggable = [rc for rc in inventory_plan.changes if "tags_all" in rc["change"]["after"]]
    types = {rc["type"] for rc in taggable}

    assert {"aws_dynamodb_table", "aws_s3_bucket", "aws_lambda_function", "aws_iam_role"} <= types
    assert missing_identity(inventory_plan, "inventory") == {}


def test_every_todo_resource_names_project_stack_and_environment(todo_plan: Plan) -> None:
    types = {rc["type"] for rc in todo_plan.changes if "tags_all" in rc["change"]["after"]}

    assert {
        "aws_ecs_service",
        "aws_lb",
        "aws_lb_target_group",
        "aws_security_group",
        "aws_db_instance",
        "aws_db_subnet_group",
        "aws_appautoscaling_target",
        "aws_ecr_repository",
        "aws_iam_role",
    } <= types
    assert missing_identity(todo_plan, "todo") == {}
