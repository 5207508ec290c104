"""Lambda: plan the load of each CSV uploaded under ``uploads/`` (the S3-triggered planner).

Handler: ``app_inventory.load_inventory.handler``; environment: ``TABLE_NAME``,
``LOADS_TABLE_NAME``, ``RANGES_QUEUE_URL``, ``LOAD_RANGE_ROWS``. For every object it checks the
whole file, writes a ``running`` load report to ``reports/<name>.report.json`` and sends the
file's ranges to the workers (``load_inventory_range``), which complete the report. A file that
cannot be loaded gets its ``failed`` report here. A failure escapes, so that Lambda retries the
event and, after the retries, sends it to the on-failure destination.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from app_inventory import load_clients
from app_inventory.bulk_load import Upload, plan_load
from app_inventory.load_report import REPORTS_PREFIX, report_key

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    planned = []
    for record in event.records:
        # Keys arrive URL-encoded, a space as "+" (Powertools leaves the per-record key as is).
        key = unquote_plus(record.s3.get_object.key)
        if key.startswith(REPORTS_PREFIX):
            # Only reachable if the notification lost its prefix filter: never load our output.
            logger.warning("skipping a report object", extra={"key": key})
            continue
        upload = Upload(
            bucket=record.s3.bucket.name,
            key=key,
            version_id=record.s3.get_object.version_id,
            sequencer=record.s3.get_object.get("sequencer"),
        )
        report = plan_load(
            load_clients.services(),
            upload,
            rows_per_range=load_clients.rows_per_range(),
            seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
        )
        if report is None:
            logger.info("already planned (a repeated S3 event)", extra={"key": key})
            continue
        if report.status == "running":
            logger.info(
                "load planned",
                extra={
                    "source": report.source,
                    "ranges": report.ranges_total,
                    "load_id": report.load_id,
                },
            )
        else:  # settled here: a file that cannot be loaded, or nothing to write
            logger.info("load report", extra={"report": report.to_dict()})
        planned.append(
            {
                "source": report.source,
                "status": report.status,
                "report": report_key(key),
                "load_id": report.load_id,
            }
        )
    return {"loads": planned}
