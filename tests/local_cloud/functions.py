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


def stream_batches(event, context):
    """DynamoDB stream: publish what each invocation saw; poison items raise, items named
    fail-once-* are reported in batchItemFailures the first time (S3 marker in MARKER_BUCKET)."""
    records = event["Records"]
    seen = [
        {
            "item": r["dynamodb"]["Keys"]["item"]["S"],
            "count": r["dynamodb"].get("NewImage", {}).get("count", {}).get("N"),
            "seq": r["dynamodb"]["SequenceNumber"],
            "event": r["eventName"],
        }
        for r in records
    ]
    boto3.client("sns").publish(
        TopicArn=os.environ["TOPIC_ARN"],
        Message=json.dumps({"request_id": context.aws_request_id, "records": seen}),
    )
    if any(r["item"].startswith("poison") for r in seen):
        raise ValueError("poison record in the batch")
    failures = []
    s3 = boto3.client("s3")
    for r in seen:
        if r["item"].startswith("fail-once"):
            try:
                s3.head_object(Bucket=os.environ["MARKER_BUCKET"], Key=r["item"])
            except Exception:
                s3.put_object(Bucket=os.environ["MARKER_BUCKET"], Key=r["item"], Body=b"1")
                failures.append({"itemIdentifier": r["seq"]})
    return {"batchItemFailures": failures}


def sqs_worker(event, context):
    """SQS: publish each message with the time it ran; bodies 'always-fail' raise."""
    started = time.time()
    time.sleep(float(os.environ.get("WORK_SECONDS", "0.2")))
    for record in event["Records"]:
        if record["body"] == "always-fail":
            raise RuntimeError("this message always fails")
    boto3.client("sns").publish(
        TopicArn=os.environ["TOPIC_ARN"],
        Message=json.dumps(
            {"records": event["Records"], "started": started, "ended": time.time()}
        ),
    )
    return {"batchItemFailures": []}


def hog(event, context):
    """Allocate memory in 16 MB steps until told to stop (or killed)."""
    chunks = []
    for _ in range(event.get("steps", 64)):
        chunks.append(b"x" * (16 * 1024 * 1024))
        time.sleep(0.02)
    return {"allocated_mb": 16 * len(chunks)}


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
