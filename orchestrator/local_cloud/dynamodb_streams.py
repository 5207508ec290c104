"""DynamoDB stream records delivered to their Lambda event source mappings.

moto calls the mapped function once per write, synchronously, and resends the records it holds
until an invocation returns something truthy. Here each write is delivered once (as a one-record
batch) with AWS's retry rules simplified: a failed batch, or the records from the first reported
``batchItemFailures`` on, are retried up to the mapping's MaximumRetryAttempts (at most 2), then
dropped and logged. A failing function therefore never blocks or loops the writer.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from datetime import datetime
from typing import Any

from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.streams")

MAX_STREAM_RETRIES = 2
_sequence_lock = threading.Lock()
_sequence = itertools.count()


def install(runtime: LambdaRuntime) -> None:
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    def add(self: Any, old: Any, new: Any) -> None:
        event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        view_type = self.table.stream_specification["StreamViewType"]
        mappings = list(self.table.lambda_event_source_mappings.items())
        if not mappings:  # kept for GetRecords, numbered as moto does
            sequence_number = self.starting_sequence_number + len(self.items)
            self.items.append(
                StreamRecord(self.table, view_type, event_name, old, new, sequence_number)
            )
            return
        with _sequence_lock:
            sequence_number = self.starting_sequence_number + next(_sequence)
        record = StreamRecord(self.table, view_type, event_name, old, new, sequence_number)
        for function_arn, mapping in mappings:
            try:
                _deliver(runtime, self.account_id, function_arn, mapping, [record.to_json()])
            except Exception:  # a consumer's trouble must never fail the table write
                log.exception("stream delivery to %s failed", function_arn)

    replace(StreamShard, "add", add)


def _deliver(
    runtime: LambdaRuntime,
    account_id: str,
    function_arn: str,
    mapping: Any,
    records: list[dict[str, Any]],
) -> None:
    from moto.awslambda.utils import get_backend

    region = function_arn.split(":")[3]
    backend = get_backend(account_id, region)
    if backend.get_event_source_mapping(mapping.uuid) is None or not _enabled(mapping):
        return  # moto keeps deleted or disabled mappings on the table
    function = backend.get_function_by_arn(function_arn)
    if function is None:
        return
    reports_failures = "ReportBatchItemFailures" in (mapping.function_response_types or [])
    retries = _retries(mapping)
    for attempt in range(retries + 1):
        event = {"Records": [_event_record(r, mapping.event_source_arn, region) for r in records]}
        result = runtime.invoke(function, json.dumps(event), trigger="dynamodb-stream")
        if result.errored:
            remaining = records
        elif reports_failures:
            remaining = _from_first_failure(records, result.payload)
        else:
            remaining = []
        if not remaining:
            return
        records = remaining
        log.warning(
            "stream batch for %s failed (attempt %d of %d)",
            function.function_name,
            attempt + 1,
            retries + 1,
        )
    log.error("dropped %d stream record(s) for %s", len(records), function.function_name)


def _enabled(mapping: Any) -> bool:
    return str(mapping.enabled).lower() not in ("false", "0")


def _retries(mapping: Any) -> int:
    configured = mapping.max_retry_attempts
    if configured is None or int(configured) < 0:  # -1 means "until the record expires"
        return MAX_STREAM_RETRIES
    return min(int(configured), MAX_STREAM_RETRIES)


def _event_record(record: dict[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": source_arn,
    }


def _from_first_failure(records: list[dict[str, Any]], payload: str) -> list[dict[str, Any]]:
    """The records to retry after a partial batch response (AWS: from the lowest failure)."""
    try:
        failures = json.loads(payload).get("batchItemFailures") or []
    except (ValueError, AttributeError):
        return []
    if not failures:
        return []
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
    identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(i not in sequence_numbers for i in identifiers):
        return records  # an unknown or empty identifier fails the whole batch, as on AWS
    first = min(sequence_numbers.index(i) for i in identifiers)
    return records[first:]
