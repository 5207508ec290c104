"""SQS queues feed their Lambda event source mappings from a poller, as Lambda does.

moto invokes the mapped function inside SendMessage. Here SendMessage only stores the message;
each enabled mapping has a poller that receives batches (up to BatchSize, gathered for up to
MaximumBatchingWindowInSeconds) with the queue's visibility timeout, so ApproximateReceiveCount
grows and the queue's RedrivePolicy moves a message to its dead-letter queue after
maxReceiveCount receives (moto does that on receive). The function gets AWS's SQS event; on
success the batch is deleted; with ReportBatchItemFailures only the messages not named in
``batchItemFailures`` are; on a function error none are, and they come back after the
visibility timeout. At most ScalingConfig.MaximumConcurrency invocations (default
DEFAULT_MAX_CONCURRENCY) run at once per mapping.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from orchestrator.local_cloud.event_sources import EventSourcePollers, Poller
from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.sqs")

DEFAULT_MAX_CONCURRENCY = 5  # AWS scales to 1,000; locally, a few processes
_IDLE_WAIT_SECONDS = 0.5  # also how soon a message whose visibility timeout ended is seen


def install(runtime: LambdaRuntime, pollers: EventSourcePollers) -> None:
    from moto.sqs.models import DEDUPLICATION_TIME_IN_SECONDS, Queue

    def add_message(self: Any, message: Any) -> None:
        """moto's add_message without its synchronous Lambda call: the pollers deliver."""
        if self.fifo_queue and (
            self.attributes.get("ContentBasedDeduplication") == "true" or message.deduplication_id
        ):
            for existing in self._messages:
                if existing.deduplication_id == message.deduplication_id:
                    elapsed_ms = message.sent_timestamp - existing.sent_timestamp
                    if elapsed_ms / 1000 < DEDUPLICATION_TIME_IN_SECONDS:
                        return
        with self._messages_lock:
            self._messages.append(message)
            self._messages_lock.notify_all()
        pollers.wake(lambda: list(self.lambda_event_source_mappings.values()))

    replace(Queue, "add_message", add_message)
    pollers.register("sqs", QueueSource())


class QueueSource:
    def created(self, mapping: Any) -> None:
        pass

    def poller(self, runtime: LambdaRuntime, mapping: Any) -> Poller:
        return QueuePoller(runtime, mapping)

    def deleted(self, mapping: Any) -> None:
        found = _queue(mapping)
        if found is not None:
            _, queue = found
            if queue.lambda_event_source_mappings.get(mapping.function_arn) is mapping:
                del queue.lambda_event_source_mappings[mapping.function_arn]


def max_concurrency(mapping: Any) -> int:
    configured = (mapping.scaling_config or {}).get("MaximumConcurrency")
    return int(configured) if configured else DEFAULT_MAX_CONCURRENCY


class QueuePoller(Poller):
    def __init__(self, runtime: LambdaRuntime, mapping: Any) -> None:
        super().__init__(runtime, mapping)
        self._woken = threading.Event()

    def wake(self) -> None:
        self._woken.set()

    def run(self) -> None:
        limit = max_concurrency(self.mapping)
        slots = threading.Semaphore(limit)
        with ThreadPoolExecutor(limit, thread_name_prefix=f"sqs-{self.mapping.uuid[:8]}") as pool:
            while not self.stopping:
                if not slots.acquire(timeout=_IDLE_WAIT_SECONDS):
                    continue
                batch = self._receive()
                if not batch:
                    slots.release()
                    continue
                pool.submit(self._deliver_then_release, batch, slots)

    def _receive(self) -> list[Any]:
        """Up to BatchSize messages, waiting up to the batching window; [] when idle."""
        found = _queue(self.mapping)
        if found is None or self.function() is None:
            self.pause(1.0)
            return []
        backend, queue = found
        batch_size = int(self.mapping.batch_size or 10)
        window = float(self.mapping.max_batch_window or 0)
        deadline: float | None = None  # the window opens with the first message
        messages: list[Any] = []
        while not self.stopping:
            self._woken.clear()
            messages += backend.receive_message(
                queue.name,
                batch_size - len(messages),
                0,
                queue.visibility_timeout,
                message_attribute_names=["All"],
            )
            if len(messages) >= batch_size:
                break
            if not messages:
                self._woken.wait(_IDLE_WAIT_SECONDS)
                return []
            if deadline is None:
                deadline = time.monotonic() + window
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._woken.wait(min(left, _IDLE_WAIT_SECONDS))
        return messages

    def _deliver_then_release(self, messages: list[Any], slots: threading.Semaphore) -> None:
        try:
            self._deliver(messages)
        except Exception:  # keep the poller alive; the messages come back after the timeout
            log.exception("delivering SQS messages to %s failed", self.mapping.function_arn)
        finally:
            slots.release()

    def _deliver(self, messages: list[Any]) -> None:
        found = _queue(self.mapping)
        function = self.function()
        if found is None or function is None:
            return
        backend, queue = found
        region = self.mapping.event_source_arn.split(":")[3]
        event = {"Records": [_event_record(m, queue, region) for m in messages]}
        result = self.runtime.invoke(function, json.dumps(event), trigger="sqs")
        if result.errored:
            return  # every message comes back after the visibility timeout
        failed: set[str] = set()
        if "ReportBatchItemFailures" in (self.mapping.function_response_types or []):
            failed = _failed_ids(messages, result.payload)
        for message in messages:
            if message.id not in failed:
                _delete(backend, queue.name, message.receipt_handle)


def _queue(mapping: Any) -> tuple[Any, Any] | None:
    from moto.sqs.models import sqs_backends

    parts = mapping.event_source_arn.split(":")
    backend = sqs_backends[parts[4]][parts[3]]
    queue = backend.queues.get(parts[5])
    return (backend, queue) if queue is not None else None


def _delete(backend: Any, queue_name: str, receipt_handle: str) -> None:
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    try:
        backend.delete_message(queue_name, receipt_handle)
    except ReceiptHandleIsInvalid:
        pass  # deleted meanwhile (a purge, or a consumer outside the mapping)


def _failed_ids(messages: list[Any], payload: str) -> set[str]:
    """The messages to keep after a partial batch response; all of them if it is malformed."""
    everything = {m.id for m in messages}
    try:
        failures = json.loads(payload).get("batchItemFailures") or []
    except (ValueError, AttributeError):
        return set()
    identifiers = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    if not identifiers <= everything:
        return everything  # an unknown or empty identifier fails the whole batch, as on AWS
    return {str(i) for i in identifiers}


def _event_record(message: Any, queue: Any, region: str) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    trace_header = (message.system_attributes or {}).get("AWSTraceHeader")
    if trace_header:
        attributes["AWSTraceHeader"] = str(trace_header.get("StringValue", trace_header))
    if queue.fifo_queue:
        attributes.update(
            {
                "SequenceNumber": str(message.sequence_number),
                "MessageGroupId": str(message.group_id),
                "MessageDeduplicationId": str(message.deduplication_id),
            }
        )
    record: dict[str, Any] = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.message_attributes.items()
        },
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": region,
    }
    if message.message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    return record


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute as Lambda's SQS event spells it (camelCase, binary as base64)."""
    shaped: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if value.get("StringValue") is not None:
        shaped["stringValue"] = value["StringValue"]
    binary = value.get("BinaryValue")
    if binary is not None:
        shaped["binaryValue"] = (
            base64.b64encode(binary).decode() if isinstance(binary, bytes) else str(binary)
        )
    return shaped
