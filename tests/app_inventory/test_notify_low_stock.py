"""The stream handler: one alert per crossing, poison to the dead-letter queue, store counts,
and retries from the first failure that redo exactly what is missing."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import boto3
import pytest

from app_inventory import aws_clients
from app_inventory.notify_low_stock import handler
from tests.conftest import REPO_ROOT, load_event

from .conftest import FakeLambdaContext, InventoryStack
from .stream_stack import StreamStack, add_stream_resources, captured_log


@pytest.fixture
def stream(stack: InventoryStack, monkeypatch: pytest.MonkeyPatch) -> StreamStack:
    return add_stream_resources(stack, monkeypatch)


@pytest.fixture(autouse=True)
def _stream_resources(stream: StreamStack) -> None:
    """Every test here runs the handler, which needs its tables and queue."""


def recorded(name: str, *items: str) -> list[dict[str, Any]]:
    """Records of a recorded event, all or those of ``items`` in that order."""
    records = load_event(name)["Records"]
    if not items:
        return copy.deepcopy(records)
    by_item = {r["dynamodb"]["Keys"]["item"]["S"]: r for r in records}
    return [copy.deepcopy(by_item[item]) for item in items]


def change(item: str) -> dict[str, Any]:
    """A one-record stream event: the recorded change to ``item``."""
    return {"Records": recorded("dynamodb_stream_changes", item)}


def sequence_numbers(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records]


def test_insert_below_threshold_alerts_naming_store_item_and_count(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a new item, Madrid Manchego, with a count of 2 (threshold 5)
    # WHEN the stream handler receives its INSERT
    response = handler(change("Manchego"), lambda_context)
    # THEN one alert names store, item and count, in text, attributes and subject
    assert response == {"batchItemFailures": []}
    assert stack.published() == [
        {
            "message": "Store Madrid has 2 of Manchego left, below the low-stock threshold of 5.",
            "attributes": {"store": "Madrid", "item": "Manchego", "count": "2"},
        }
    ]
    assert stack.subjects() == ["Low stock: Manchego in Madrid"]


@pytest.mark.parametrize(
    ("item", "what"),
    [
        ("Bananas", "MODIFY 12 -> 3"),
        ("Jamon", "MODIFY 5 -> 4: at the threshold is not low, below it is"),
    ],
)
def test_modify_crossing_below_the_threshold_alerts(
    stack: InventoryStack, lambda_context: FakeLambdaContext, item: str, what: str
) -> None:
    response = handler(change(item), lambda_context)
    assert response == {"batchItemFailures": []}
    assert [m["attributes"]["item"] for m in stack.published()] == [item], what


@pytest.mark.parametrize(
    ("item", "what"),
    [
        ("Oranges", "INSERT 60: above"),
        ("Eggs", "MODIFY 4 -> 0: already below, alerted when it crossed"),
        ("Apples", "MODIFY 40 -> 42: stays above"),
        ("Butter", "MODIFY 3 -> 5: back at the threshold"),
        ("Pretzels", "REMOVE"),
        ("Milk", "MODIFY 3 -> 3: the same file loaded again"),
    ],
)
def test_no_alert_without_a_crossing(
    stream: StreamStack, lambda_context: FakeLambdaContext, item: str, what: str
) -> None:
    response = handler(change(item), lambda_context)
    assert response == {"batchItemFailures": []}
    assert stream.alerts() == [], what
    # AND a write that does not alert costs no idempotency record
    assert stream.alert_records() == 0


def test_a_batch_alerts_once_per_crossing_and_counts_per_store(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the nine recorded changes in one batch
    event = load_event("dynamodb_stream_changes")
    # WHEN handled
    response = handler(event, lambda_context)
    # THEN exactly the three crossings alerted, each with one idempotency record
    assert response == {"batchItemFailures": []}
    assert sorted(stream.alerts()) == [
        ("Berlin", "Bananas", 3),
        ("Madrid", "Jamon", 4),
        ("Madrid", "Manchego", 2),
    ]
    assert stream.alert_records() == 3
    # AND the store counts moved by the changes (Berlin's items were never inserted here):
    # Madrid +Manchego(low) +Oranges, Jamon went low; Berlin Bananas low, Butter back, Pretzels
    # (low) removed
    assert stream.summary() == {"Madrid": (2, 2), "Berlin": (-1, -1)}


def test_poison_records_go_to_the_dead_letter_queue_and_the_log_not_into_the_failures(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a batch with a non-numeric count and a missing count between two good crossings
    event = load_event("dynamodb_stream_with_poison")
    # WHEN handled
    with captured_log() as log:
        response = handler(event, lambda_context)
    # THEN no record is failed: the poison does not block or re-trigger the batch
    assert response == {"batchItemFailures": []}
    # AND both good crossings were published, once
    assert stream.alerts() == [("Berlin", "Bananas", 3), ("Madrid", "Manchego", 1)]
    # AND each poison record is in the dead-letter queue with its key, reason and the record
    letters = stream.dead_letters()
    assert [(m["kind"], m["keys"], m["reason"], m["event_id"]) for m in letters] == [
        (
            "poison-stream-record",
            {"store": "Berlin", "item": "Coffee"},
            "NewImage count is missing or not a number: 'lots'",
            "57a3742b7885844cca1831bc71cb71f2",
        ),
        (
            "poison-stream-record",
            {"store": "Madrid", "item": "Saffron"},
            "NewImage count is missing or not a number: None",
            "735983a597eb694344a73ba60320fb71",
        ),
    ]
    assert letters[0]["record"] == event["Records"][1]
    # AND in the log at ERROR with the item's key and the reason
    errors = [(e["store"], e["item"], e["reason"]) for e in log if e["level"] == "ERROR"]
    assert errors == [
        ("Berlin", "Coffee", "NewImage count is missing or not a number: 'lots'"),
        ("Madrid", "Saffron", "NewImage count is missing or not a number: None"),
    ]
    # AND the poison records do not count: Madrid has Manchego only, Berlin Bananas gone low
    assert stream.summary() == {"Berlin": (0, 1), "Madrid": (1, 1)}


def test_a_lone_poison_record_is_dead_lettered_not_reported(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a batch holding only the record whose count is a string
    event = {"Records": recorded("dynamodb_stream_with_poison", "Coffee")}
    # WHEN handled
    response = handler(event, lambda_context)
    # THEN no failure, nothing published, one dead letter
    assert response == {"batchItemFailures": []}
    assert stream.alerts() == []
    assert [m["keys"] for m in stream.dead_letters()] == [{"store": "Berlin", "item": "Coffee"}]


def test_a_record_without_a_readable_key_is_named_by_its_raw_keys(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a record whose Keys have no item (another table's record, say)
    (record,) = recorded("dynamodb_stream_changes", "Bananas")
    record["dynamodb"]["Keys"] = {"sku": {"S": "B-1"}}
    # WHEN handled
    with captured_log() as log:
        response = handler({"Records": [record]}, lambda_context)
    # THEN the dead letter and the log name the raw Keys
    assert response == {"batchItemFailures": []}
    (letter,) = stream.dead_letters()
    assert letter["keys"] == {"sku": {"S": "B-1"}}
    assert letter["reason"] == "Keys lack a store and item: ['sku']"
    (error,) = [e for e in log if e["level"] == "ERROR"]
    assert error["keys"] == {"sku": {"S": "B-1"}}


def test_a_batch_delivered_again_alerts_nothing_and_counts_nothing(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the poison batch handled once
    event = load_event("dynamodb_stream_with_poison")
    handler(copy.deepcopy(event), lambda_context)
    alerts, summary, letters = stream.alerts(), stream.summary(), stream.dead_letters()
    assert len(alerts) == 2 and len(letters) == 2
    # WHEN the whole batch comes again (a timed-out invocation), then its tail from Saffron
    again = handler(copy.deepcopy(event), lambda_context)
    tail = handler({"Records": copy.deepcopy(event["Records"][2:])}, lambda_context)
    # THEN no alert is repeated and the counts stay
    assert again == tail == {"batchItemFailures": []}
    assert stream.alerts() == []
    assert stream.summary() == summary
    # AND the poison records are dead-lettered again: once per delivery (only an invocation
    # that failed as a whole redelivers a record that was not reported)
    assert len(stream.dead_letters()) == 3


def _batch_with_poison_in_the_middle() -> list[dict[str, Any]]:
    """Manchego(alert) Oranges Bananas(alert) Eggs Apples Jamon(alert) Coffee(poison) Butter
    Pretzels Milk."""
    changes = recorded("dynamodb_stream_changes")
    return changes[:6] + recorded("dynamodb_stream_with_poison", "Coffee") + changes[6:]


def test_sns_failing_for_one_record_retries_it_and_the_later_ones_exactly_once(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    records = _batch_with_poison_in_the_middle()
    # GIVEN the topic is deleted just before Jamon's alert is published (moto then answers
    # NotFound, as SNS does for a topic that is gone)
    sns = aws_clients.sns_client()

    def delete_topic_before_jamon(params: dict[str, Any], **_: Any) -> None:
        if params["MessageAttributes"]["item"]["StringValue"] == "Jamon":
            boto3.client("sns").delete_topic(TopicArn=params["TopicArn"])

    sns.meta.events.register("provide-client-params.sns.Publish", delete_topic_before_jamon)
    # WHEN the batch is handled
    with captured_log() as log:
        response = handler({"Records": copy.deepcopy(records)}, lambda_context)
    sns.meta.events.unregister("provide-client-params.sns.Publish", delete_topic_before_jamon)
    # THEN Jamon and every later record are reported, the earlier ones are not
    assert response == {"batchItemFailures": sequence_numbers(records[5:])}
    assert any(e["level"] == "ERROR" and "retried" in e["message"] for e in log)
    # AND the records before Jamon took effect; nothing after it was sent (the poison record
    # after it is not dead-lettered yet)
    assert stream.alerts() == [("Madrid", "Manchego", 2), ("Berlin", "Bananas", 3)]
    assert stream.dead_letters() == []
    assert stream.alert_records() == 2  # Jamon's attempt left no record behind
    # WHEN the topic is back and Lambda retries from the first failure
    stream.restore_topic()
    retry = handler({"Records": copy.deepcopy(records[5:])}, lambda_context)
    # THEN everything missing lands, once
    assert retry == {"batchItemFailures": []}
    assert stream.alerts() == [("Madrid", "Jamon", 4)]
    assert [m["keys"]["item"] for m in stream.dead_letters()] == ["Coffee"]
    assert stream.summary() == {"Madrid": (2, 2), "Berlin": (-1, -1)}
    # AND one more retry (a duplicate delivery) changes nothing
    handler({"Records": copy.deepcopy(records[5:6])}, lambda_context)
    assert stream.alerts() == []
    assert stream.summary() == {"Madrid": (2, 2), "Berlin": (-1, -1)}


def test_a_dead_letter_that_cannot_be_sent_is_a_failure_from_that_record_on(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the dead-letter queue is gone (moto answers QueueDoesNotExist)
    records = load_event("dynamodb_stream_with_poison")["Records"]
    boto3.client("sqs").delete_queue(QueueUrl=stream.dlq_url)
    # WHEN the poison batch is handled
    response = handler({"Records": copy.deepcopy(records)}, lambda_context)
    # THEN the first poison record and everything after it are reported; Bananas alerted
    assert response == {"batchItemFailures": sequence_numbers(records[1:])}
    assert stream.alerts() == [("Berlin", "Bananas", 3)]
    # WHEN the queue is back and the tail comes again
    boto3.client("sqs").create_queue(QueueName=stream.dlq_url.rsplit("/", 1)[-1])
    retry = handler({"Records": copy.deepcopy(records[1:])}, lambda_context)
    # THEN both poison records are dead-lettered once and Manchego alerted once
    assert retry == {"batchItemFailures": []}
    assert [m["keys"]["item"] for m in stream.dead_letters()] == ["Coffee", "Saffron"]
    assert stream.alerts() == [("Madrid", "Manchego", 1)]


def test_a_store_count_that_cannot_be_written_is_a_failure_from_the_stores_first_change(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN Madrid's stores item was damaged by another tool (items is a string: DynamoDB
    # refuses to ADD to it)
    stream.stores_table.put_item(Item={"store": "Madrid", "items": "many"})
    records = recorded(
        "dynamodb_stream_changes", "Bananas", "Eggs", "Manchego", "Apples", "Jamon", "Butter"
    )
    # WHEN the batch is handled
    response = handler({"Records": copy.deepcopy(records)}, lambda_context)
    # THEN Madrid's first change (Manchego) and everything after it are reported
    assert response == {"batchItemFailures": sequence_numbers(records[2:])}
    # AND only the alert before it was sent; Berlin's counts are written (guarded by last_seq)
    assert stream.alerts() == [("Berlin", "Bananas", 3)]
    berlin = stream.stores_table.get_item(Key={"store": "Berlin"})["Item"]
    assert (berlin["items"], berlin["low_items"]) == (0, 0)
    # WHEN the item is repaired and the tail comes again
    stream.stores_table.delete_item(Key={"store": "Madrid"})
    retry = handler({"Records": copy.deepcopy(records[2:])}, lambda_context)
    # THEN Madrid's alerts and counts land once, and Berlin's are not counted twice
    assert retry == {"batchItemFailures": []}
    assert stream.alerts() == [("Madrid", "Manchego", 2), ("Madrid", "Jamon", 4)]
    assert stream.summary() == {"Berlin": (0, 0), "Madrid": (1, 2)}


def test_store_counts_follow_inserts_modifies_and_removes_over_three_batches(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    stack, table = stream.inventory, stream.inventory.table
    batches: list[tuple[list[tuple[str, str, int]], list[tuple[str, str]]]] = [
        ([("Berlin", "A", 10), ("Berlin", "B", 3), ("Berlin", "C", 7), ("Madrid", "X", 1),
          ("Madrid", "Y", 8)], []),
        ([("Berlin", "A", 4), ("Berlin", "B", 9), ("Madrid", "Z", 0), ("Madrid", "X", 1)],
         [("Berlin", "C")]),
        ([("Berlin", "B", 2), ("Berlin", "C", 5)], [("Berlin", "A"), ("Madrid", "Y")]),
    ]  # fmt: skip
    expected_alerts = [
        [("Berlin", "B", 3), ("Madrid", "X", 1)],
        [("Berlin", "A", 4), ("Madrid", "Z", 0)],
        [("Berlin", "B", 2)],
    ]
    position = 0
    for (puts, deletes), alerts in zip(batches, expected_alerts, strict=True):
        # GIVEN the writes of one batch made to the table
        stack.put_items(*puts)
        for store, item in deletes:
            table.delete_item(Key={"store": store, "item": item})
        records = stack.stream_records(position)
        position += len(records)
        # WHEN their stream records are handled
        assert handler({"Records": records}, lambda_context) == {"batchItemFailures": []}
        # THEN the alerts are the crossings, and the store counts match the table
        assert stream.alerts() == alerts
        assert stream.summary() == stream.table_summary()
    assert stream.summary() == {"Berlin": (2, 1), "Madrid": (2, 2)}


def test_the_threshold_comes_from_the_environment(
    stream: StreamStack, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a threshold of 50: Apples going from 60 to 42 now crosses it
    monkeypatch.setenv("LOW_STOCK_THRESHOLD", "50")
    event = change("Apples")
    event["Records"][0]["dynamodb"]["OldImage"]["count"]["N"] = "60"
    # WHEN handled
    handler(event, lambda_context)
    # THEN it alerts, quoting the configured threshold
    (message,) = stream.inventory.published()
    assert message["message"].endswith("threshold of 50.")
    assert stream.summary() == {"Berlin": (0, 1)}


def test_writing_the_sample_alerts_once_per_low_item_and_never_on_rewrite(
    stream: StreamStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the sample's rows written into an empty table, their stream records handled
    # (written directly: the loader has its own tests, this one is about the stream)
    sample = (REPO_ROOT / "app_inventory" / "samples" / "inventory-sample.csv").read_text()
    rows = [(r["store"], r["item"], int(r["count"])) for r in csv.DictReader(io.StringIO(sample))]
    stack = stream.inventory
    stack.put_items(*rows)
    first = handler({"Records": stack.stream_records()}, lambda_context)
    # THEN one alert per item below 5 (Jamon sits at exactly 5: no alert)
    assert first == {"batchItemFailures": []}
    assert sorted(stream.alerts()) == [
        ("Berlin", "Bananas", 3),
        ("Berlin", "Eggs", 0),
        ("Madrid", "Manchego", 2),
    ]
    assert stream.summary() == {"Berlin": (9, 2), "Madrid": (8, 1)}
    # WHEN the same rows are written again and their stream records handled
    start = len(stack.stream_records())
    stack.put_items(*rows)
    second = handler({"Records": stack.stream_records(start)}, lambda_context)
    # THEN nothing new is published and the counts stay
    assert second == {"batchItemFailures": []}
    assert stream.alerts() == []
    assert stream.summary() == {"Berlin": (9, 2), "Madrid": (8, 1)}
