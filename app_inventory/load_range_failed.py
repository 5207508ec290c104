"""Lambda: record the loads that failed on every attempt, then park them in the dead-letter queue.

Handler: ``app_inventory.load_range_failed.handler``; event source: the load failures queue,
which receives (1) ranges that failed ``maxReceiveCount`` times in the ranges queue, and
(2) the planner's failed S3 events (Lambda's on-failure destination record). For a range, the
load's report then says ``partial`` with the range's lines, its rows written and why; for a
planner failure the report says ``failed`` with Lambda's error (a timeout included). Each
message is then forwarded to ``LOAD_DLQ_URL``, from which ``orchestrate.py dlq`` lists and
redrives. Environment: ``LOADS_TABLE_NAME``, ``LOAD_DLQ_URL``, ``WORKER_FUNCTION_NAME``,
``WORKER_TIMEOUT``, ``WORKER_ATTEMPTS`` (the ranges queue's ``maxReceiveCount``),
``TABLE_NAME``.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from app_inventory import load_clients
from app_inventory.bulk_load import dead_letter, failure_reason, record_failed_range, task_from_body
from app_inventory.load_report import LoadReport, utc_now

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    services = load_clients.services()
    task = task_from_body(record.body)
    if task is not None:
        reason = failure_reason(
            os.environ.get("WORKER_FUNCTION_NAME", "load_inventory_range"),
            os.environ.get("WORKER_TIMEOUT", "?"),
            os.environ.get("WORKER_ATTEMPTS", "?"),
            task,
        )
        final = record_failed_range(services, task, reason)
        logger.error(
            "a range of a load failed",
            extra={
                "load_id": task.load_id,
                "range": task.index,
                "lines": task.lines,
                "reason": reason,
                "settled": final is not None,
            },
        )
        body = dead_letter("load-range", reason=reason, task=json.loads(task.to_json()))
    else:
        body = _planner_failure(services.reports, record.body)
    services.sqs.send_message(QueueUrl=os.environ["LOAD_DLQ_URL"], MessageBody=body)


def _planner_failure(reports: Any, body: str) -> str:
    """Lambda's on-failure record of the planner: a failed report for each S3 object in it."""
    try:
        failure = json.loads(body)
        records = failure["requestPayload"]["Records"]
    except (ValueError, KeyError, TypeError):
        logger.error("unreadable message in the load failures queue", extra={"body": body[:500]})
        return dead_letter("unknown", body=body)
    response = failure.get("responsePayload") or {}
    context = failure.get("requestContext") or {}
    # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    arn_parts = str(context.get("functionArn", "")).split(":")
    function = arn_parts[6] if len(arn_parts) > 6 else "load_inventory"
    error = (
        f"{function} failed on {context.get('approximateInvokeCount', '?')} attempts: "
        f"{response.get('errorType', 'error')}: {response.get('errorMessage', 'no message')}"
    )
    for s3_record in records:
        s3 = s3_record.get("s3", {})
        bucket = s3.get("bucket", {}).get("name", "")
        key = unquote_plus(s3.get("object", {}).get("key", ""))
        report = LoadReport(bucket, key)
        report.fail(error)
        report.finished_at = utc_now()
        reports.put_report(report)
        logger.error("a load failed", extra={"source": report.source, "error": error})
    return dead_letter("load-event", error=error, failure=failure)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
