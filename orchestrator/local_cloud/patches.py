"""Every change the local cloud makes to moto, applied in one place before the server starts."""

from __future__ import annotations

from orchestrator.local_cloud import (
    access_control,
    autoscaling_tags,
    deleted_resource_tags,
    dynamodb_streams,
    ecs_services,
    event_sources,
    http_api_gateway,
    lab_role,
    lambda_hooks,
    s3_bucket_policy,
    s3_encoding,
    s3_notifications,
    sns_record,
    sqs_attributes,
    sqs_event_sources,
)
from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.sns_record import SnsRecord


def apply_all(runtime: LambdaRuntime, record: SnsRecord, public_base_url: str) -> None:
    lambda_hooks.install(runtime)
    s3_notifications.install(runtime)
    s3_bucket_policy.install()
    s3_encoding.install()
    pollers = event_sources.install(runtime)
    dynamodb_streams.install(runtime, pollers)
    sqs_event_sources.install(runtime, pollers)
    sqs_attributes.install()
    sns_record.install(record)
    http_api_gateway.install(public_base_url)
    autoscaling_tags.install(autoscaling_tags.TagStore())
    ecs_services.install()
    lab_role.install()
    access_control.install()
    deleted_resource_tags.install()
