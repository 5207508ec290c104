"""Asynchronous invocations: retries, on-failure destinations, reserved concurrency; memory."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.local_cloud.conftest import unique, wait_for
from tests.local_cloud.test_lambda_runtime import invoke, log_messages


def test_a_failing_event_is_retried_twice_then_sent_to_the_on_failure_queue(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    # GIVEN a failing function whose event invoke config names an on-failure SQS queue
    url = aws("sqs").create_queue(QueueName=unique("async-dlq"))["QueueUrl"]
    arn = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = make_function("raiser")
    config = {
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 300,
        "DestinationConfig": {"OnFailure": {"Destination": arn}},
    }
    aws("lambda").put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    aws("lambda").put_function_event_invoke_config(FunctionName=name, **config)
    stored = aws("lambda").get_function_event_invoke_config(FunctionName=name)
    assert {k: stored[k] for k in config} == config  # Put replaces: no perpetual diff

    # WHEN it is invoked asynchronously
    response = aws("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"order": 7})
    )
    assert response["StatusCode"] == 202

    # THEN after the first try and 2 retries, AWS's invocation record is in the queue
    messages = wait_for(
        lambda: aws("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"),
        timeout=15,
    )
    record = json.loads(messages[0]["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}:$LATEST")
    assert record["requestContext"]["requestId"]
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "the handler failed on purpose"


def test_reserved_concurrency_bounds_asynchronous_invocations(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    # GIVEN a function with a reserved concurrency of 1 that records when it runs
    topic = aws("sns").create_topic(Name=unique("ran"))["TopicArn"]
    queue_url = aws("sqs").create_queue(QueueName=unique("ran"))["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    aws("sns").subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    name = make_function("sqs_worker", env={"TOPIC_ARN": topic, "WORK_SECONDS": "0.3"})
    aws("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)

    # WHEN three events are invoked at once
    for i in range(3):
        aws("lambda").invoke(
            FunctionName=name,
            InvocationType="Event",
            Payload=json.dumps({"Records": [{"body": f"event-{i}"}]}),
        )

    # THEN they ran one after the other
    runs: list[dict[str, Any]] = []

    def three_runs() -> bool:
        got = aws("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        runs.extend(json.loads(m["Body"]) for m in got.get("Messages", []))
        return len(runs) >= 3

    wait_for(three_runs, timeout=15)
    intervals = sorted((run["started"], run["ended"]) for run in runs)
    assert all(
        later[0] >= earlier[1] for earlier, later in zip(intervals, intervals[1:], strict=False)
    )


def test_a_function_over_its_memory_size_is_killed_like_aws(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    # GIVEN a function with 128 MB that allocates up to 1 GB
    name = make_function("hog", memory=128)

    # WHEN it is invoked
    started = time.perf_counter()
    response = invoke(aws, name, {"steps": 64})

    # THEN it is killed with AWS's out-of-memory error, and the log says so
    assert time.perf_counter() - started < 8
    assert response["FunctionError"] == "Unhandled"
    assert response["body"]["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in response["body"]["errorMessage"]
    reports = [m for m in log_messages(aws, name) if m.startswith("REPORT")]
    assert any("Status: error\tError Type: Runtime.OutOfMemory" in m for m in reports)
    # AND a small allocation in the next invocation works, in a new environment
    assert invoke(aws, name, {"steps": 1})["body"] == {"allocated_mb": 16}
