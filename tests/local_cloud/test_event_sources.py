"""S3 notifications and DynamoDB streams run the real functions; SNS publishes are recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devtools.inventory_table import create_inventory_table
from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import ACCOUNT_ID, unique, wait_for


def allow_s3(aws: Callable[[str], Any], function: str, bucket: str) -> str:
    arn = aws("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    aws("lambda").add_permission(
        FunctionName=function,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount=ACCOUNT_ID,
    )
    return str(arn)


def notify_on_csv(aws: Callable[[str], Any], bucket: str, function_arn: str) -> None:
    aws("s3").put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}},
                }
            ]
        },
    )


def notified_bucket(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> tuple[str, str]:
    """A new bucket that notifies a new ``copy_upload`` function of .csv objects."""
    bucket = unique("uploads")
    aws("s3").create_bucket(Bucket=bucket)
    name = make_function("copy_upload")
    notify_on_csv(aws, bucket, allow_s3(aws, name, bucket))
    return bucket, name


def test_an_upload_runs_the_notified_function_asynchronously(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a bucket that notifies a function on new .csv objects
    bucket, name = notified_bucket(aws, make_function)

    # WHEN a file is uploaded
    aws("s3").put_object(Bucket=bucket, Key="in/stock list.csv", Body=b"store,item,count\n")
    ran_during_put = [r for r in cloud.lambda_invocations() if r["function"] == name]

    # THEN the function runs after the upload returned (its cold start alone takes longer)
    assert ran_during_put == []
    wait_for(lambda: _exists(aws, bucket, "in/stock list.csv.seen"))
    runs = wait_for(lambda: [r for r in cloud.lambda_invocations() if r["function"] == name])
    assert [r["trigger"] for r in runs] == ["s3"]
    # AND a non-matching key does not trigger it
    aws("s3").put_object(Bucket=bucket, Key="notes.txt", Body=b"x")
    time.sleep(0.5)
    assert len([r for r in cloud.lambda_invocations() if r["function"] == name]) == 1


def test_a_multipart_upload_notifies_once_as_on_aws(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a bucket that notifies a function on new .csv objects
    bucket, name = notified_bucket(aws, make_function)
    # WHEN a file is uploaded in two parts (as boto3 does for files over 8 MB)
    s3 = aws("s3")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.csv")["UploadId"]
    parts = []
    for number, body in ((1, b"store,item,count\n" + b"A,b,1\n" * 900_000), (2, b"A,c,2\n")):
        etag = s3.upload_part(
            Bucket=bucket, Key="big.csv", UploadId=upload, PartNumber=number, Body=body
        )["ETag"]
        parts.append({"ETag": etag, "PartNumber": number})
    s3.complete_multipart_upload(
        Bucket=bucket, Key="big.csv", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    # THEN the function runs once (moto alone would also send an ObjectCreated:Put)
    wait_for(lambda: _exists(aws, bucket, "big.csv.seen"))
    time.sleep(1.0)
    runs = [r for r in cloud.lambda_invocations() if r["function"] == name]
    assert len(runs) == 1


def test_a_notification_without_lambda_permission_is_refused_like_aws(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    bucket = unique("no-permission")
    aws("s3").create_bucket(Bucket=bucket)
    name = make_function("copy_upload")
    arn = aws("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]

    with pytest.raises(ClientError) as refused:
        notify_on_csv(aws, bucket, arn)

    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    assert "Unable to validate" in refused.value.response["Error"]["Message"]


def _exists(aws: Callable[[str], Any], bucket: str, key: str) -> bool:
    try:
        aws("s3").head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def stream_table(aws: Callable[[str], Any]) -> tuple[str, str]:
    table = unique("inventory")
    description = create_inventory_table(aws("dynamodb"), table)
    return table, str(description["TableDescription"]["LatestStreamArn"])


def map_stream(
    aws: Callable[[str], Any], make_function: Callable[..., str], stream_arn: str, retries: int
) -> tuple[str, str]:
    topic = aws("sns").create_topic(Name=unique("NoStock"))["TopicArn"]
    name = make_function("stream_to_sns", env={"TOPIC_ARN": topic})
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=name,
        StartingPosition="LATEST",
        BatchSize=100,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=retries,
        BisectBatchOnFunctionError=True,
    )
    return name, str(topic)


def put_item(aws: Callable[[str], Any], table: str, item: str, count: int) -> None:
    aws("dynamodb").put_item(
        TableName=table,
        Item={"store": {"S": "Berlin"}, "item": {"S": item}, "count": {"N": str(count)}},
    )


def test_each_table_write_reaches_the_stream_function_once(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a table whose stream is mapped to a function that publishes to SNS
    table, stream_arn = stream_table(aws)
    name, topic = map_stream(aws, make_function, stream_arn, retries=2)

    # WHEN three writes happen (an insert, an update, a batch-written new item)
    put_item(aws, table, "apples", 10)
    put_item(aws, table, "apples", 3)
    aws("dynamodb").batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {"store": {"S": "Berlin"}, "item": {"S": "pears"}}}},
            ]
        }
    )

    # THEN the function got each write once, asynchronously, and published in order
    messages = wait_for(lambda: _at_least(cloud.sns_messages(topic_arn=topic), 3))
    time.sleep(0.5)  # nothing more comes
    messages = cloud.sns_messages(topic_arn=topic)
    assert [json.loads(m["message"]) for m in messages] == [
        {"event": "INSERT", "item": "apples"},
        {"event": "MODIFY", "item": "apples"},
        {"event": "INSERT", "item": "pears"},
    ]
    assert {m["subject"] for m in messages} == {"stock"}
    assert all(m["message_id"] and m["timestamp"] for m in messages)
    runs = [r for r in cloud.lambda_invocations() if r["function"] == name]
    assert {r["trigger"] for r in runs} == {"dynamodb-stream"}


def test_a_reported_item_failure_is_retried_then_dropped_without_blocking_writes(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    table, stream_arn = stream_table(aws)
    name, topic = map_stream(aws, make_function, stream_arn, retries=1)

    started = time.perf_counter()
    put_item(aws, table, "poison-pill", 1)
    put_item(aws, table, "bananas", 2)
    write_seconds = time.perf_counter() - started

    assert write_seconds < 2  # the writes never wait for the function
    wait_for(lambda: cloud.sns_messages(topic))
    assert [json.loads(m["message"])["item"] for m in cloud.sns_messages(topic)] == ["bananas"]
    # the poison record: first try + 1 retry, then dropped (no destination), bananas delivered
    runs = wait_for(
        lambda: _at_least([r for r in cloud.lambda_invocations() if r["function"] == name], 2)
    )
    assert 2 <= len(runs) <= 3


def _at_least(items: list[Any], count: int) -> list[Any] | None:
    return items if len(items) >= count else None


def test_the_sns_record_can_be_filtered_and_cleared(
    aws: Callable[[str], Any], cloud: LocalCloud
) -> None:
    first = aws("sns").create_topic(Name=unique("first"))["TopicArn"]
    second = aws("sns").create_topic(Name=unique("second"))["TopicArn"]
    aws("sns").publish(TopicArn=first, Message="one", Subject="s1")
    aws("sns").publish(
        TopicArn=second,
        Message="two",
        MessageAttributes={"store": {"DataType": "String", "StringValue": "Berlin"}},
    )

    only_second = cloud.sns_messages(topic_arn=second)

    assert [m["message"] for m in only_second] == ["two"]
    assert only_second[0]["subject"] is None
    assert only_second[0]["message_attributes"]["store"]["Value"] == "Berlin"
    assert [m["message"] for m in cloud.sns_messages(topic_arn=first)] == ["one"]
    cloud.clear_sns_messages()
    assert cloud.sns_messages() == []
