"""Day-to-day operations on a deployed inventory stack: load a CSV, smoke-test it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.stack_spec import Say, StackError
from orchestrator.targets import Target

REPORT_SUFFIX = ".report.json"
DEFAULT_LOAD_TIMEOUT = 1800.0
POLL_SECONDS = 1.0
PROGRESS_EVERY_SECONDS = 2.0
# Say something now and then when nothing changes, so a long survey does not look stuck.
HEARTBEAT_SECONDS = 30.0
# A report that started this much before the upload belongs to an earlier one (clock skew
# between the machine that stamped the upload and the function's is well under this).
STALE_TOLERANCE = timedelta(seconds=2)
FINAL_STATUSES = {"loaded", "partial", "failed"}
LISTED = 20


class LoadWaitTimeout(StackError):
    """The load's report did not say it was over in time; the load goes on in the cloud."""


def report_key(outputs: dict[str, Any], upload_key: str) -> str:
    """Where the loader writes the report of ``upload_key``."""
    upload_prefix = str(outputs.get("upload_prefix", "uploads/"))
    reports_prefix = str(outputs.get("reports_prefix", "reports/"))
    return reports_prefix + upload_key.removeprefix(upload_prefix) + REPORT_SUFFIX


def load_csv(
    target: Target,
    outputs: dict[str, Any],
    csv_path: Path,
    *,
    timeout: float = DEFAULT_LOAD_TIMEOUT,
    on_progress: Say | None = None,
    command_args: str = "",
) -> dict[str, Any]:
    """Upload a CSV and wait for the loader's final report of it, saying how far it got.

    ``command_args`` (``--target local --env prod``) is added to the commands the messages give.
    """
    if not csv_path.is_file():
        raise StackError(f"{csv_path} is not a file: give the path of a CSV to load")
    s3 = target.client("s3")
    bucket = outputs["upload_bucket_name"]
    key = str(outputs.get("upload_prefix", "uploads/")) + csv_path.name
    report = report_key(outputs, key)
    try:
        # A report left from an earlier upload of the same name must not be mistaken for this
        # one: delete it, and below ignore any report that started before this upload.
        s3.delete_object(Bucket=bucket, Key=report)
        s3.upload_file(str(csv_path), bucket, key)
        uploaded_at = s3.head_object(Bucket=bucket, Key=key)["LastModified"]
    except (ClientError, BotoCoreError, S3UploadFailedError) as error:
        raise StackError(f"cannot upload {csv_path} to s3://{bucket}/{key}: {error}") from error
    return wait_for_report(
        s3,
        bucket,
        report,
        uploaded_at=uploaded_at,
        timeout=timeout,
        on_progress=on_progress,
        data_rows=count_data_rows(csv_path),
        command_args=command_args,
    )


def wait_for_report(
    s3: Any,
    bucket: str,
    key: str,
    *,
    uploaded_at: datetime,
    timeout: float,
    on_progress: Say | None = None,
    data_rows: int | None = None,
    command_args: str = "",
    poll_seconds: float = POLL_SECONDS,
) -> dict[str, Any]:
    """Poll the report at ``s3://bucket/key`` until it is final, saying how far the load got."""
    started = time.monotonic()
    progress = ProgressLine(on_progress, data_rows=data_rows)
    last: dict[str, Any] | None = None
    while True:
        elapsed = time.monotonic() - started
        found = read_report(s3, bucket, key)
        if found is not None and is_after(found, uploaded_at):
            last = found
            if found.get("status") in FINAL_STATUSES:
                return found
        progress.update(last, elapsed)
        if elapsed >= timeout:
            break
        time.sleep(min(poll_seconds, max(timeout - elapsed, 0.0)))
    seen = format_progress(last, elapsed, data_rows) if last else "no report of this upload yet"
    extra = f" {command_args}" if command_args else ""
    raise LoadWaitTimeout(
        f"stopped waiting after {format_duration(timeout)} (last seen: {seen}). The load goes on "
        f"in the cloud: its report will be at s3://{bucket}/{key}. Follow the workers with "
        f"'python orchestrate.py logs load_inventory_range --follow{extra}' (the planner: "
        f"'logs load_inventory'); failed ranges go to the dead-letter queue: "
        f"'python orchestrate.py dlq inventory{extra}'. Wait longer next time with --timeout."
    )


