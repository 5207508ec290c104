"""Read one DynamoDB stream record of the inventory table into the change it describes.

A record is usable when it names its item (``Keys`` with ``store`` and ``item``), carries a
stream sequence number, and has the counts its kind needs: INSERT a new count, MODIFY an old and
a new one, REMOVE an old one (the stream is ``NEW_AND_OLD_IMAGES``). Anything else is a
``PoisonRecord``: retrying it can never help, so it goes to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from boto3.dynamodb.types import TypeDeserializer

EventName = Literal["INSERT", "MODIFY", "REMOVE"]
_EVENT_NAMES: tuple[EventName, ...] = ("INSERT", "MODIFY", "REMOVE")

# Stream sequence numbers have 21 to 40 digits; padded to 40 they compare as strings.
SEQUENCE_DIGITS = 40
_DESERIALIZER = TypeDeserializer()


class PoisonRecord(ValueError):
    """A stream record that can never be used; ``key`` is (store, item) when it was readable."""

    def __init__(self, reason: str, key: tuple[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


@dataclass(frozen=True)
class StockChange:
    """What one record says: ``old_count`` is None for an INSERT, ``new_count`` for a REMOVE."""

    event_id: str
    sequence: str  # zero-padded to SEQUENCE_DIGITS
    event_name: EventName
    store: str
    item: str
    old_count: int | None
    new_count: int | None


def padded_sequence(sequence_number: str) -> str:
    return sequence_number.zfill(SEQUENCE_DIGITS)


def read_change(record: DynamoDBRecord) -> StockChange:
    """The change ``record`` describes. Raises ``PoisonRecord`` with the reason if unusable."""
    key: tuple[str, str] | None = None
    try:
        raw = record.raw_event
        stream = raw.get("dynamodb")
        if not raw.get("eventName") or not isinstance(stream, dict):
            raise PoisonRecord("not a DynamoDB stream record (no eventName or dynamodb)")
        key = _key(_image(stream, "Keys"))
        return _change(raw, stream, *key)
    except PoisonRecord as poison:
        raise PoisonRecord(poison.reason, key=key) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError) as error:
        # Attribute values that are not DynamoDB JSON: the deserialiser's own words.
        raise PoisonRecord(f"unreadable record: {error!r}", key=key) from None


def _change(
    raw: Mapping[str, Any], stream: Mapping[str, Any], store: str, item: str
) -> StockChange:
    event_name = raw["eventName"]
    if event_name not in _EVENT_NAMES:
        raise PoisonRecord(f"unexpected event name {event_name!r}")
    event_id = raw.get("eventID")
    if not isinstance(event_id, str) or not event_id:
        raise PoisonRecord("no eventID")
    sequence = stream.get("SequenceNumber")
    if not isinstance(sequence, str) or not sequence.isdigit() or len(sequence) > SEQUENCE_DIGITS:
        raise PoisonRecord(f"no usable SequenceNumber: {sequence!r}")
    old_count = new_count = None
    if event_name in ("MODIFY", "REMOVE"):
        old_image = _image(stream, "OldImage")
        if not old_image:
            raise PoisonRecord(
                f"{event_name} without OldImage: the stream must be NEW_AND_OLD_IMAGES"
            )
        old_count = _count(old_image, "OldImage")
    if event_name in ("INSERT", "MODIFY"):
        new_image = _image(stream, "NewImage")
        if not new_image:
            raise PoisonRecord(f"{event_name} without NewImage")
        new_count = _count(new_image, "NewImage")
    return StockChange(
        event_id=event_id,
        sequence=padded_sequence(sequence),
        event_name=event_name,
        store=store,
        item=item,
        old_count=old_count,
        new_count=new_count,
    )


def _image(stream: Mapping[str, Any], name: str) -> dict[str, Any]:
    """One of the record's maps, deserialised (``{"count": Decimal("3")}``); absent is ``{}``."""
    image = stream.get(name)
    if image is None:
        return {}
    if not isinstance(image, dict):
        raise PoisonRecord(f"{name} is not a map")
    return {attribute: _DESERIALIZER.deserialize(value) for attribute, value in image.items()}


def _key(keys: Mapping[str, Any]) -> tuple[str, str]:
    store, item = keys.get("store"), keys.get("item")
    if not isinstance(store, str) or not store or not isinstance(item, str) or not item:
        raise PoisonRecord(f"Keys lack a store and item: {sorted(keys)}")
    return store, item


def _count(image: Mapping[str, Any], image_name: str) -> int:
    count = image.get("count")
    # bool is an int; a DynamoDB BOOL is not a count.
    if isinstance(count, bool) or not isinstance(count, int | Decimal):
        raise PoisonRecord(f"{image_name} count is missing or not a number: {count!r}")
    if isinstance(count, Decimal) and (not count.is_finite() or count != count.to_integral()):
        raise PoisonRecord(f"{image_name} count is not a whole number: {count}")
    return int(count)
