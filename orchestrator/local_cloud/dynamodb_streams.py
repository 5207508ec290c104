"""DynamoDB stream records delivered to their Lambda event source mappings, as Lambda does.

moto invokes the mapped function inside the table write, once per write. Here a write only
appends its record to the shard (where GetRecords finds it too); each enabled mapping has a
poller that delivers the records asynchronously, in shard order, in batches of up to BatchSize
gathered for up to MaximumBatchingWindowInSeconds, from LATEST (records written after the
mapping was created) or TRIM_HORIZON.

A failed batch blocks the shard and is retried after a short back-off: from the first record
reported in ``batchItemFailures`` (ReportBatchItemFailures), or whole on a function error, split
in two first when BisectBatchOnFunctionError is set (a split does not count as a retry). After
MaximumRetryAttempts retries, or once its oldest record is older than MaximumRecordAgeInSeconds
(-1 or unset: no limit), the failed records are described to the DestinationConfig.OnFailure
destination in AWS's shape, and the poller moves on.

Limits: one shard per stream (moto's); records the pollers have delivered are dropped from the
shard beyond RETAINED_RECORDS, so GetRecords sees only the most recent ones on a busy table.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orchestrator.local_cloud import event_destinations
from orchestrator.local_cloud.event_sources import EventSourcePollers, Poller
from orchestrator.local_cloud.lambda_runtime import InvocationResult, LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.streams")

RETAINED_RECORDS = 100_000  # AWS keeps 24 hours of records; locally, delivered ones go
_TRIM_CHUNK = 10_000
MAX_BATCH_BYTES = 6_000_000  # Lambda's invocation payload limit
RETRY_BACKOFF_SECONDS = (0.2, 0.4, 0.8, 1.0)

# Guards every shard's record list; notified on each write so pollers wake at once.
_records_added = threading.Condition()
# Mapping UUID -> the sequence number its poller delivers next (kept while disabled).
_positions: dict[str, int] = {}


def install(runtime: LambdaRuntime, pollers: EventSourcePollers) -> None:
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    def add(self: Any, old: Any, new: Any) -> None:
        """A write appends its record (numbered as moto does) and never waits for a consumer."""
        event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        view_type = self.table.stream_specification["StreamViewType"]
        with _records_added:
            sequence_number = self.starting_sequence_number + len(self.items)
            self.items.append(
                StreamRecord(self.table, view_type, event_name, old, new, sequence_number)
            )
            _trim(self)
            _records_added.notify_all()
        pollers.wake(lambda: list(self.table.lambda_event_source_mappings.values()))

    def get(self: Any, start: int, quantity: int) -> list[dict[str, Any]]:
        """GetRecords: records before the trimmed ones start at the oldest kept."""
        with _records_added:
            offset = max(start - self.starting_sequence_number, 0)
            return [record.to_json() for record in self.items[offset : offset + quantity]]

    replace(StreamShard, "add", add)
    replace(StreamShard, "get", get)
    pollers.register("dynamodb", StreamSource())


class StreamSource:
    def created(self, mapping: Any) -> None:
        shard = _shard(mapping)
        if shard is None:
            return
        with _records_added:
            start = shard.starting_sequence_number
            if mapping.starting_position == "LATEST":
                start += len(shard.items)
            _positions[mapping.uuid] = start

    def poller(self, runtime: LambdaRuntime, mapping: Any) -> Poller:
        return StreamPoller(runtime, mapping)

    def deleted(self, mapping: Any) -> None:
        _positions.pop(mapping.uuid, None)
        table = _table(mapping)
        if table is not None and table.lambda_event_source_mappings.get(mapping.function_arn) is (
            mapping
        ):
            # moto leaves deleted mappings on the table
            del table.lambda_event_source_mappings[mapping.function_arn]


@dataclass
class _Batch:
    records: list[Any]  # moto's StreamRecord objects, in shard order
    failures: int = 0  # failed invocations that count as retries (a bisection does not)
    invokes: int = 0
    last: InvocationResult | None = None


class StreamPoller(Poller):
    def wake(self) -> None:
        with _records_added:
            _records_added.notify_all()

    def run(self) -> None:
        while not self.stopping:
            shard = _shard(self.mapping)
            if shard is None or self.function() is None:
                self.pause(1.0)  # the table, its stream or the function is gone
                continue
            records = self._next_batch(shard)
            if records and self._deliver(shard, records):
                _positions[self.mapping.uuid] = _sequence(records[-1]) + 1

    def _position(self, shard: Any) -> int:
        return max(_positions.get(self.mapping.uuid, 0), shard.starting_sequence_number)

    def _next_batch(self, shard: Any) -> list[Any]:
        batch_size = int(self.mapping.batch_size or 100)

        def available() -> int:
            end = shard.starting_sequence_number + len(shard.items)
            return int(end - self._position(shard))

        with _records_added:
            _records_added.wait_for(lambda: self.stopping or available() > 0, timeout=1.0)
            if self.stopping or available() <= 0:
                return []
            window = float(self.mapping.max_batch_window or 0)
            deadline = time.monotonic() + window
            while not self.stopping and available() < batch_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                _records_added.wait(left)
            offset = self._position(shard) - shard.starting_sequence_number
            candidates = shard.items[offset : offset + batch_size]
        records: list[Any] = []
        size = 0
        for record in candidates:
            size += int(record.record["dynamodb"].get("SizeBytes", 0))
            if records and size > MAX_BATCH_BYTES:
                break
            records.append(record)
        return records

    def _deliver(self, shard: Any, records: list[Any]) -> bool:
        """Deliver one batch until it succeeds or is given up; False when stopped meanwhile."""
        mapping = self.mapping
        pending = deque([_Batch(records)])
        while pending:
            if self.stopping:
                return False
            batch = pending[0]
            max_age = _limit(mapping.max_record_age)
            if max_age is not None and _age_seconds(batch.records[0]) > max_age:
                self._give_up(shard, pending.popleft(), "RecordAgeExceeded")
                continue
            function = self.function()
            if function is None:
                self.pause(1.0)
                continue
            region = mapping.event_source_arn.split(":")[3]
            event = {
                "Records": [
                    _event_record(r, mapping.event_source_arn, region) for r in batch.records
                ]
            }
            result = self.runtime.invoke(function, json.dumps(event), trigger="dynamodb-stream")
            batch.invokes += 1
            batch.last = result
            if not result.errored:
                reports = "ReportBatchItemFailures" in (mapping.function_response_types or [])
                remaining = _from_first_failure(batch.records, result.payload) if reports else []
                if not remaining:
                    pending.popleft()
                    continue
                batch.records = remaining
            elif _true(mapping.bisect_on_error) and len(batch.records) > 1:
                pending.popleft()
                half = len(batch.records) // 2
                pending.appendleft(_Batch(batch.records[half:], batch.failures))
                pending.appendleft(_Batch(batch.records[:half], batch.failures))
                continue
            batch.failures += 1
            max_retries = _limit(mapping.max_retry_attempts)
            if max_retries is not None and batch.failures > max_retries:
                self._give_up(shard, pending.popleft(), "RetryAttemptsExhausted")
                continue
            log.warning(
                "stream batch of %d record(s) for %s failed (attempt %d); retrying",
                len(batch.records),
                function.function_name,
                batch.invokes,
            )
            self.pause(RETRY_BACKOFF_SECONDS[min(batch.failures, len(RETRY_BACKOFF_SECONDS)) - 1])
        return True

    def _give_up(self, shard: Any, batch: _Batch, condition: str) -> None:
        mapping = self.mapping
        record = on_failure_record(mapping, shard.id, batch, condition)
        destination = ((mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if destination:
            log.warning(
                "stream records %s..%s for %s sent to %s (%s)",
                record["DDBStreamBatchInfo"]["startSequenceNumber"],
                record["DDBStreamBatchInfo"]["endSequenceNumber"],
                mapping.function_arn,
                destination,
                condition,
            )
            event_destinations.send(destination, record, self.runtime.invoke_async)
        else:
            keys = [r.record["dynamodb"].get("Keys") for r in batch.records]
            log.error(
                "dropped %d stream record(s) for %s (%s), no OnFailure destination; keys: %s",
                len(batch.records),
                mapping.function_arn,
                condition,
                json.dumps(keys)[:2000],
            )


def on_failure_record(mapping: Any, shard_id: str, batch: _Batch, condition: str) -> dict[str, Any]:
    """AWS's description of stream records given up, as sent to an on-failure destination."""
    first, last = batch.records[0], batch.records[-1]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if batch.last is not None and batch.last.errored:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": batch.last.request_id if batch.last else "",
            "functionArn": mapping.function_arn,
            "condition": condition,
            "approximateInvokeCount": batch.invokes,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": event_destinations.timestamp(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": str(_sequence(first)),
            "endSequenceNumber": str(_sequence(last)),
            "approximateArrivalOfFirstRecord": _arrival(first),
            "approximateArrivalOfLastRecord": _arrival(last),
            "batchSize": len(batch.records),
            "streamArn": mapping.event_source_arn,
        },
    }


