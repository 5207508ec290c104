"""The inventory stack's own policies, enforced: real Terraform, real Lambda zips, each function
with its role's credentials. A loader role that lacks ``dynamodb:BatchWriteItem`` fails the
load with AccessDenied, as on AWS; with the module's policy back, the same file loads. And a
Learner Lab deployment (every function with the local ``LabRole``) loads under enforcement.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.inventory_checks import report
from tests.integration.local_stack import DeployedStack, applied_on_local_cloud, csv_rows

pytestmark = pytest.mark.integration

LAB_ROLE_ARN = "arn:aws:iam::123456789012:role/LabRole"
SAMPLE = Path(__file__).resolve().parents[2] / "app_inventory" / "samples" / "inventory-sample.csv"
RANGE_LOADER = "load_inventory_range"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    home = tmp_path_factory.mktemp("orchestrate-home")
    # (a denied range is retried twice, about 30 s, then recorded as failed)
    with applied_on_local_cloud("inventory", "iam", home) as deployed:
        yield deployed


def test_a_lab_role_deployment_loads_under_enforcement(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # GIVEN the stack deployed as on Learner Lab: no roles of its own, LabRole everywhere
    home = tmp_path_factory.mktemp("orchestrate-home-lab")
    with applied_on_local_cloud(
        "inventory", "lab", home, user_vars=lambda _target: {"lab_role_arn": LAB_ROLE_ARN}
    ) as lab:
        assert lab.outputs["uses_lab_role"] is True
        roles = lab.target.client("iam").list_roles()["Roles"]
        assert [r["RoleName"] for r in roles if r["RoleName"].startswith("inventory")] == []

        # WHEN the sample is loaded; THEN every row loads, with LabRole's credentials
        code, out = lab.cli("load", str(SAMPLE), "--timeout", "180")
        assert code == 0, out
        loaded = report(lab, "inventory-sample.csv")
        assert loaded["status"] == "loaded"
        assert loaded["rows_loaded"] == len(csv_rows(SAMPLE))


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    stripped = copy.deepcopy(document)
    for statement in stripped["Statement"]:
        actions = statement["Action"]
        if isinstance(actions, list) and action in actions:
            statement["Action"] = [a for a in actions if a != action]
    return stripped


def _log_text(stack: DeployedStack, function_key: str) -> str:
    logs = stack.target.client("logs")
    group = stack.outputs["log_group_names"][function_key]
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
    return "\n".join(event["message"] for page in pages for event in page["events"])


def test_a_loader_role_without_batch_write_fails_the_load_with_access_denied(
    stack: DeployedStack,
) -> None:
    # GIVEN the range loader's role with its policy but for dynamodb:BatchWriteItem
    iam = stack.target.client("iam")
    function_name = stack.outputs["function_names"][RANGE_LOADER]
    role, policy = f"{function_name}-role", f"{function_name}-policy"
    original = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
    assert "dynamodb:BatchWriteItem" in str(original)
    stripped = _without(original, "dynamodb:BatchWriteItem")
    iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(stripped))
    try:
        # WHEN the sample is loaded
        code, out = stack.cli("load", str(SAMPLE), "--timeout", "180")

        # THEN the load fails, and the function's log says why, naming the action
        assert code != 0, out
        assert report(stack, "inventory-sample.csv")["status"] != "loaded"
        log = _log_text(stack, RANGE_LOADER)
        assert "AccessDenied" in log
        assert "dynamodb:BatchWriteItem" in log
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=json.dumps(original))

    # AND with the module's policy back, the same file loads every row
    code, out = stack.cli("load", str(SAMPLE), "--timeout", "180")
    assert code == 0, out
    loaded = report(stack, "inventory-sample.csv")
    assert loaded["status"] == "loaded"
    assert loaded["rows_loaded"] == len(csv_rows(SAMPLE))
