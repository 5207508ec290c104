"""Where moto 5.2.5 would break a deployed stack, the local cloud behaves like AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.local_cloud.s3_bucket_policy import permission
from tests.local_cloud.conftest import unique

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_a_tls_only_bucket_policy_lets_requests_through(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    bucket = unique("tls-only")
    s3.create_bucket(Bucket=bucket)
    policy = json.loads(json.dumps(TLS_ONLY).replace("arn:aws:s3:::b", f"arn:aws:s3:::{bucket}"))
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [policy]}))

    s3.put_object(Bucket=bucket, Key="uploads/a.csv", Body=b"store,item,count\n")

    assert s3.get_object(Bucket=bucket, Key="uploads/a.csv")["Body"].read().startswith(b"store")
    s3.delete_object(Bucket=bucket, Key="uploads/a.csv")


def test_an_unconditional_deny_still_denies(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    bucket = unique("deny-get")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"x")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject"}
    deny["Resource"] = f"arn:aws:s3:::{bucket}/*"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [deny]}))

    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=bucket, Key="secret.txt")

    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, "NEUTRAL"),  # requests count as TLS
        ({"Bool": {"aws:SecureTransport": "true"}}, "DENIED"),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, "NEUTRAL"),
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, "NEUTRAL"),  # unknown: left out
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, "DENIED"),
        ({}, "DENIED"),
    ],
)
def test_conditions_of_deny_statements(condition: dict[str, Any], expected: str) -> None:
    statement = {**TLS_ONLY, "Condition": condition}

    result = permission(json.dumps({"Statement": [statement]}), "s3:GetObject", "arn:aws:s3:::b/k")

    assert result == expected


def test_an_ecs_service_keeps_what_moto_drops_on_create(aws: Callable[[str], Any]) -> None:
    ecs = aws("ecs")
    cluster = unique("rebalancing")
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="rebalancing", containerDefinitions=[{"name": "a", "image": "a", "memory": 64}]
    )
    ecs.create_service(
        cluster=cluster,
        serviceName="svc",
        taskDefinition="rebalancing",
        desiredCount=1,
        availabilityZoneRebalancing="DISABLED",
        healthCheckGracePeriodSeconds=45,
    )

    described = ecs.describe_services(cluster=cluster, services=["svc"])["services"][0]

    assert described["availabilityZoneRebalancing"] == "DISABLED"
    assert described["healthCheckGracePeriodSeconds"] == 45


def test_a_redrive_policy_reads_back_as_compact_json_as_on_aws(aws: Callable[[str], Any]) -> None:
    # GIVEN a queue whose dead-letter queue is set by a redrive policy
    sqs = aws("sqs")
    dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    policy = {"deadLetterTargetArn": dlq_arn["QueueArn"], "maxReceiveCount": 3}
    queue = sqs.create_queue(
        QueueName=unique("work"), Attributes={"RedrivePolicy": json.dumps(policy)}
    )["QueueUrl"]
    # WHEN its attributes are read
    read = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])
    # THEN the policy is the text AWS gives (Terraform compares it as text)
    assert read["Attributes"]["RedrivePolicy"] == json.dumps(policy, separators=(",", ":"))
