"""Decide from a stream record's images whether an item just ran low, and word the alert.

An alert is due when a count crosses from at-or-above the threshold to below it, or when a new
item arrives below it. Everything else (a count that stays low, goes up, or an item removed) is
quiet, so reloading the same file never alerts twice.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# SNS subjects must be ASCII, without line breaks, and shorter than 100 characters.
_MAX_SUBJECT = 99


class PoisonRecord(ValueError):
    """A stream record the alert logic cannot read; the batch reports it as failed."""


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


def low_stock_alert(
    event_name: str,
    old_image: Mapping[str, Any],
    new_image: Mapping[str, Any],
    threshold: int,
) -> LowStockAlert | None:
    """The alert one stream record calls for, or None. Raises ``PoisonRecord`` if unreadable.

    Images are deserialised (``{"count": Decimal("3"), ...}``); an absent image is ``{}``.
    """
    if event_name == "REMOVE":
        return None
    if event_name not in {"INSERT", "MODIFY"}:
        raise PoisonRecord(f"unexpected event name {event_name!r}")
    store, item = _key(new_image)
    new_count = _count(new_image, "NewImage")
    if new_count >= threshold:
        return None
    if event_name == "MODIFY":
        if not old_image:
            raise PoisonRecord("MODIFY without OldImage: the stream must be NEW_AND_OLD_IMAGES")
        if _count(old_image, "OldImage") < threshold:
            return None  # it was already low and has been alerted
    return LowStockAlert(store=store, item=item, count=new_count, threshold=threshold)


def _key(image: Mapping[str, Any]) -> tuple[str, str]:
    store, item = image.get("store"), image.get("item")
    if not isinstance(store, str) or not store or not isinstance(item, str) or not item:
        raise PoisonRecord(f"NewImage lacks a store and item: {sorted(image)}")
    return store, item


def _count(image: Mapping[str, Any], image_name: str) -> int:
    count = image.get("count")
    # bool is an int; a DynamoDB BOOL is not a count.
    if isinstance(count, bool) or not isinstance(count, int | Decimal):
        raise PoisonRecord(f"{image_name} count is missing or not a number: {count!r}")
    if isinstance(count, Decimal) and (not count.is_finite() or count != count.to_integral()):
        raise PoisonRecord(f"{image_name} count is not a whole number: {count}")
    return int(count)


def _sns_subject(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    printable = "".join(char if char.isprintable() else " " for char in ascii_text)
    return printable[:_MAX_SUBJECT]
