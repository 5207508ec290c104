"""Store counts from stock changes: the deltas, and the guarded write on a moto table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from app_inventory.stock_changes import EventName, StockChange
from app_inventory.store_summary import CountDelta, apply_store_changes, count_delta


def change(seq: int, event_name: EventName, old: int | None, new: int | None) -> StockChange:
    return StockChange(
        event_id=f"e{seq}",
        sequence=str(seq).zfill(40),
        event_name=event_name,
        store="Berlin",
        item=f"item-{seq}",
        old_count=old,
        new_count=new,
    )


@pytest.mark.parametrize(
    ("event_name", "old", "new", "delta"),
    [
        ("INSERT", None, 7, CountDelta(1, 0)),
        ("INSERT", None, 4, CountDelta(1, 1)),
        ("MODIFY", 7, 4, CountDelta(0, 1)),
        ("MODIFY", 4, 7, CountDelta(0, -1)),
        ("MODIFY", 4, 3, CountDelta(0, 0)),
        ("MODIFY", 7, 9, CountDelta(0, 0)),
        ("REMOVE", 4, None, CountDelta(-1, -1)),
        ("REMOVE", 7, None, CountDelta(-1, 0)),
    ],
)
def test_count_delta(
    event_name: EventName, old: int | None, new: int | None, delta: CountDelta
) -> None:
    assert count_delta(change(1, event_name, old, new), threshold=5) == delta


@pytest.fixture
def stores_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.resource("dynamodb").create_table(
            TableName="stores",
            KeySchema=[{"AttributeName": "store", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "store", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def counts(table: Any) -> tuple[int, int, str]:
    item = table.get_item(Key={"store": "Berlin"})["Item"]
    return int(item["items"]), int(item["low_items"]), str(item["last_seq"])


BATCH = [
    change(1, "INSERT", None, 7),
    change(2, "INSERT", None, 2),
    change(3, "MODIFY", 7, 3),
    change(4, "REMOVE", 2, None),
]


def test_one_write_per_store_and_batch(stores_table: Any) -> None:
    writes = apply_store_changes(stores_table, "Berlin", BATCH, threshold=5)
    assert writes == 1
    assert counts(stores_table) == (1, 1, "4".zfill(40))


def test_a_batch_delivered_again_counts_nothing(stores_table: Any) -> None:
    apply_store_changes(stores_table, "Berlin", BATCH, threshold=5)
    # WHEN the same changes come again: the guard refuses, the answer says how far it got
    writes = apply_store_changes(stores_table, "Berlin", BATCH, threshold=5)
    # THEN one refused write, and the counts stay
    assert writes == 1
    assert counts(stores_table) == (1, 1, "4".zfill(40))


def test_an_overlapping_redelivery_counts_only_what_is_new(stores_table: Any) -> None:
    # GIVEN the first two changes counted
    apply_store_changes(stores_table, "Berlin", BATCH[:2], threshold=5)
    assert counts(stores_table) == (2, 1, "2".zfill(40))
    # WHEN a batch from the second change on arrives (a retry from a later failure)
    writes = apply_store_changes(stores_table, "Berlin", BATCH[1:], threshold=5)
    # THEN the refused write, then one write with the third and fourth changes only
    assert writes == 2
    assert counts(stores_table) == (1, 1, "4".zfill(40))


def test_changes_that_move_nothing_cost_no_write(stores_table: Any) -> None:
    # GIVEN a reload: every count the same, or staying on its side of the threshold
    quiet = [change(1, "MODIFY", 3, 3), change(2, "MODIFY", 7, 9)]
    # THEN nothing is written, not even the stores item
    assert apply_store_changes(stores_table, "Berlin", quiet, threshold=5) == 0
    assert "Item" not in stores_table.get_item(Key={"store": "Berlin"})
