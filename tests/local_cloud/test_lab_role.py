"""LabRole exists in the local cloud, as in AWS Academy Learner Lab, so forcing it works."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.local_cloud.conftest import ACCOUNT_ID, unique
from tests.local_cloud.functions import handlers_zip

LAB_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/LabRole"


def test_lab_role_exists_and_lambda_and_ecs_tasks_may_assume_it(aws: Callable[[str], Any]) -> None:
    role = aws("iam").get_role(RoleName="LabRole")["Role"]

    assert role["Arn"] == LAB_ROLE_ARN
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    services = trust["Statement"][0]["Principal"]["Service"]
    assert {"lambda.amazonaws.com", "ecs-tasks.amazonaws.com"} <= set(services)


def test_a_function_can_be_created_with_the_lab_role(aws: Callable[[str], Any]) -> None:
    functions = aws("lambda")
    name = unique("with-lab-role")

    created = functions.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=LAB_ROLE_ARN,
        Handler="handlers.echo",
        Code={"ZipFile": handlers_zip()},
    )

    assert created["Role"] == LAB_ROLE_ARN
    functions.delete_function(FunctionName=name)
