"""Lambda: keep the stores summary from the inventory stream and alert once per low-stock crossing.

Handler: ``app_inventory.notify_low_stock.handler``; event source: the table's stream
(``NEW_AND_OLD_IMAGES``) with ``ReportBatchItemFailures``. Environment: ``TOPIC_ARN``,
``LOW_STOCK_THRESHOLD`` (default 5), ``STORES_TABLE_NAME``, ``IDEMPOTENCY_TABLE_NAME``,
``STREAM_DLQ_URL``.

A batch is handled in three steps; the order is what makes retries exact.

1. Read every record (pure). A record that can never be used (poison) is set aside.
2. Summaries: the batch's changes are summed per store and written, one guarded UpdateItem per
   store (stores in the order of their first change). They go first because they are the one
   effect that may run ahead of a failure: ``last_seq`` makes any redelivery of a change already
   counted a no-op, exactly and for good. A store whose write fails moves the failure point back
   to its first change in the batch; the stores after it, whose changes all come later, are not
   written at all.
3. Record by record, in stream order, up to the failure point: a poison record is logged and
   sent to ``STREAM_DLQ_URL``, a crossing is published to SNS (at most once per record: Powertools
   Idempotency on the eventID, used only for records that alert). The first record whose
   dead letter or alert fails becomes the failure point, and nothing after it is sent.

The answer reports the record at the failure point and every later record, so that Lambda's
retry-from-the-first-failure redelivers exactly those; everything before it has taken effect.
No alert or dead letter of a record after it has been sent. Its store counts may have been: one
write per store and batch cannot stop at an arbitrary record (only a write per record could),
so a store written before the failure includes its later changes, counted once, and their
redelivery is refused by ``last_seq``. Alerts and dead letters have no such exact guard (the
idempotency record expires, dead letters have none), hence this order. Poison records are never
reported: they go to the dead-letter queue instead of blocking the shard.

DynamoDB writes: a change that does not alert costs none of its own (its store's one write per
batch is shared, and changes that move no count, such as a reload, are left out of it); an alert
costs two in the idempotency table (the claim, then "done"); a redelivered alert one refused
claim, and a redelivered store write one refused write.

Powertools' ``BatchProcessor`` is not used: it handles records independently (it would go on
sending alerts after a failed one, and has no step for the per-store writes of a batch).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import (
    PartialItemFailureResponse,
    PartialItemFailures,
)
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app_inventory import aws_clients
from app_inventory.stock_alerts import LowStockAlert, low_stock_alert
from app_inventory.stock_changes import PoisonRecord, StockChange, read_change
from app_inventory.store_summary import apply_store_changes
from app_inventory.stream_dead_letters import poison_keys, send_poison

# A stream keeps its records 24 hours, so no redelivery can come after this.
ALERT_RECORD_SECONDS = 48 * 60 * 60

logger = Logger()


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True} if isinstance(response, dict) else response


idempotency_config = IdempotencyConfig(
    event_key_jmespath="event_id",
    expires_after_seconds=ALERT_RECORD_SECONDS,
    response_hook=_mark_replayed,
)

Reading = StockChange | PoisonRecord


@logger.inject_lambda_context
@event_source(data_class=DynamoDBStreamEvent)
def handler(event: DynamoDBStreamEvent, context: LambdaContext) -> PartialItemFailureResponse:
    idempotency_config.register_lambda_context(context)
    threshold = aws_clients.low_stock_threshold()
    records = list(event.records)
    readings = [_read(record) for record in records]
    failure_point = _count_per_store(readings, threshold)
    failure_point = _dead_letters_and_alerts(records, readings, threshold, failure_point)
    return {"batchItemFailures": _failures_from(records, failure_point)}


def _read(record: DynamoDBRecord) -> Reading:
    try:
        return read_change(record)
    except PoisonRecord as poison:
        return poison


def _count_per_store(readings: list[Reading], threshold: int) -> int:
    """Step 2; returns the failure point (``len(readings)`` when every store was written)."""
    failure_point = len(readings)
    by_store: dict[str, list[tuple[int, StockChange]]] = {}
    for index, reading in enumerate(readings):
        if isinstance(reading, StockChange):
            by_store.setdefault(reading.store, []).append((index, reading))
    for store, indexed in by_store.items():
        due = [(index, change) for index, change in indexed if index < failure_point]
        if not due:
            continue
        try:
            apply_store_changes(
                aws_clients.stores_table(), store, [change for _, change in due], threshold
            )
        except Exception:
            # Any failure here must become a reported failure point, never an invocation error
            # (that would redeliver the whole batch and send its dead letters again).
            failure_point, first = due[0]
            logger.exception(
                "store counts not written; retrying from the store's first change",
                extra={"store": store, "event_id": first.event_id},
            )
    return failure_point


def _dead_letters_and_alerts(
    records: list[DynamoDBRecord], readings: list[Reading], threshold: int, failure_point: int
) -> int:
    """Step 3; returns the failure point, possibly moved earlier."""
    for index, (record, reading) in enumerate(zip(records, readings, strict=True)):
        if index >= failure_point:
            break
        try:
            if isinstance(reading, PoisonRecord):
                _dead_letter(record, reading)
            else:
                alert = low_stock_alert(reading, threshold)
                if alert is not None:
                    _alert_once(reading, alert)
        except Exception:
            key = (
                reading.key if isinstance(reading, PoisonRecord) else (reading.store, reading.item)
            )
            logger.exception(
                "record not handled; it and the later records of the batch are retried",
                extra={
                    "store": key[0] if key else None,
                    "item": key[1] if key else None,
                    "event_id": record.event_id,
                    "retried_records": len(records) - index,
                },
            )
            return index
    return failure_point


def _dead_letter(record: DynamoDBRecord, poison: PoisonRecord) -> None:
    keys = poison_keys(record.raw_event, poison)
    where = keys if poison.key else {"keys": keys}  # store and item, or the raw Keys
    logger.error(
        "poison stream record: sent to the dead-letter queue, not retried",
        extra={**where, "reason": poison.reason, "event_id": record.event_id},
    )
    send_poison(aws_clients.sqs_client(), aws_clients.stream_dlq_url(), record.raw_event, poison)


def _alert_once(change: StockChange, alert: LowStockAlert) -> None:
    publish_once = idempotent_function(
        publish_alert,
        data_keyword_argument="alert_request",
        persistence_store=aws_clients.idempotency_store(),
        config=idempotency_config,
    )
    request = {"event_id": change.event_id, "alert": dataclasses.asdict(alert)}
    response = publish_once(alert_request=request)
    replayed = bool(response.get("replayed"))
    logger.info(
        "low stock alert already sent (a redelivered record)"
        if replayed
        else "low stock alert sent",
        extra={
            "store": alert.store,
            "item": alert.item,
            "count": alert.count,
            "message_id": response.get("message_id"),
            "event_id": change.event_id,
        },
    )


def publish_alert(alert_request: dict[str, Any]) -> dict[str, str]:
    """Publish one alert (called at most once per stream record, through idempotency)."""
    alert = LowStockAlert(**alert_request["alert"])
    response = aws_clients.sns_client().publish(
        TopicArn=aws_clients.topic_arn(),
        Subject=alert.subject,
        Message=alert.message,
        MessageAttributes=alert.message_attributes,
    )
    return {"message_id": response["MessageId"]}


def _failures_from(records: list[DynamoDBRecord], failure_point: int) -> list[PartialItemFailures]:
    if failure_point >= len(records):
        return []
    failures: list[PartialItemFailures] = []
    for index in range(failure_point, len(records)):
        stream = records[index].raw_event.get("dynamodb")
        sequence = stream.get("SequenceNumber") if isinstance(stream, dict) else None
        if isinstance(sequence, str) and sequence:
            failures.append({"itemIdentifier": sequence})
        elif index == failure_point:
            # Only a poison record whose dead letter failed gets here. Reporting a later record
            # instead would skip it: fail the invocation, so Lambda retries the batch.
            raise RuntimeError("the failed record has no SequenceNumber to report")
    return failures
