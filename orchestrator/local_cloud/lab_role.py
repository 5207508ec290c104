"""The pre-made ``LabRole`` of AWS Academy Learner Lab, in the local cloud's default account.

Learner Lab users force it with ``--var lab_role_arn=arn:aws:iam::<account>:role/LabRole``.
moto's CreateFunction checks that a function's role exists, and the Terraform provider retries
that error for 14+ minutes; so the role exists here too, trusted by the services Learner Lab's
role trusts. It is made with the IAM backend itself, hence again after a moto reset.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.local_cloud.monkeypatch import replace

LAB_ROLE_NAME = "LabRole"

# The services whose resources run with LabRole on Learner Lab (its trust policy lists these).
TRUSTED_SERVICES = (
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "ecs.amazonaws.com",
    "ec2.amazonaws.com",
    "events.amazonaws.com",
    "scheduler.amazonaws.com",
    "states.amazonaws.com",
    "apigateway.amazonaws.com",
    "application-autoscaling.amazonaws.com",
    "autoscaling.amazonaws.com",
    "rds.amazonaws.com",
    "dynamodb.amazonaws.com",
    "s3.amazonaws.com",
    "sns.amazonaws.com",
    "sqs.amazonaws.com",
    "logs.amazonaws.com",
    "firehose.amazonaws.com",
    "kinesis.amazonaws.com",
    "glue.amazonaws.com",
    "sagemaker.amazonaws.com",
    "elasticmapreduce.amazonaws.com",
    "cloudformation.amazonaws.com",
    "codebuild.amazonaws.com",
    "codedeploy.amazonaws.com",
    "elasticbeanstalk.amazonaws.com",
    "secretsmanager.amazonaws.com",
    "ssm.amazonaws.com",
)


# Learner Lab's LabRole may use these services on any resource (its real policy is broader still).
ALLOWED_SERVICES = (
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "elasticloadbalancing",
    "events",
    "iam:PassRole",
    "kms",
    "lambda",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "states",
    "sts",
    "xray",
)


def permissions_policy() -> str:
    actions = [name if ":" in name else f"{name}:*" for name in ALLOWED_SERVICES]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
    )


def trust_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": list(TRUSTED_SERVICES)},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def install() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import IAMBackend, iam_backends

    original_initialize = IAMBackend.initialize_service_roles

    def initialize_service_roles(self: Any) -> None:
        original_initialize(self)
        if self.account_id == DEFAULT_ACCOUNT_ID:
            self.create_role(
                role_name=LAB_ROLE_NAME,
                assume_role_policy_document=trust_policy(),
                path="/",
                permissions_boundary=None,
                description="Learner Lab's pre-made role, as the local cloud has it",
                tags=[],
                max_session_duration="3600",
            )
            self.put_role_policy(LAB_ROLE_NAME, "LearnerLabAccess", permissions_policy())

    replace(IAMBackend, "initialize_service_roles", initialize_service_roles)
    # moto makes backends on first use: make this one now, so the role exists before the server
    # answers its first request.
    iam_backends[DEFAULT_ACCOUNT_ID]["aws"].get_role(LAB_ROLE_NAME)
