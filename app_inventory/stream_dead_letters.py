"""The dead-letter message for a stream record that can never be used (a poison record).

Shape (JSON): ``{"kind": "poison-stream-record", "reason", "event_id", "keys", "record"}``;
``keys`` is ``{"store", "item"}`` when the record names its item, else the record's raw ``Keys``
(DynamoDB JSON, or null); ``record`` is the record exactly as Lambda received it. The same queue
receives the stream mapping's own on-failure messages, which have no ``kind``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app_inventory.stock_changes import PoisonRecord

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

POISON_KIND = "poison-stream-record"
# SQS's historical limit (newer queues take 1 MiB); a record holds two images of up to 400 KB.
MAX_MESSAGE_BYTES = 256 * 1024


def poison_keys(record: Mapping[str, Any], poison: PoisonRecord) -> Any:
    """``{"store", "item"}`` when readable, else the record's raw ``Keys`` (or None)."""
    if poison.key is not None:
        store, item = poison.key
        return {"store": store, "item": item}
    stream = record.get("dynamodb")
    return stream.get("Keys") if isinstance(stream, dict) else None


def poison_message(record: Mapping[str, Any], poison: PoisonRecord) -> str:
    """The JSON body for ``record``. Too big for SQS, it keeps all but the item images."""
    message: dict[str, Any] = {
        "kind": POISON_KIND,
        "reason": poison.reason,
        "event_id": record.get("eventID"),
        "keys": poison_keys(record, poison),
        "record": dict(record),
    }
    body = json.dumps(message, default=str)
    if len(body.encode()) <= MAX_MESSAGE_BYTES:
        return body
    stream = record.get("dynamodb")
    if isinstance(stream, dict):
        stream = {name: value for name, value in stream.items() if not name.endswith("Image")}
    message["record"] = {**record, "dynamodb": stream}
    message["images_dropped"] = True
    return json.dumps(message, default=str)


def send_poison(
    sqs: SQSClient, queue_url: str, record: Mapping[str, Any], poison: PoisonRecord
) -> str:
    """Send the record's dead-letter message; returns its SQS message id."""
    response = sqs.send_message(QueueUrl=queue_url, MessageBody=poison_message(record, poison))
    return str(response["MessageId"])
