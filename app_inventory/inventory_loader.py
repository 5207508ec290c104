"""Load one inventory CSV object from S3 into the table, streaming, in two passes.

Pass 1 reads the object and validates every row, writing nothing: a file that turns out to be
unreadable (a bad byte on line 900,000) loads nothing at all, and the last row of each
(store, item) key is known before any write. Pass 2 reads the same object version again
(``IfMatch`` on the ETag) and writes only those last rows. So the table goes straight to the
file's final values: no intermediate write of a superseded duplicate, hence no stream record
(and no false low-stock alert) for it, and the same file loaded twice writes the same items.

Memory does not grow with the file except for the key table (``LastOccurrenceTable``, about
24 MB per million keys) and the capped lists in the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from app_inventory.inventory_csv import (
    InvalidInventoryFile,
    InventoryRow,
    RejectedRow,
    read_rows,
    text_lines,
)
from app_inventory.last_occurrence import LastOccurrenceTable
from app_inventory.load_report import LoadReport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client

TABLE_KEY = ["store", "item"]


def load_inventory_object(
    s3: S3Client, table: Table, report: LoadReport, version_id: str | None = None
) -> None:
    """Load ``report.bucket``/``report.key`` into ``table``, recording the outcome in ``report``.

    File-level problems end up in ``report.error``; anything else (S3 or DynamoDB failing)
    is noted in the report and raised, so that the invocation fails and S3 retries the event.
    """
    target: dict[str, Any] = {"Bucket": report.bucket, "Key": report.key}
    if version_id:
        target["VersionId"] = version_id
    try:
        etag, last_rows = _survey(s3, target, report)
        _write_last_rows(s3, table, {**target, "IfMatch": etag}, last_rows, report)
    except InvalidInventoryFile as error:
        report.fail(str(error))
    except Exception as error:
        report.error = (
            f"the load stopped after {report.rows_loaded} rows were written: {error}; "
            "S3 retries the event, and loading the same file again is safe"
        )
        raise


def _survey(
    s3: S3Client, target: dict[str, Any], report: LoadReport
) -> tuple[str, LastOccurrenceTable]:
    """Pass 1: validate every row, find duplicates; write nothing."""
    last_rows = LastOccurrenceTable()
    with _object_rows(s3, target) as (etag, rows):
        for row in rows:
            if isinstance(row, RejectedRow):
                report.add_rejected(row.line, row.reason)
                continue
            previous = last_rows.record(row.store, row.item, row.line)
            if previous is not None:
                report.add_duplicate(row.line, previous, row.store, row.item)
    return etag, last_rows


def _write_last_rows(
    s3: S3Client,
    table: Table,
    target: dict[str, Any],
    last_rows: LastOccurrenceTable,
    report: LoadReport,
) -> None:
    """Pass 2: write the last row of each key, 25 items per BatchWriteItem request."""
    try:
        with (
            _object_rows(s3, target) as (_, rows),
            table.batch_writer(overwrite_by_pkeys=TABLE_KEY) as batch,
        ):
            for row in rows:
                if not isinstance(row, InventoryRow):
                    continue
                if last_rows.last_line(row.store, row.item) != row.line:
                    continue
                # Exactly these three attributes: a reload of the same file changes nothing.
                batch.put_item(Item={"store": row.store, "item": row.item, "count": row.count})
                report.rows_loaded += 1
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"PreconditionFailed", "412"}:
            raise InvalidInventoryFile(
                "the object was replaced while it was being loaded; nothing was loaded from "
                "this version (the new upload triggers its own load)"
            ) from error
        raise


@contextmanager
def _object_rows(
    s3: S3Client, target: dict[str, Any]
) -> Iterator[tuple[str, Iterator[InventoryRow | RejectedRow]]]:
    response = s3.get_object(**target)
    with text_lines(response["Body"]) as lines:
        yield response["ETag"], read_rows(lines)