def _table(mapping: Any) -> Any | None:
    from moto.dynamodb.models import dynamodb_backends

    # arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL (the label holds colons)
    parts = mapping.event_source_arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("table/"):
        return None
    name = parts[5].split("/")[1]
    return dynamodb_backends[parts[4]][parts[3]].tables.get(name)


def _shard(mapping: Any) -> Any | None:
    """The shard of the mapping's stream, while that stream is the table's current one."""
    table = _table(mapping)
    if table is None or table.stream_shard is None:
        return None
    if f"{table.table_arn}/stream/{table.latest_stream_label}" != mapping.event_source_arn:
        return None
    return table.stream_shard


def _trim(shard: Any) -> None:
    """Under the lock: drop delivered records beyond RETAINED_RECORDS (memory stays bounded)."""
    excess = len(shard.items) - RETAINED_RECORDS
    if excess < _TRIM_CHUNK:
        return
    mappings = list(shard.table.lambda_event_source_mappings.values())
    positions = [_positions.get(m.uuid) for m in mappings]
    if not mappings or any(p is None for p in positions):
        return
    delivered = min(p for p in positions if p is not None) - shard.starting_sequence_number
    drop = min(excess, delivered)
    if drop > 0:
        shard.items = shard.items[drop:]
        shard.starting_sequence_number += drop


