"""Pass 2 of a load, for one range: write its rows, and hand the rest on before time runs out.

The worker reads only its byte range (``Range`` with ``IfMatch`` on the surveyed ETag: a
replaced object is never half-loaded from two versions), parses it with the same rules as the
survey, and writes each valid row that no later row replaces, 25 per BatchWriteItem. Every
``CHECK_EVERY_ROWS`` rows it looks at the clock: when what is left is less than a safety margin
(a few seconds plus twice the slowest stretch so far), it flushes, saves its progress and
returns the rest of the range as a new task, so a worker's timeout costs no work and no retry.

Items are ``{store, item, count}``, plus ``low_stock = "LOW"`` when the count is below the
threshold: the attribute that puts the item in the sparse low-stock index.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from app_inventory.inventory_csv import InvalidInventoryFile, InventoryRow, csv_reader, data_rows
from app_inventory.range_task import RangeTask
from app_inventory.tracked_lines import TrackedLines

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client

TABLE_KEY = ["store", "item"]
LOW_STOCK_ATTRIBUTE = "low_stock"
LOW_STOCK_VALUE = "LOW"
CHECK_EVERY_ROWS = 100  # four batches: a stretch stays short even on a starved CPU
PROGRESS_EVERY_ROWS = 10_000
MIN_MARGIN_SECONDS = 3.0


@dataclass(frozen=True)
class RangeResult:
    rows_written: int  # in the whole range so far, earlier invocations included
    rest: RangeTask | None  # what is left when time ran short, else None


def inventory_item(row: InventoryRow, threshold: int) -> dict[str, Any]:
    item: dict[str, Any] = {"store": row.store, "item": row.item, "count": row.count}
    if row.count < threshold:
        item[LOW_STOCK_ATTRIBUTE] = LOW_STOCK_VALUE
    return item


def write_range(
    s3: S3Client,
    table: Table,
    task: RangeTask,
    *,
    superseded: Collection[int],
    threshold: int,
    seconds_left: Callable[[], float],
    on_progress: Callable[[int], None] | None = None,
) -> RangeResult:
    """Write ``task``'s rows; ``on_progress(rows)`` is told every ``PROGRESS_EVERY_ROWS``."""
    if task.start >= task.end:
        return RangeResult(task.rows_before, None)
    target: dict[str, Any] = {
        "Bucket": task.bucket,
        "Key": task.key,
        "Range": f"bytes={task.start}-{task.end - 1}",
        "IfMatch": task.etag,
    }
    if task.version_id:
        target["VersionId"] = task.version_id
    try:
        body = s3.get_object(**target)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"PreconditionFailed", "412"}:
            raise InvalidInventoryFile(
                "the object was replaced while it was being loaded; the new upload triggers "
                "its own load"
            ) from error
        raise
    lines = TrackedLines(body, offset=task.start, first_line=task.first_line)
    reader = csv_reader(lines)
    written = task.rows_before
    slowest = 0.0
    stretch_started = time.monotonic()
    since_check = 0
    with table.batch_writer(overwrite_by_pkeys=TABLE_KEY) as batch:
        for row in data_rows(reader, task.columns, line_offset=task.first_line - 1):
            if isinstance(row, InventoryRow) and row.line not in superseded:
                batch.put_item(Item=inventory_item(row, threshold))
                written += 1
            since_check += 1
            if since_check < CHECK_EVERY_ROWS:
                continue
            if (
                on_progress is not None
                and written // PROGRESS_EVERY_ROWS != (written - since_check) // PROGRESS_EVERY_ROWS
            ):
                on_progress(written)
            now = time.monotonic()
            slowest = max(slowest, now - stretch_started)
            stretch_started, since_check = now, 0
            if lines.offset < task.end and seconds_left() < MIN_MARGIN_SECONDS + 2 * slowest:
                rest = task.continued(lines.offset, lines.next_line, written)
                break
        else:
            rest = None
    # Leaving the batch writer flushed the last items: ``written`` rows are in the table.
    return RangeResult(written, rest)
