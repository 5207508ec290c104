"""Lambda: write one range of a big CSV (the ranges queue's worker).

Handler: ``app_inventory.load_inventory_range.handler``; event source: the ranges queue (SQS,
``ReportBatchItemFailures``). Environment: ``TABLE_NAME``, ``LOADS_TABLE_NAME``,
``RANGES_QUEUE_URL`` (where the rest of a range goes when time runs short),
``LOW_STOCK_THRESHOLD``. A failing range is retried by SQS; after the queue's
``maxReceiveCount`` it moves to the failures queue, where ``load_range_failed`` records it.
A failed attempt comes back after a short back-off (10, 20, 40... s) rather than after the
queue's whole visibility timeout (six times the function's timeout).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app_inventory import aws_clients, load_clients
from app_inventory.bulk_load import run_range
from app_inventory.range_task import RangeTask

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)
BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 300


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    task = RangeTask.from_json(record.body)
    try:
        outcome = run_range(
            load_clients.services(),
            task,
            threshold=aws_clients.low_stock_threshold(),
            seconds_left=lambda: lambda_context.get_remaining_time_in_millis() / 1000,
        )
    except Exception:
        logger.exception("range failed", extra={"load_id": task.load_id, "range": task.index})
        _back_off(record)
        raise
    logger.info(
        "range handled",
        extra={
            "load_id": task.load_id,
            "range": task.index,
            "lines": task.lines,
            "continuation": task.continuation,
            "outcome": outcome.summary,
        },
    )
    if outcome.final_report is not None:
        logger.info("load report", extra={"report": outcome.final_report.to_dict()})


def _back_off(record: SQSRecord) -> None:
    attempt = int(record.attributes.approximate_receive_count or 1)
    delay = min(BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    try:
        load_clients.sqs_client().change_message_visibility(
            QueueUrl=load_clients.services().ranges_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=delay,
        )
    except Exception:  # the queue's own visibility timeout still brings the range back
        logger.warning("could not shorten the retry delay", exc_info=True)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
