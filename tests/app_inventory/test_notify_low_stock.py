"""The stream handler: one alert per crossing below the threshold, partial batch failures."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app_inventory.load_inventory import handler as load_handler
from app_inventory.notify_low_stock import handler
from tests.conftest import REPO_ROOT, load_event

from .conftest import FakeLambdaContext, InventoryStack


def change(item: str) -> dict[str, Any]:
    """A one-record stream event: the recorded change to ``item``."""
    records = load_event("dynamodb_stream_changes")["Records"]
    (record,) = [r for r in records if r["dynamodb"]["Keys"]["item"]["S"] == item]
    return {"Records": [copy.deepcopy(record)]}


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
    stack: InventoryStack, lambda_context: FakeLambdaContext, item: str, what: str
) -> None:
    response = handler(change(item), lambda_context)
    assert response == {"batchItemFailures": []}
    assert stack.published() == [], what


def test_a_batch_alerts_once_per_crossing(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the nine recorded changes in one batch
    event = load_event("dynamodb_stream_changes")
    # WHEN handled
    response = handler(event, lambda_context)
    # THEN exactly the three crossings alerted
    assert response == {"batchItemFailures": []}
    alerted = sorted((m["attributes"]["store"], m["attributes"]["item"]) for m in stack.published())
    assert alerted == [("Berlin", "Bananas"), ("Madrid", "Jamon"), ("Madrid", "Manchego")]


def test_poison_records_are_reported_and_the_rest_still_processed(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a batch with a non-numeric count and a missing count between two good crossings
    event = load_event("dynamodb_stream_with_poison")
    # WHEN handled
    response = handler(event, lambda_context)
    # THEN only the two poison records are failed, by sequence number
    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "200000000000000000002"},
            {"itemIdentifier": "200000000000000000003"},
        ]
    }
    # AND both good crossings were still published
    alerted = sorted(m["attributes"]["item"] for m in stack.published())
    assert alerted == ["Bananas", "Manchego"]


def test_a_lone_poison_record_is_reported_not_raised(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a batch holding only the record whose count is a string
    records = load_event("dynamodb_stream_with_poison")["Records"]
    event = {"Records": [r for r in records if r["dynamodb"]["SequenceNumber"].endswith("2")]}
    # WHEN handled
    response = handler(event, lambda_context)
    # THEN it comes back as a batch item failure, and nothing is published
    assert response == {"batchItemFailures": [{"itemIdentifier": "200000000000000000002"}]}
    assert stack.published() == []


def test_the_threshold_comes_from_the_environment(
    stack: InventoryStack, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a threshold of 50: Apples going from 60 to 42 now crosses it
    monkeypatch.setenv("LOW_STOCK_THRESHOLD", "50")
    event = change("Apples")
    event["Records"][0]["dynamodb"]["OldImage"]["count"]["N"] = "60"
    # WHEN handled
    handler(event, lambda_context)
    # THEN it alerts, quoting the configured threshold
    (message,) = stack.published()
    assert message["message"].endswith("threshold of 50.")


def test_loading_the_sample_alerts_once_per_low_item_and_never_on_reload(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the sample loaded into an empty table, its stream records fed to the handler
    sample = (REPO_ROOT / "app_inventory" / "samples" / "inventory-sample.csv").read_bytes()
    load_handler(stack.upload("uploads/sample.csv", sample), lambda_context)
    first = handler({"Records": stack.stream_records()}, lambda_context)
    # THEN one alert per item below 5 (Jamon sits at exactly 5: no alert)
    assert first == {"batchItemFailures": []}
    alerted = sorted((m["attributes"]["store"], m["attributes"]["item"]) for m in stack.published())
    assert alerted == [("Berlin", "Bananas"), ("Berlin", "Eggs"), ("Madrid", "Manchego")]
    # WHEN the same file is delivered again and its stream records handled
    start = len(stack.stream_records())
    load_handler(stack.upload("uploads/sample.csv", sample), lambda_context)
    second = handler({"Records": stack.stream_records(start)}, lambda_context)
    # THEN nothing new is published
    assert second == {"batchItemFailures": []}
    assert stack.published() == []
