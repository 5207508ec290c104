"""Source of the small Lambda functions the local cloud tests deploy, zipped in the test."""

from __future__ import annotations

import io
import zipfile

HANDLERS = '''
import json
import os
import time
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger

logger = Logger(service="local-cloud-test")
print("init: module imported")


def echo(event, context):
    logger.info("echo called", extra={"keys": sorted(event)})
    if event.get("bucket"):
        boto3.client("s3").put_object(Bucket=event["bucket"], Key=event["key"], Body=b"written")
    return {
        "event": event,
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "custom": os.environ.get("CUSTOM_SETTING"),
        "pid": os.getpid(),
    }


def sleeper(event, context):
    print("going to sleep")
    time.sleep(event.get("seconds", 30))
    return "woke up"


def raiser(event, context):
    raise ValueError("the handler failed on purpose")


def copy_upload(event, context):
    """S3 notification: copy each new object to <key>.seen."""
    s3 = boto3.client("s3")
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 events carry encoded keys
        if key.endswith(".seen"):
            continue
        s3.copy_object(Bucket=bucket, Key=key + ".seen", CopySource={"Bucket": bucket, "Key": key})
    return {"copied": len(event["Records"])}


def stream_to_sns(event, context):
    """DynamoDB stream: one SNS message per record; items named poison fail."""
    sns = boto3.client("sns")
    failures = []
    for record in event["Records"]:
        keys = record["dynamodb"]["Keys"]
        item = keys["item"]["S"]
        if item.startswith("poison"):
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            continue
        sns.publish(
            TopicArn=os.environ["TOPIC_ARN"],
            Subject="stock",
            Message=json.dumps({"event": record["eventName"], "item": item}),
        )
    return {"batchItemFailures": failures}


def http_api(event, context):
    """HTTP API (payload format 2.0): echo what the gateway sent."""
    path = event["rawPath"]
    if path.endswith("/fail"):
        raise RuntimeError("route handler failed")
    if path.endswith("/plain"):
        return {"plain": True}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Handler": "http_api"},
        "cookies": ["session=abc; Path=/"],
        "body": json.dumps(
            {
                "version": event["version"],
                "routeKey": event["routeKey"],
                "rawPath": path,
                "rawQueryString": event["rawQueryString"],
                "pathParameters": event.get("pathParameters"),
                "queryStringParameters": event.get("queryStringParameters"),
                "headers": event["headers"],
                "requestContext": event["requestContext"],
                "body": event.get("body"),
                "isBase64Encoded": event["isBase64Encoded"],
            }
        ),
    }
'''


def handlers_zip(extra_source: str = "") -> bytes:
    """A zip holding handlers.py (deterministic bytes, so the code cache is reused)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("handlers.py", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, HANDLERS + extra_source)
    return buffer.getvalue()
