"""The dead-letter message of a poison stream record."""

from __future__ import annotations

import json

from app_inventory.stock_changes import PoisonRecord
from app_inventory.stream_dead_letters import MAX_MESSAGE_BYTES, poison_message


def test_the_message_names_kind_reason_event_key_and_holds_the_record() -> None:
    record = {"eventID": "e1", "eventName": "INSERT", "dynamodb": {"Keys": {}}}
    body = json.loads(poison_message(record, PoisonRecord("count is bad", key=("Berlin", "Milk"))))
    assert body == {
        "kind": "poison-stream-record",
        "reason": "count is bad",
        "event_id": "e1",
        "keys": {"store": "Berlin", "item": "Milk"},
        "record": record,
    }


def test_without_a_readable_key_the_raw_keys_are_given() -> None:
    keys = {"store": {"N": "1"}}
    record = {"eventID": "e2", "dynamodb": {"Keys": keys}}
    body = json.loads(poison_message(record, PoisonRecord("Keys lack a store and item")))
    assert body["keys"] == keys
    assert (
        json.loads(poison_message({"eventID": "e3"}, PoisonRecord("no dynamodb")))["keys"] is None
    )


def test_a_record_too_big_for_sqs_loses_its_images_not_its_key() -> None:
    image = {"store": {"S": "Berlin"}, "item": {"S": "Milk"}, "blob": {"S": "x" * 300_000}}
    record = {
        "eventID": "e4",
        "dynamodb": {"Keys": {"store": {"S": "Berlin"}}, "NewImage": image, "OldImage": image},
    }
    body = poison_message(record, PoisonRecord("too big", key=("Berlin", "Milk")))
    assert len(body.encode()) <= MAX_MESSAGE_BYTES
    message = json.loads(body)
    assert message["images_dropped"] is True
    assert message["record"]["dynamodb"] == {"Keys": {"store": {"S": "Berlin"}}}
    assert message["keys"] == {"store": "Berlin", "item": "Milk"}
