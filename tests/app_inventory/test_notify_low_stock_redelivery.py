"""Property: however the stream is cut into batches, retried and redelivered, the alerts and the
store counts are those of delivering every record once.

2,000 random writes (counts around the threshold, removals, and a store where another tool
sometimes writes ``count = "abc"``) are made to the moto table; their stream records are fed to
the handler as Lambda would, and the result is compared with an oracle computed from the writes
alone. The chaotic delivery uses random batch sizes, throttling injected into SNS, SQS and both
DynamoDB tables (the handler reports the failing record and the later ones; delivery resumes
there, as Lambda does), invocations whose answer is lost (the batch comes again), and duplicate
deliveries of a batch's suffix.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from app_inventory import aws_clients
from app_inventory.notify_low_stock import handler

from .conftest import FakeLambdaContext, InventoryStack
from .stream_stack import StreamStack, add_stream_resources, captured_log

THRESHOLD = 5
WRITES = 2_000
SEED = 20260


@pytest.fixture
def stream(stack: InventoryStack, monkeypatch: pytest.MonkeyPatch) -> StreamStack:
    # The queue that receives SNS envelopes goes: moto signs each one with RSA, which would
    # make this test four times slower; the raw queue shows every alert.
    sns = boto3.client("sns")
    for subscription in sns.list_subscriptions_by_topic(TopicArn=stack.topic_arn)["Subscriptions"]:
        attributes = sns.get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"]
        )["Attributes"]
        if attributes.get("RawMessageDelivery") != "true":
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    return add_stream_resources(stack, monkeypatch)


Value = int | str | None  # a count, "abc" (poison), or None: the item is removed


@dataclass
class Oracle:
    alerts: list[tuple[str, str, int]] = field(default_factory=list)
    summary: dict[str, tuple[int, int]] = field(default_factory=dict)
    poison: int = 0


def random_writes(rng: random.Random) -> list[tuple[str, str, Value]]:
    writes: list[tuple[str, str, Value]] = []
    present: set[tuple[str, str]] = set()
    for _ in range(WRITES):
        store = rng.choice(["Berlin", "Madrid", "Lisbon"])
        item = f"item-{rng.randrange(15):02}"
        value: Value
        if (store, item) in present and rng.random() < 0.15:
            value = None
        elif store == "Lisbon" and rng.random() < 0.1:
            value = "abc"
        else:
            value = rng.randrange(11)  # 0..10 around the threshold of 5
        writes.append((store, item, value))
        if value is None:
            present.discard((store, item))
        else:
            present.add((store, item))
    return writes


def oracle(writes: list[tuple[str, str, Value]]) -> Oracle:
    """What delivering every change once must give, from the writes alone."""
    expected = Oracle()
    state: dict[tuple[str, str], Value] = {}
    for store, item, new in writes:
        old = state.get((store, item))
        if new is None:
            del state[(store, item)]
        else:
            state[(store, item)] = new
        if isinstance(old, str) or isinstance(new, str):  # a count of "abc" either side
            expected.poison += 1
            continue
        items, low = expected.summary.get(store, (0, 0))
        was_low = old is not None and old < THRESHOLD
        is_low = new is not None and new < THRESHOLD
        items += (old is None) - (new is None)
        expected.summary[store] = (items, low + is_low - was_low)
        if is_low and not was_low and new is not None:
            expected.alerts.append((store, item, new))
    return expected


def write_all(stack: InventoryStack, writes: list[tuple[str, str, Value]]) -> None:
    for store, item, value in writes:
        key = {"store": store, "item": item}
        if value is None:
            stack.table.delete_item(Key=key)
        else:
            count = Decimal(value) if isinstance(value, int) else value
            stack.table.put_item(Item={**key, "count": count})


@contextmanager
def throttling(rng: random.Random, probability: float) -> Iterator[None]:
    """Make a share of the handler's SNS, SQS and DynamoDB calls fail as throttled."""

    def maybe_throttle(event_name: str, **_: Any) -> None:
        if rng.random() < probability:
            operation = event_name.rsplit(".", 1)[-1]
            error = {"Error": {"Code": "ThrottlingException", "Message": "injected"}}
            raise ClientError(error, operation)  # type: ignore[arg-type]

    hooks: list[tuple[Any, str]] = [
        (aws_clients.sns_client(), "before-call.sns.Publish"),
        (aws_clients.sqs_client(), "before-call.sqs.SendMessage"),
        (aws_clients.stores_table().meta.client, "before-call.dynamodb.UpdateItem"),
        # Only the write that claims a record: a failed claim leaves nothing behind. (A failure
        # of the write that marks it done after publishing is Powertools' at-least-once window.)
        (aws_clients.idempotency_store().client, "before-call.dynamodb.PutItem"),
    ]
    for client, event in hooks:
        client.meta.events.register(event, maybe_throttle)
    try:
        yield
    finally:
        for client, event in hooks:
            client.meta.events.unregister(event, maybe_throttle)


