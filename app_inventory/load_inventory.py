"""Lambda: load each CSV uploaded under ``uploads/`` into the inventory table.

Handler: ``app_inventory.load_inventory.handler``; environment: ``TABLE_NAME``.
For every object it writes a load report to ``reports/<name>.report.json`` in the same bucket
(schema in ``load_report``) and logs it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from app_inventory import aws_clients
from app_inventory.inventory_loader import load_inventory_object
from app_inventory.load_report import REPORTS_PREFIX, LoadReport, report_key

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    loaded = []
    for record in event.records:
        bucket = record.s3.bucket.name
        # Keys arrive URL-encoded, a space as "+" (Powertools leaves the per-record key as is).
        key = unquote_plus(record.s3.get_object.key)
        if key.startswith(REPORTS_PREFIX):
            # Only reachable if the notification lost its prefix filter: never load our output.
            logger.warning("skipping a report object", extra={"key": key})
            continue
        report = _load_and_report(bucket, key, record.s3.get_object.version_id)
        loaded.append({"source": report.source, "status": report.status, "report": report_key(key)})
    return {"loads": loaded}


def _load_and_report(bucket: str, key: str, version_id: str | None) -> LoadReport:
    s3, table = aws_clients.s3_client(), aws_clients.inventory_table()
    report = LoadReport(bucket=bucket, key=key)
    try:
        load_inventory_object(s3, table, report, version_id)
    finally:
        # Also when the load raised: the report then says where it stopped.
        s3.put_object(
            Bucket=bucket,
            Key=report_key(key),
            Body=report.to_json().encode(),
            ContentType="application/json",
        )
        logger.info("load report", extra={"report": report.to_dict()})
    return report
