"""DynamoDB stream mappings: asynchronous batches, retries, bisection and on-failure records."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from devtools.inventory_table import create_inventory_table
from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import unique, wait_for


def stream_setup(
    aws: Callable[[str], Any], make_function: Callable[..., str], **mapping: Any
) -> tuple[str, str, str]:
    """A table, a stream_batches function mapped to its stream; returns table, topic, uuid."""
    table = unique("stream")
    stream_arn = create_inventory_table(aws("dynamodb"), table)["TableDescription"][
        "LatestStreamArn"
    ]
    topic = aws("sns").create_topic(Name=unique("seen"))["TopicArn"]
    markers = unique("markers")
    aws("s3").create_bucket(Bucket=markers)
    name = make_function("stream_batches", env={"TOPIC_ARN": topic, "MARKER_BUCKET": markers})
    created = aws("lambda").create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName=name, StartingPosition="LATEST", **mapping
    )
    return table, str(topic), str(created["UUID"])


def batches(cloud: LocalCloud, topic: str) -> list[list[dict[str, Any]]]:
    return [json.loads(m["message"])["records"] for m in cloud.sns_messages(topic_arn=topic)]


def items(batch: list[dict[str, Any]]) -> list[str]:
    return [record["item"] for record in batch]


def write(aws: Callable[[str], Any], table: str, names: list[str], count: int = 1) -> None:
    for start in range(0, len(names), 25):
        aws("dynamodb").batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": {
                                "store": {"S": "Berlin"},
                                "item": {"S": name},
                                "count": {"N": str(count)},
                            }
                        }
                    }
                    for name in names[start : start + 25]
                ]
            }
        )


def delivered(cloud: LocalCloud, topic: str, expected: int) -> list[list[dict[str, Any]]] | None:
    seen = batches(cloud, topic)
    return seen if sum(len(b) for b in seen) >= expected else None


def test_quick_writes_arrive_in_batches_each_record_once_in_order(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a mapping with batch size 100 and a 1 s batching window
    table, topic, _ = stream_setup(
        aws, make_function, BatchSize=100, MaximumBatchingWindowInSeconds=1
    )
    names = [f"item-{i:02d}" for i in range(50)]

    # WHEN 250 writes happen quickly: 5 rounds over the same 50 keys
    started = time.perf_counter()
    for round_number in range(5):
        write(aws, table, names, count=round_number)
    write_seconds = time.perf_counter() - started

    # THEN the writes did not wait for the function, which saw batches of up to 100 records
    seen = wait_for(lambda: delivered(cloud, topic, 250))
    time.sleep(1.5)  # nothing more comes
    seen = batches(cloud, topic)
    assert write_seconds < 5
    assert max(len(b) for b in seen) > 1
    assert max(len(b) for b in seen) <= 100
    records = [record for batch in seen for record in batch]
    # AND every record exactly once, in shard order, so in write order for each key
    sequence_numbers = [int(r["seq"]) for r in records]
    assert len(records) == 250 and len(set(sequence_numbers)) == 250
    assert sequence_numbers == sorted(sequence_numbers)
    for name in names:
        assert [r["count"] for r in records if r["item"] == name] == ["0", "1", "2", "3", "4"]


def test_a_partial_batch_failure_is_retried_from_the_first_reported_record(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a mapping that reports batch item failures
    table, topic, _ = stream_setup(
        aws,
        make_function,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=2,
    )

    # WHEN a batch holds a record the function reports as failed once
    write(aws, table, ["a", "b", "fail-once-c", "d", "e"])

    # THEN the batch is retried from that record on, and then succeeds
    seen = wait_for(lambda: delivered(cloud, topic, 8))
    time.sleep(1.0)
    assert [items(b) for b in batches(cloud, topic)] == [
        ["a", "b", "fail-once-c", "d", "e"],
        ["fail-once-c", "d", "e"],
    ]
    assert seen


def test_a_poison_record_is_bisected_out_to_the_on_failure_queue_and_the_shard_moves_on(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a mapping with bisection, 1 retry and an on-failure SQS destination
    dlq_url = aws("sqs").create_queue(QueueName=unique("stream-dlq"))["QueueUrl"]
    dlq_arn = aws("sqs").get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    table, topic, uuid = stream_setup(
        aws,
        make_function,
        BatchSize=100,
        MaximumBatchingWindowInSeconds=1,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    # AND the mapping keeps what was set (no perpetual diff in Terraform)
    stored = aws("lambda").get_event_source_mapping(UUID=uuid)
    assert stored["BisectBatchOnFunctionError"] is True
    assert stored["MaximumBatchingWindowInSeconds"] == 1
    assert stored["MaximumRecordAgeInSeconds"] == 60
    assert stored["DestinationConfig"] == {"OnFailure": {"Destination": dlq_arn}}

    # WHEN a batch holds a record that makes the function raise
    write(aws, table, ["g1", "g2", "g3", "poison", "g4", "g5", "g6", "g7"])

    # THEN the poison record alone is described in the dead-letter queue
    messages = wait_for(
        lambda: aws("sqs").receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages")
    )
    record = json.loads(messages[0]["Body"])
    info = record["DDBStreamBatchInfo"]
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2  # first try + 1 retry
    assert ":function:stream-batches-" in record["requestContext"]["functionArn"]
    assert record["requestContext"]["requestId"]
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == stored["EventSourceArn"]
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    poison_seqs = {r["seq"] for b in batches(cloud, topic) for r in b if r["item"] == "poison"}
    assert poison_seqs == {info["startSequenceNumber"]}
    # AND every good record got through, and later writes still do
    write(aws, table, ["later"])
    wait_for(lambda: any("later" in items(b) for b in batches(cloud, topic)))
    good = {i for b in batches(cloud, topic) if "poison" not in items(b) for i in items(b)}
    assert good == {"g1", "g2", "g3", "g4", "g5", "g6", "g7", "later"}


def test_a_deleted_mapping_stops_delivering(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    table, topic, uuid = stream_setup(aws, make_function, BatchSize=10)
    write(aws, table, ["first"])
    wait_for(lambda: batches(cloud, topic))

    aws("lambda").delete_event_source_mapping(UUID=uuid)
    write(aws, table, ["second"])
    time.sleep(1.0)

    assert [items(b) for b in batches(cloud, topic)] == [["first"]]
    # AND GetRecords still reads the stream
    streams = aws("dynamodbstreams")
    arn = streams.list_streams(TableName=table)["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["item"]["S"] for r in records] == ["first", "second"]