def deliver_once(records: list[dict[str, Any]], invoke: Callable[..., Any]) -> None:
    for start in range(0, len(records), 100):
        assert invoke(records[start : start + 100]) == {"batchItemFailures": []}


def deliver_chaotically(
    records: list[dict[str, Any]], invoke: Callable[..., Any], rng: random.Random
) -> Counter[str]:
    """Lambda's shard loop: a batch from the checkpoint, retried from its first failure."""
    index_of = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
    position = 0
    happened: Counter[str] = Counter()
    while position < len(records):
        batch = records[position : position + rng.randint(1, 100)]
        failures = invoke(batch)["batchItemFailures"]
        happened["invocations"] += 1
        if rng.random() < 0.15:
            happened["lost answers"] += 1
            continue  # the answer was lost (a timeout): the same batch comes again
        if failures:
            happened["partial failures"] += 1
            first = min(index_of[f["itemIdentifier"]] for f in failures)
            # what the handler promises: the failed record and all after it are reported
            assert [f["itemIdentifier"] for f in failures] == [
                r["dynamodb"]["SequenceNumber"] for r in records[first : position + len(batch)]
            ]
            position = first
            continue
        if rng.random() < 0.2:
            happened["suffixes again"] += 1
            invoke(batch[rng.randrange(len(batch)) :])
        position += len(batch)
    return happened


def without_zeros(summary: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """A store whose changes summed to nothing may have no item at all."""
    return {store: counts for store, counts in summary.items() if counts != (0, 0)}


@pytest.mark.parametrize("delivery", ["once", "chaos"])
def test_alerts_and_store_counts_do_not_depend_on_batches_or_redeliveries(
    stream: StreamStack, lambda_context: FakeLambdaContext, delivery: str
) -> None:
    # GIVEN 2,000 random writes made to the table, and what they must give
    rng = random.Random(SEED)
    writes = random_writes(rng)
    expected = oracle(writes)
    write_all(stream.inventory, writes)
    records = stream.inventory.stream_records()
    assert len(records) == WRITES
    assert len(expected.alerts) > 100 and expected.poison > 10  # the test means something

    alerts: list[tuple[str, str, int]] = []

    def invoke(batch: list[dict[str, Any]]) -> Any:
        response = handler({"Records": copy.deepcopy(batch)}, lambda_context)
        alerts.extend(stream.alerts())
        return response

    # WHEN their stream records are delivered
    with captured_log():  # 2,000 records' worth of log lines stay out of the test output
        if delivery == "once":
            deliver_once(records, invoke)
        else:
            with throttling(rng, probability=0.01):
                happened = deliver_chaotically(records, invoke, rng)
            # it was chaotic
            assert min(happened.values()) >= 5, happened
    # THEN every crossing alerted once, in stream order
    assert alerts == expected.alerts
    # AND the store counts are those of counting every change once
    summary = stream.summary()
    assert without_zeros(summary) == without_zeros(expected.summary)
    # AND, where no poison was written, they match the table itself
    table_summary = stream.table_summary()
    assert {s: summary[s] for s in ("Berlin", "Madrid")} == {
        s: table_summary[s] for s in ("Berlin", "Madrid")
    }
    # AND every poison record reached the dead-letter queue (again for each lost answer)
    poison_ids = {m["event_id"] for m in stream.dead_letters()}
    assert len(poison_ids) == expected.poison
