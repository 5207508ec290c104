"""SQS event source mappings: polled asynchronously, bounded concurrency, redrive to a DLQ."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import unique, wait_for


def queue(aws: Callable[[str], Any], name: str, **attributes: str) -> tuple[str, str]:
    url = aws("sqs").create_queue(QueueName=unique(name), Attributes=attributes)["QueueUrl"]
    arn = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return str(url), str(arn)


def runs(cloud: LocalCloud, topic: str) -> list[dict[str, Any]]:
    return [json.loads(m["message"]) for m in cloud.sns_messages(topic_arn=topic)]


def test_messages_are_delivered_asynchronously_with_bounded_concurrency(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a queue mapped to a function with batch size 1 and at most 2 concurrent invocations
    url, arn = queue(aws, "work")
    topic = aws("sns").create_topic(Name=unique("worked"))["TopicArn"]
    name = make_function("sqs_worker", env={"TOPIC_ARN": topic, "WORK_SECONDS": "0.15"})
    mapping = aws("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=1,
        ScalingConfig={"MaximumConcurrency": 2},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    assert aws("lambda").get_event_source_mapping(UUID=mapping["UUID"])["ScalingConfig"] == {
        "MaximumConcurrency": 2
    }

    # WHEN 50 messages are sent
    started = time.perf_counter()
    for start in range(0, 50, 10):
        aws("sqs").send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": f"message-{i}",
                    "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)}},
                }
                for i in range(start, start + 10)
            ],
        )
    send_seconds = time.perf_counter() - started

    # THEN sending did not wait, and each message was delivered once, in AWS's event shape
    done = wait_for(lambda: (r := runs(cloud, topic)) and len(r) >= 50 and r, timeout=30)
    assert send_seconds < 2
    records = [record for run in done for record in run["records"]]
    assert sorted(r["body"] for r in records) == sorted(f"message-{i}" for i in range(50))
    record = records[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert int(record["attributes"]["SentTimestamp"]) > 0
    assert record["messageAttributes"]["n"]["dataType"] == "Number"
    assert record["md5OfBody"] and record["messageId"] and record["receiptHandle"]
    # AND never more than 2 invocations ran at once (but 2 did)
    intervals = [(run["started"], run["ended"]) for run in done]
    overlap = max(sum(1 for s, e in intervals if s <= moment < e) for moment, _ in intervals)
    assert overlap == 2
    # AND the queue is empty: delivered messages were deleted
    time.sleep(0.5)
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_a_message_that_always_fails_moves_to_the_dead_letter_queue(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a queue with a redrive policy (2 receives), mapped to a function
    dlq_url, dlq_arn = queue(aws, "dlq")
    url, arn = queue(
        aws,
        "failing",
        VisibilityTimeout="1",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    )
    topic = aws("sns").create_topic(Name=unique("worked"))["TopicArn"]
    name = make_function("sqs_worker", env={"TOPIC_ARN": topic, "WORK_SECONDS": "0"})
    # (warm, so that no invocation outlasts the 1 s visibility timeout)
    aws("lambda").invoke(FunctionName=name, Payload=json.dumps({"Records": []}))
    aws("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)

    # WHEN a good message and one that always fails are sent
    aws("sqs").send_message(QueueUrl=url, MessageBody="always-fail")
    aws("sqs").send_message(QueueUrl=url, MessageBody="fine")

    # THEN the failing one lands in the dead-letter queue after two receives
    moved = wait_for(
        lambda: (
            aws("sqs")
            .receive_message(
                QueueUrl=dlq_url, WaitTimeSeconds=1, AttributeNames=["ApproximateReceiveCount"]
            )
            .get("Messages")
        )
    )
    assert moved[0]["Body"] == "always-fail"
    # 2 receives by the mapping, then this one (the count travels with the message, as on AWS)
    assert moved[0]["Attributes"]["ApproximateReceiveCount"] == "3"
    failed_runs = [
        r for r in cloud.lambda_invocations() if r["function"] == name and r["status"] == "error"
    ]
    assert len(failed_runs) == 2
    # AND the good one was delivered
    assert [rec["body"] for run in runs(cloud, topic) for rec in run["records"]] == ["fine"]