def _sequence(record: Any) -> int:
    return int(record.record["dynamodb"]["SequenceNumber"])


def _created(record: Any) -> datetime:
    created = record.record["dynamodb"]["ApproximateCreationDateTime"]
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created  # moto: naive UTC


def _age_seconds(record: Any) -> float:
    return (datetime.now(UTC) - _created(record)).total_seconds()


def _arrival(record: Any) -> str:
    return _created(record).strftime("%Y-%m-%dT%H:%M:%SZ")


def _limit(value: Any) -> int | None:
    """A retry or age limit; -1 (or unset) means none."""
    if value is None or int(value) < 0:
        return None
    return int(value)


def _true(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _event_record(record: Any, source_arn: str, region: str) -> dict[str, Any]:
    dynamodb = dict(record.record["dynamodb"])
    dynamodb["ApproximateCreationDateTime"] = int(_created(record).timestamp())
    return {
        "eventID": record.record["eventID"],
        "eventName": record.record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": source_arn,
    }


def _from_first_failure(records: list[Any], payload: str) -> list[Any]:
    """The records to retry after a partial batch response (AWS: from the lowest failure)."""
    try:
        failures = json.loads(payload).get("batchItemFailures") or []
    except (ValueError, AttributeError):
        return []
    if not failures:
        return []
    sequence_numbers = [str(_sequence(r)) for r in records]
    identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(str(i) not in sequence_numbers for i in identifiers):
        return records  # an unknown or empty identifier fails the whole batch, as on AWS
    first = min(sequence_numbers.index(str(i)) for i in identifiers)
    return records[first:]
