"""The loads table: one item per load, which the planner creates and the workers settle.

Item: ``load_id``; ``status`` (planning, running, loaded, partial, failed); ``ranges_total``;
``progress`` (range -> rows written so far); ``done_ranges`` (a number set); ``failed``
(range -> {lines, rows_written, error}); ``errors`` (range -> the last error a worker saw);
``expires_at`` (TTL). Every change is one conditional UpdateItem, so a range delivered twice
is counted once, and the worker that settles the last range is the one that learns it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from app_inventory.load_report import utc_now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from app_inventory.range_task import RangeTask

KEEP_SECONDS = 30 * 24 * 3600
_RANGE_NOT_DONE = "attribute_exists(load_id) AND NOT contains(done_ranges, :index)"
MAX_ERROR_CHARS = 500


@dataclass
class LoadState:
    load_id: str
    status: str
    ranges_total: int
    progress: dict[int, int] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)
    failed: dict[int, dict[str, Any]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    @property
    def rows_loaded(self) -> int:
        return sum(self.progress.values())

    @property
    def failed_ranges(self) -> list[dict[str, Any]]:
        return [
            {"range": index, **self.failed[index]}
            for index in sorted(self.failed)
            if index not in self.done
        ]

    @property
    def settled(self) -> bool:
        return len(self.done) + len(self.failed_ranges) >= self.ranges_total

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> LoadState:
        return cls(
            load_id=str(item["load_id"]),
            status=str(item.get("status", "planning")),
            ranges_total=int(item.get("ranges_total", 0)),
            progress={int(k): int(v) for k, v in (item.get("progress") or {}).items()},
            done={int(v) for v in item.get("done_ranges") or ()},
            failed={int(k): _plain(v) for k, v in (item.get("failed") or {}).items()},
            errors={int(k): str(v) for k, v in (item.get("errors") or {}).items()},
        )


class Loads:
    def __init__(self, table: Table) -> None:
        self._table = table

    def claim(self, load_id: str, source: str) -> bool:
        """Start planning ``load_id``; False when an earlier delivery already planned it."""
        try:
            self._table.put_item(
                Item={
                    "load_id": load_id,
                    "source": source,
                    "status": "planning",
                    "ranges_total": 0,
                    "progress": {},
                    "failed": {},
                    "errors": {},
                    "started_at": utc_now(),
                    "expires_at": int(time.time()) + KEEP_SECONDS,
                },
                ConditionExpression="attribute_not_exists(load_id) OR #status = :planning",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":planning": "planning"},
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def planned(self, load_id: str, ranges_total: int) -> None:
        self._table.update_item(
            Key={"load_id": load_id},
            UpdateExpression="SET ranges_total = :total",
            ExpressionAttributeValues={":total": ranges_total},
        )

    def set_status(self, load_id: str, status: str, *, only_from: str | None = None) -> None:
        arguments: dict[str, Any] = {
            "Key": {"load_id": load_id},
            "UpdateExpression": "SET #status = :status",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": status},
        }
        if only_from is not None:
            arguments["ConditionExpression"] = "#status = :from"
            arguments["ExpressionAttributeValues"][":from"] = only_from
        try:
            self._table.update_item(**arguments)
        except ClientError as error:
            if not _condition_failed(error):
                raise

    def get(self, load_id: str) -> LoadState | None:
        item = self._table.get_item(Key={"load_id": load_id}, ConsistentRead=True).get("Item")
        return LoadState.from_item(item) if item else None

    def save_progress(self, task: RangeTask, rows_written: int) -> bool:
        """Note the rows written so far; False when the range was settled meanwhile."""
        return (
            self._update_range(
                task, "SET progress.#r = :rows", {":rows": rows_written}, return_state=False
            )
            is not None
        )

    def finish_range(self, task: RangeTask, rows_written: int) -> LoadState | None:
        """The range is written; the load's state after it, or None if already counted."""
        return self._update_range(
            task,
            "SET progress.#r = :rows ADD done_ranges :ranges REMOVE failed.#r, errors.#r",
            {":rows": rows_written, ":ranges": {task.index}},
        )

    def fail_range(self, task: RangeTask, error: str) -> LoadState | None:
        """The range gave up; the load's state after it, or None if it was done after all."""
        state = self.get(task.load_id)
        written = state.progress.get(task.index, task.rows_before) if state else task.rows_before
        failure = {"lines": task.lines, "rows_written": written, "error": error[:MAX_ERROR_CHARS]}
        return self._update_range(task, "SET failed.#r = :failure", {":failure": failure})

    def record_error(self, task: RangeTask, error: str) -> None:
        """Best effort: keep the last error of a range, for the report if it gives up."""
        try:
            self._update_range(task, "SET errors.#r = :error", {":error": error[:MAX_ERROR_CHARS]})
        except ClientError:
            pass

    def _update_range(
        self,
        task: RangeTask,
        expression: str,
        values: dict[str, Any],
        *,
        return_state: bool = True,
    ) -> LoadState | None:
        try:
            response = self._table.update_item(
                Key={"load_id": task.load_id},
                UpdateExpression=expression,
                ConditionExpression=_RANGE_NOT_DONE,
                ExpressionAttributeNames={"#r": str(task.index)},
                ExpressionAttributeValues={**values, ":index": task.index},
                ReturnValues="ALL_NEW" if return_state else "NONE",
            )
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise
        if not return_state:
            return LoadState(task.load_id, "running", 0)
        return LoadState.from_item(response["Attributes"])


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints, inside maps and lists."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
