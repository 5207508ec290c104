"""Lambda: write one range of a big CSV (the ranges queue's worker).

Handler: ``app_inventory.load_inventory_range.handler``; event source: the ranges queue (SQS,
``ReportBatchItemFailures``). Environment: ``TABLE_NAME``, ``LOADS_TABLE_NAME``,
``RANGES_QUEUE_URL`` (where the rest of a range goes when time runs short),
``LOW_STOCK_THRESHOLD``. A failing range is retried by SQS; after the queue's
``maxReceiveCount`` it moves to the failures queue, where ``load_range_failed`` records it.
"""

from __future__ import annotations

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
_context: list[LambdaContext] = []


def record_handler(record: SQSRecord) -> None:
    task = RangeTask.from_json(record.body)
    context = _context[-1]
    outcome = run_range(
        load_clients.services(),
        task,
        threshold=aws_clients.low_stock_threshold(),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
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


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:  # type: ignore[type-arg]
    _context[:] = [context]
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
