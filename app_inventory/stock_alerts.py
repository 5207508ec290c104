"""Decide from a stock change whether an item just ran low, and word the alert.

An alert is due when a count crosses from at-or-above the threshold to below it, or when a new
item arrives below it. Everything else (a count that stays low, goes up, or an item removed) is
quiet, so reloading the same file never alerts twice.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

    from app_inventory.stock_changes import StockChange

# SNS subjects must be ASCII, without line breaks, and shorter than 100 characters.
_MAX_SUBJECT = 99


@dataclass(frozen=True)
class LowStockAlert:
    store: str
    item: str
    count: int
    threshold: int

    @property
    def subject(self) -> str:
        return _sns_subject(f"Low stock: {self.item} in {self.store}")

    @property
    def message(self) -> str:
        return (
            f"Store {self.store} has {self.count} of {self.item} left, "
            f"below the low-stock threshold of {self.threshold}."
        )

    @property
    def message_attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        return {
            "store": {"DataType": "String", "StringValue": self.store},
            "item": {"DataType": "String", "StringValue": self.item},
            "count": {"DataType": "Number", "StringValue": str(self.count)},
        }


def low_stock_alert(change: StockChange, threshold: int) -> LowStockAlert | None:
    """The alert one change calls for, or None."""
    if change.new_count is None or change.new_count >= threshold:
        return None  # removed, or not low
    if change.old_count is not None and change.old_count < threshold:
        return None  # it was already low and has been alerted
    return LowStockAlert(
        store=change.store, item=change.item, count=change.new_count, threshold=threshold
    )


def _sns_subject(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    printable = "".join(char if char.isprintable() else " " for char in ascii_text)
    return printable[:_MAX_SUBJECT]
