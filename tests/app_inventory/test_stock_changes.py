"""Reading a stream record into a stock change; what makes a record poison. Without AWS."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from app_inventory.stock_changes import PoisonRecord, StockChange, read_change
from tests.conftest import load_event


def recorded(item: str) -> dict[str, Any]:
    records = load_event("dynamodb_stream_changes")["Records"]
    (record,) = [r for r in records if r["dynamodb"]["Keys"]["item"]["S"] == item]
    return copy.deepcopy(record)


def test_a_modify_gives_both_counts_and_a_padded_sequence_number() -> None:
    change = read_change(DynamoDBRecord(recorded("Bananas")))
    assert change == StockChange(
        event_id="627c773e23458a147b19fb9a9c85824f",
        sequence="100000000000000000003".zfill(40),
        event_name="MODIFY",
        store="Berlin",
        item="Bananas",
        old_count=12,
        new_count=3,
    )
    assert len(change.sequence) == 40


def test_an_insert_has_no_old_count_and_a_remove_no_new_count() -> None:
    insert = read_change(DynamoDBRecord(recorded("Manchego")))
    remove = read_change(DynamoDBRecord(recorded("Pretzels")))
    assert (insert.old_count, insert.new_count) == (None, 2)
    assert (remove.old_count, remove.new_count) == (1, None)


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = record
    for name in parents:
        target = target[name]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("item", "path", "value", "reason", "key"),
    [
        ("Bananas", "dynamodb.NewImage.count", {"S": "abc"}, "not a number: 'abc'", True),
        ("Bananas", "dynamodb.NewImage.count", _DELETE, "count is missing", True),
        ("Bananas", "dynamodb.NewImage.count", {"BOOL": True}, "not a number", True),
        ("Bananas", "dynamodb.NewImage.count", {"N": "2.5"}, "not a whole number", True),
        ("Bananas", "dynamodb.OldImage.count", {"S": "x"}, "OldImage count", True),
        ("Bananas", "dynamodb.OldImage", _DELETE, "MODIFY without OldImage", True),
        ("Pretzels", "dynamodb.OldImage", _DELETE, "REMOVE without OldImage", True),
        ("Manchego", "dynamodb.NewImage", _DELETE, "INSERT without NewImage", True),
        ("Bananas", "eventName", "UPSERT", "unexpected event name", True),
        ("Bananas", "eventID", _DELETE, "no eventID", True),
        ("Bananas", "dynamodb.SequenceNumber", _DELETE, "no usable SequenceNumber", True),
        ("Bananas", "dynamodb.NewImage.count", {"X": "1"}, "unreadable record", True),
        ("Bananas", "dynamodb.Keys.store", _DELETE, "Keys lack a store and item", False),
        ("Bananas", "dynamodb.Keys", "garbage", "Keys is not a map", False),
        ("Bananas", "dynamodb", _DELETE, "no eventName or dynamodb", False),
        ("Bananas", "eventName", _DELETE, "no eventName or dynamodb", False),
    ],
)
def test_unusable_records_are_poison_with_reason_and_key_when_readable(
    item: str, path: str, value: Any, reason: str, key: bool
) -> None:
    record = recorded(item)
    _set(record, path, value)
    with pytest.raises(PoisonRecord, match=reason) as raised:
        read_change(DynamoDBRecord(record))
    assert raised.value.key == (
        ("Berlin" if item != "Manchego" else "Madrid", item) if key else None
    )
