"""S3 -> Lambda notifications: checked when configured, delivered asynchronously, as on AWS."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

from orchestrator.local_cloud.lambda_permissions import service_may_invoke
from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.s3")

# moto completes a multipart upload through put_object, which sends ObjectCreated:Put before
# its own ObjectCreated:CompleteMultipartUpload: two events (two loads) where AWS sends one.
_completing = threading.local()


def install(runtime: LambdaRuntime) -> None:
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    def deliver(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        """S3 invokes functions asynchronously: PutObject returns before the code runs."""
        function = _function(account_id, fn_arn, region_name)
        if function is None:
            log.warning("S3 notification for %s dropped: no such function", fn_arn)
            return
        event = _complete_event(event_body)
        runtime.invoke_async(function, json.dumps(event), trigger="s3")

    original_put = S3Backend.put_bucket_notification_configuration

    def put_notification(self: Any, bucket_name: str, notification_config: dict[str, Any]) -> None:
        bucket = self.get_bucket(bucket_name)
        previous = bucket.notification_configuration
        original_put(self, bucket_name, notification_config)
        refused = _refused_destinations(bucket)
        if refused:
            bucket.notification_configuration = previous
            raise _validation_error(refused)

    original_complete = S3Backend.complete_multipart_upload
    original_send = notifications.send_event
    put_event = notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT

    def complete_multipart_upload(self: Any, *args: Any, **kwargs: Any) -> Any:
        _completing.active = True
        try:
            return original_complete(self, *args, **kwargs)
        finally:
            _completing.active = False

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        if event_name == put_event and getattr(_completing, "active", False):
            return  # the completion sends its own event
        original_send(account_id, event_name, bucket, key)

    replace(notifications, "_invoke_awslambda", deliver)
    replace(notifications, "send_event", send_event)
    replace(S3Backend, "complete_multipart_upload", complete_multipart_upload)
    replace(S3Backend, "put_bucket_notification_configuration", put_notification)


def _function(account_id: str, fn_arn: str, region_name: str) -> Any | None:
    from moto.awslambda.utils import get_backend

    try:
        return get_backend(account_id, region_name).get_function(fn_arn)
    except Exception:
        return None


def _refused_destinations(bucket: Any) -> list[str]:
    """Functions S3 could not invoke: missing, or no permission for s3.amazonaws.com.

    AWS checks this when the configuration is put, so a missing ``aws_lambda_permission``
    fails ``terraform apply`` there; the same happens here.
    """
    configuration = bucket.notification_configuration
    refused = []
    for target in getattr(configuration, "cloud_function", []) or []:
        region = target.arn.split(":")[3] if target.arn.count(":") >= 3 else ""
        function = _function(bucket.account_id, target.arn, region)
        source_arn = f"arn:aws:s3:::{bucket.name}"
        if function is None or not service_may_invoke(
            function, "s3.amazonaws.com", source_arn, bucket.account_id
        ):
            refused.append(target.arn)
    return refused


def _validation_error(arns: list[str]) -> Exception:
    from moto.s3.exceptions import InvalidArgumentError

    return InvalidArgumentError(
        "Unable to validate the following destination configurations", arns[0], "Invalid"
    )


def _complete_event(event: dict[str, Any]) -> dict[str, Any]:
    """Add the fields real S3 events carry and moto leaves out (parsers read them)."""
    for record in event.get("Records", []):
        record.setdefault("userIdentity", {"principalId": "AWS:AIDALOCALCLOUDEXAMPLE"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault(
            "responseElements",
            {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
        )
        s3 = record.get("s3", {})
        s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": "LOCALCLOUDOWNER"})
        s3.get("object", {}).setdefault("sequencer", f"{time.time_ns():016X}")
    return event
