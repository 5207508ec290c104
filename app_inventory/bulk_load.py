"""A load from start to end: plan it, write its ranges, settle it, record what failed.

    planner (S3 event)   survey the object, save the survey, write a "running" report,
                         send one message per range to the ranges queue
    worker (SQS)         write a range; hand the rest on before its deadline; settle the
                         range; the worker that settles the last range writes the final report
    failure (SQS)        a range that failed on every attempt: record why, settle it as
                         failed (the report says which lines), keep it in the dead-letter queue

Everything is safe to run twice: a load is identified by the upload (bucket, key, version,
S3's event sequencer), a range is counted once, and rewriting a range writes the same items.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app_inventory.inventory_csv import InvalidInventoryFile
from app_inventory.load_plan import FilePlan, survey
from app_inventory.load_report import LoadReport, utc_now
from app_inventory.load_state import Loads, LoadState
from app_inventory.range_task import RangeTask
from app_inventory.range_writer import write_range
from app_inventory.report_store import ReportStore, superseded_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

# Up to this many superseded lines travel in the range's message (well under SQS's 256 KB).
INLINE_SUPERSEDED = 10_000
_SQS_BATCH = 10


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    version_id: str | None
    sequencer: str | None

    @property
    def load_id(self) -> str:
        identity = "\n".join([self.bucket, self.key, self.version_id or "", self.sequencer or ""])
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoadServices:
    s3: S3Client
    sqs: SQSClient
    table: Table
    loads: Loads
    reports: ReportStore
    ranges_queue_url: str


def plan_load(
    services: LoadServices,
    upload: Upload,
    *,
    rows_per_range: int,
    seconds_left: Callable[[], float],
) -> LoadReport | None:
    """Survey the upload and send its ranges; None when this event was already planned."""
    load_id = upload.load_id
    report = LoadReport(upload.bucket, upload.key, load_id=load_id, running=True)
    report.started_at = utc_now()
    if not services.loads.claim(load_id, report.source):
        return None
    services.reports.put_report(report)  # "running" while the file is checked
    target: dict[str, Any] = {"Bucket": upload.bucket, "Key": upload.key}
    if upload.version_id:
        target["VersionId"] = upload.version_id
    response = services.s3.get_object(**target)
    try:
        plan = survey(
            response["Body"], report, rows_per_range=rows_per_range, seconds_left=seconds_left
        )
    except InvalidInventoryFile as error:
        report.fail(str(error))
        return _finish_without_workers(services, report)
    report.ranges_total = len(plan.ranges)
    if plan.rows_to_write == 0:  # header only, or every row rejected
        report.running = False
        return _finish_without_workers(services, report)
    tasks = _range_tasks(services, upload, load_id, response["ETag"], plan)
    services.loads.planned(load_id, len(tasks))
    services.reports.put_survey(report)
    services.reports.put_report(report)
    _send(services, tasks)
    services.loads.set_status(load_id, "running", only_from="planning")
    return report


def _finish_without_workers(services: LoadServices, report: LoadReport) -> LoadReport:
    report.finished_at = utc_now()
    services.reports.put_report(report)
    assert report.load_id is not None
    services.loads.set_status(report.load_id, report.status)
    return report


def _range_tasks(
    services: LoadServices, upload: Upload, load_id: str, etag: str, plan: FilePlan
) -> list[RangeTask]:
    tasks = []
    for byte_range in plan.ranges:
        superseded = plan.superseded_in(byte_range)
        stored_key = None
        if len(superseded) > INLINE_SUPERSEDED:
            stored_key = superseded_key(load_id, byte_range.index)
            services.reports.put_json(upload.bucket, stored_key, superseded)
            superseded = []
        tasks.append(
            RangeTask.of_range(
                byte_range,
                load_id=load_id,
                bucket=upload.bucket,
                key=upload.key,
                version_id=upload.version_id,
                etag=etag,
                columns=plan.columns,
                superseded=tuple(superseded),
                superseded_key=stored_key,
            )
        )
    return tasks


def _send(services: LoadServices, tasks: list[RangeTask]) -> None:
    for first in range(0, len(tasks), _SQS_BATCH):
        batch = tasks[first : first + _SQS_BATCH]
        response = services.sqs.send_message_batch(
            QueueUrl=services.ranges_queue_url,
            Entries=[{"Id": str(task.index), "MessageBody": task.to_json()} for task in batch],
        )
        failed = response.get("Failed") or []
        if failed:
            raise RuntimeError(f"could not queue {len(failed)} range(s): {failed[0]}")


@dataclass(frozen=True)
class RangeOutcome:
    summary: str  # what happened, for the log
    final_report: LoadReport | None = None  # when this range settled the load


def run_range(
    services: LoadServices,
    task: RangeTask,
    *,
    threshold: int,
    seconds_left: Callable[[], float],
) -> RangeOutcome:
    """Write one range (or what is left of it)."""
    state = services.loads.get(task.load_id)
    if state is None:
        return RangeOutcome("skipped: the load is unknown (expired or deleted)")
    if task.index in state.done:
        return RangeOutcome("skipped: the range was already written")
    superseded: set[int] = set(task.superseded)
    if task.superseded_key:
        superseded.update(services.reports.get_json(task.bucket, task.superseded_key))
    try:
        result = write_range(
            services.s3,
            services.table,
            task,
            superseded=superseded,
            threshold=threshold,
            seconds_left=seconds_left,
            on_progress=lambda rows: _progress(services, task, rows),
        )
    except Exception as error:
        services.loads.record_error(task, f"{type(error).__name__}: {error}")
        raise
    if result.rest is not None:
        if services.loads.save_progress(task, result.rows_written):
            _report_progress(services, task)
            _send(services, [result.rest])
        return RangeOutcome(f"continued: {result.rows_written} rows written, the rest handed on")
    # The report first, then the settling update: the final report is always the last one.
    _progress(services, task, result.rows_written)
    settled = services.loads.finish_range(task, result.rows_written)
    if settled is None:
        return RangeOutcome("skipped: the range was settled meanwhile")
    final = _finish(services, task, settled) if settled.settled else None
    return RangeOutcome(f"done: {result.rows_written} rows written", final)


def record_failed_range(services: LoadServices, task: RangeTask, reason: str) -> LoadReport | None:
    """A range failed on every attempt: settle it as failed; the final report if it was last."""
    state = services.loads.get(task.load_id)
    last_error = state.errors.get(task.index) if state else None
    error = f"{reason}; last error: {last_error}" if last_error else reason
    settled = services.loads.fail_range(task, error)
    if settled is not None and settled.settled:
        return _finish(services, task, settled)
    return None


def _progress(services: LoadServices, task: RangeTask, rows_written: int) -> None:
    """Mid-range: the rows written so far reach the table and the "running" report."""
    if services.loads.save_progress(task, rows_written):
        _report_progress(services, task)


def _report_progress(services: LoadServices, task: RangeTask) -> None:
    state = services.loads.get(task.load_id)
    if state is None or state.settled:
        return
    services.reports.put_report(services.reports.report_from(task.bucket, task.key, state))


def _finish(services: LoadServices, task: RangeTask, state: LoadState) -> LoadReport:
    report = services.reports.report_from(task.bucket, task.key, state)
    services.reports.put_report(report)
    services.loads.set_status(task.load_id, report.status)
    return report


def failure_reason(function_name: str, timeout: str, attempts: str, task: RangeTask) -> str:
    first, last = task.lines
    return (
        f"{function_name} did not finish lines {first:,}-{last:,} after {attempts} attempts "
        f"(it failed, timed out after {timeout} s, or crashed)"
    )


def task_from_body(body: str) -> RangeTask | None:
    try:
        return RangeTask.from_json(body)
    except (ValueError, KeyError, TypeError):
        return None


def dead_letter(kind: str, **fields: Any) -> str:
    return json.dumps({"kind": kind, **fields}, ensure_ascii=False, default=str)
