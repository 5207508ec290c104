"""Day-to-day operations on a deployed inventory stack: load a CSV, smoke-test it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.stacks import Say, StackError
from orchestrator.targets import Target

REPORT_SUFFIX = ".report.json"


def report_key(outputs: dict[str, Any], upload_key: str) -> str:
    """Where the loader writes the report of ``upload_key``."""
    upload_prefix = str(outputs.get("upload_prefix", "uploads/"))
    reports_prefix = str(outputs.get("reports_prefix", "reports/"))
    return reports_prefix + upload_key.removeprefix(upload_prefix) + REPORT_SUFFIX


def load_csv(
    target: Target, outputs: dict[str, Any], csv_path: Path, *, timeout: float = 180.0
) -> dict[str, Any]:
    """Upload a CSV and wait for the loader's report of it."""
    if not csv_path.is_file():
        raise StackError(f"{csv_path} is not a file")
    s3 = target.client("s3")
    bucket = outputs["upload_bucket_name"]
    key = str(outputs.get("upload_prefix", "uploads/")) + csv_path.name
    report = report_key(outputs, key)
    # A report left from an earlier upload of the same name must not be mistaken for this one.
    s3.delete_object(Bucket=bucket, Key=report)
    s3.upload_file(str(csv_path), bucket, key)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            body = s3.get_object(Bucket=bucket, Key=report)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in {"NoSuchKey", "404"}:
                raise
            time.sleep(1.0)
            continue
        result: dict[str, Any] = json.loads(body)
        return result
    raise StackError(
        f"no load report at s3://{bucket}/{report} after {timeout:.0f} s: "
        "look at the loader's logs with 'python orchestrate.py logs load_inventory'"
    )


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"Load of {report.get('source')}: {report.get('status')}",
        f"  rows loaded:   {report.get('rows_loaded', 0)}",
        f"  rows rejected: {report.get('rows_rejected', 0)}",
    ]
    if report.get("error"):
        lines.append(f"  error: {report['error']}")
    for rejected in report.get("rejected", [])[:20]:
        lines.append(f"    line {rejected['line']}: {rejected['reason']}")
    for duplicate in report.get("duplicates", [])[:20]:
        lines.append(
            f"    line {duplicate['line']} replaces line {duplicate['replaces_line']} "
            f"({duplicate['store']} / {duplicate['item']})"
        )
    return "\n".join(lines)


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