def read_report(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The report at ``key``, or None while there is none (or it is being replaced)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise StackError(f"cannot read the load report s3://{bucket}/{key}: {error}") from error
    except BotoCoreError as error:
        raise StackError(
            f"cannot read the load report s3://{bucket}/{key}: {error}. The load goes on in the "
            "cloud: read that report when the connection is back"
        ) from error
    try:
        report = json.loads(body)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def is_after(report: dict[str, Any], uploaded_at: datetime) -> bool:
    """False for a report of an earlier upload of the same name (it started before this one)."""
    stamp = report.get("started_at") or report.get("finished_at")
    if not stamp:
        return True  # undated (an older loader): it appeared after the old one was deleted
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when >= uploaded_at.replace(microsecond=0) - STALE_TOLERANCE


def count_data_rows(csv_path: Path) -> int | None:
    """Lines after the header, to estimate the rows a load writes (quoted newlines aside)."""
    lines, last = 0, b"\n"
    try:
        with csv_path.open("rb") as file:
            while chunk := file.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


# --------------------------------------------------------------------------- progress
class ProgressLine:
    """Says the load's progress when it changed, at most every ``every`` seconds."""

    def __init__(
        self,
        say: Say | None,
        *,
        data_rows: int | None = None,
        every: float = PROGRESS_EVERY_SECONDS,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._say = say
        self._data_rows = data_rows
        self._every = every
        self._heartbeat = heartbeat
        self._last_state: tuple[Any, ...] | None = None
        self._last_said = float("-inf")

    def update(self, report: dict[str, Any] | None, elapsed: float) -> None:
        if self._say is None:
            return
        state = _progress_state(report)
        since = elapsed - self._last_said
        changed = state != self._last_state
        if (changed and since >= self._every) or since >= self._heartbeat:
            self._say(format_progress(report, elapsed, self._data_rows))
            self._last_state, self._last_said = state, elapsed


def _progress_state(report: dict[str, Any] | None) -> tuple[Any, ...]:
    if report is None:
        return ()
    ranges = report.get("ranges") or {}
    return (
        report.get("status"),
        report.get("rows_loaded"),
        ranges.get("total"),
        ranges.get("done"),
        len(ranges.get("failed") or []),
    )


def format_progress(
    report: dict[str, Any] | None, elapsed: float, data_rows: int | None = None
) -> str:
    """``loading: 120,000 of ~200,000 rows, 3 of 4 ranges done, 12 s``."""
    took = format_duration(elapsed)
    if report is None:
        return f"loading: waiting for the loader to start, {took}"
    ranges = report.get("ranges") or {}
    total = int(ranges.get("total") or 0)
    if report.get("status") == "running" and total == 0:
        return f"loading: checking the file, {took}"
    rows = int(report.get("rows_loaded") or 0)
    of = ""
    if data_rows is not None:
        expected = data_rows - int(report.get("rows_rejected") or 0)
        expected -= int(report.get("rows_duplicate") or 0)
        of = f" of ~{max(expected, rows):,}"
    failed = len(ranges.get("failed") or [])
    failed_text = f", {failed} failed" if failed else ""
    done = int(ranges.get("done") or 0)
    return f"loading: {rows:,}{of} rows, {done} of {total} ranges done{failed_text}, {took}"


def format_duration(seconds: float) -> str:
    """``12 s``, ``3 min 05 s``, ``1 h 02 min``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def format_report(report: dict[str, Any], *, command_args: str = "") -> str:
    """The final report as the user reads it, with what to do about failed ranges."""
    ranges = report.get("ranges") or {}
    failed = list(ranges.get("failed") or [])
    lines = [
        f"Load of {report.get('source')}: {report.get('status')}",
        f"  rows loaded:    {int(report.get('rows_loaded') or 0):,}",
        f"  rows rejected:  {int(report.get('rows_rejected') or 0):,}",
        f"  rows duplicate: {int(report.get('rows_duplicate') or 0):,}",
    ]
    if ranges.get("total"):
        failed_text = f", {len(failed)} failed" if failed else ""
        lines.append(
            f"  ranges:         {ranges.get('done', 0)} of {ranges['total']} done{failed_text}"
        )
    took = _took(report)
    if took:
        lines.append(f"  took:           {took}")
    if report.get("error"):
        lines.append(f"  error: {report['error']}")
    for failure in failed[:LISTED]:
        first, last = (list(failure.get("lines") or []) + ["?", "?"])[:2]
        lines.append(
            f"    range {failure.get('range', '?')}, lines {_number(first)}-{_number(last)}: "
            f"{int(failure.get('rows_written') or 0):,} rows written; {failure.get('error')}"
        )
    if len(failed) > LISTED:
        lines.append(f"    ... and {len(failed) - LISTED} more failed ranges (see the report)")
    if failed:
        extra = f" {command_args}" if command_args else ""
        lines.append(
            f"  Redrive the failed ranges with: python orchestrate.py dlq redrive inventory{extra}"
        )
    rejected = list(report.get("rejected") or [])
    for item in rejected[:LISTED]:
        lines.append(f"    line {item['line']}: {item['reason']}")
    more = int(report.get("rows_rejected") or 0) - min(len(rejected), LISTED)
    if more > 0:
        lines.append(f"    ... and {more:,} more rejected rows (the report lists up to 1,000)")
    duplicates = list(report.get("duplicates") or [])
    for duplicate in duplicates[:LISTED]:
        lines.append(
            f"    line {duplicate['line']} replaces line {duplicate['replaces_line']} "
            f"({duplicate['store']} / {duplicate['item']})"
        )
    more = int(report.get("rows_duplicate") or 0) - min(len(duplicates), LISTED)
    if more > 0:
        lines.append(f"    ... and {more:,} more duplicate rows (the report lists up to 1,000)")
    return "\n".join(lines)


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _took(report: dict[str, Any]) -> str | None:
    try:
        started = datetime.fromisoformat(str(report["started_at"]))
        finished = datetime.fromisoformat(str(report["finished_at"]))
    except (KeyError, TypeError, ValueError):
        return None
    return format_duration(max((finished - started).total_seconds(), 0.0))


def http_get(
    url: str, *, headers: dict[str, str] | None = None, attempts: int = 5
) -> tuple[int, dict[str, str], bytes]:
    """GET with a few retries for a service that is still coming up."""
    last_error: Exception | None = None
    for attempt in range(attempts):
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            last_error = error
            time.sleep(min(2.0**attempt, 10.0))
    raise StackError(f"GET {url} failed after {attempts} attempts: {last_error}")


def alerts_since(
    messages: list[dict[str, Any]], topic_arn: str | None, since: datetime
) -> list[dict[str, Any]]:
    """The messages of the local cloud's SNS record published to ``topic_arn`` at or after
    ``since``: one upload's alerts, not every alert the topic ever carried."""
    # The record stamps to the millisecond: a message of the same millisecond counts as after.
    since = since.replace(microsecond=since.microsecond // 1000 * 1000)
    found = []
    for message in messages:
        if message.get("topic_arn") != topic_arn:
            continue
        try:
            published = datetime.fromisoformat(str(message.get("timestamp")))
        except ValueError:
            continue  # undated: cannot tell which upload it belongs to
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        if published >= since:
            found.append(message)
    return found


def smoke_inventory(outputs: dict[str, Any], say: Say) -> bool:
    """Check that the API answers and the website is served; say each check's result."""
    api = str(outputs["api_endpoint"]).rstrip("/")
    ok = True
    checks: list[tuple[str, str, str | None]] = [
        ("GET /items", f"{api}/items", "items"),
        ("GET /items/Berlin", f"{api}/items/Berlin", "items"),
        ("website", str(outputs["website_url"]), None),
    ]
    for label, url, key in checks:
        status, _headers, body = http_get(url)
        passed = status == 200
        detail = f"HTTP {status}"
        if passed and key is not None:
            items = json.loads(body).get(key)
            passed = isinstance(items, list)
            detail += f", {len(items) if isinstance(items, list) else 'no'} {key}"
        say(f"{'PASS' if passed else 'FAIL'} {label}: {detail} ({url})")
        ok = ok and passed
    return ok
