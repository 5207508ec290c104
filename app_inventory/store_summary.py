"""Per-store item and low-stock counts, kept in the stores table from the inventory stream.

Each change moves its store's counts: INSERT adds an item (and a low one if it arrives below the
threshold), MODIFY moves the low count when the item crosses the threshold either way, REMOVE
takes the item (and its low mark) away. A batch's changes are summed per store and written with
one UpdateItem per store, guarded by ``last_seq``: the highest stream sequence number (padded to
40 digits) already counted for that store. A redelivered change is therefore never counted twice,
whatever the batch it comes back in. Changes that move nothing (a reload of the same count) are
left out: they cost no write, and applying them zero or two times is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from app_inventory.stock_changes import StockChange

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# Only a concurrent writer for the same store can fail the guard twice in a row; one shard
# delivers a store's changes to one invocation at a time, so this is a safety net.
_MAX_ATTEMPTS = 3


class SummaryConflict(RuntimeError):
    """The guarded write kept failing: something else is writing the same store's counts."""


@dataclass(frozen=True)
class CountDelta:
    items: int = 0
    low_items: int = 0

    def __add__(self, other: CountDelta) -> CountDelta:
        return CountDelta(self.items + other.items, self.low_items + other.low_items)

    def __bool__(self) -> bool:
        return bool(self.items or self.low_items)


def count_delta(change: StockChange, threshold: int) -> CountDelta:
    """How one change moves its store's counts."""
    was_low = change.old_count is not None and change.old_count < threshold
    is_low = change.new_count is not None and change.new_count < threshold
    if change.event_name == "INSERT":
        return CountDelta(items=1, low_items=int(is_low))
    if change.event_name == "REMOVE":
        return CountDelta(items=-1, low_items=-int(was_low))
    return CountDelta(low_items=int(is_low) - int(was_low))


def apply_store_changes(
    table: Table, store: str, changes: Sequence[StockChange], threshold: int
) -> int:
    """Count ``changes`` (one store's, in stream order) once; returns the writes it took.

    The write's condition is ``last_seq`` below the first change's sequence number. When it
    fails, an earlier delivery has counted a prefix of these changes: read how far it got
    (returned by the failed write itself) and count only what comes after.
    """
    pending = [change for change in changes if count_delta(change, threshold)]
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        if not pending:
            return attempt - 1
        delta = sum((count_delta(change, threshold) for change in pending), CountDelta())
        try:
            table.update_item(
                Key={"store": store},
                UpdateExpression="ADD #items :items, #low :low SET #last = :last",
                ConditionExpression="attribute_not_exists(#last) OR #last < :first",
                ExpressionAttributeNames={
                    "#items": "items",
                    "#low": "low_items",
                    "#last": "last_seq",
                },
                ExpressionAttributeValues={
                    ":items": delta.items,
                    ":low": delta.low_items,
                    ":first": pending[0].sequence,
                    ":last": pending[-1].sequence,
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return attempt
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            counted_up_to = _last_seq(table, store, error)
        pending = [change for change in pending if change.sequence > counted_up_to]
    raise SummaryConflict(
        f"the counts of store {store!r} changed under {_MAX_ATTEMPTS} guarded writes in a row"
    )


def _last_seq(table: Table, store: str, error: ClientError) -> str:
    old_item = error.response.get("Item")
    if isinstance(old_item, dict) and "S" in old_item.get("last_seq", {}):
        return str(old_item["last_seq"]["S"])
    # Older endpoints do not return the item: read it.
    item = table.get_item(
        Key={"store": store},
        ProjectionExpression="#last",
        ExpressionAttributeNames={"#last": "last_seq"},
        ConsistentRead=True,
    ).get("Item", {})
    return str(item.get("last_seq", ""))
