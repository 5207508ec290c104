"""The inventory stack's dead-letter queues: list their messages, redrive them, purge them.

Two queues (stack outputs ``load_dlq_url`` and ``stream_dlq_url``) hold these kinds of message:

    load-dlq    load-range    a range of a CSV that failed on every attempt: redriven by sending
                              its task to the ranges queue (``ranges_queue_url``)
                load-event    an S3 event the planner failed on: redriven by invoking
                              ``function_names["load_inventory"]`` asynchronously with it
                unknown       a body the failure handler could not read: listed only
    stream-dlq  poison-stream-record  a stream record that can never be used: listed only
                stream-batch  Lambda's on-failure record of a stream batch given up: listed only

Listing does not consume: each message is received with a short visibility timeout and made
visible again at once (its receive count grows by one). A redriven message is deleted only
after the redrive call succeeded; every other message is made visible again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.stack_spec import StackError

log = logging.getLogger(__name__)

QUEUE_OUTPUTS = {"load-dlq": "load_dlq_url", "stream-dlq": "stream_dlq_url"}
LIST_VISIBILITY_SECONDS = 30
# Long enough that a message left alone does not come back while the redrive goes on.
REDRIVE_VISIBILITY_SECONDS = 300
# Long polling asks every SQS server, so one empty answer means the queue has nothing visible.
RECEIVE_WAIT_SECONDS = 1
SUMMARY_CHARS = 300

NOT_REDRIVABLE = {
    "poison-stream-record": "the record can never be used as it is: fix the item and write it "
    "again (then purge the dead letters)",
    "stream-batch": "Lambda gave up on these stream records, which cannot be replayed from the "
    "queue: find the cause with 'python orchestrate.py logs notify_low_stock', then write the "
    "items again",
    "unknown": "the message is not a load task or an S3 event: read it with "
    "'python orchestrate.py dlq list inventory --json'",
}


class DeadLetterError(StackError):
    """A dead-letter queue cannot be read, redriven or purged; the message says what to do."""


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter queue, read and described."""

    queue: str  # load-dlq or stream-dlq
    message_id: str
    receipt_handle: str
    kind: str
    summary: str
    body: Any  # the parsed JSON body, or the raw text when it is not JSON
    sent_at: str | None
    receive_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "message_id": self.message_id,
            "kind": self.kind,
            "summary": self.summary,
            "sent_at": self.sent_at,
            "receive_count": self.receive_count,
            "body": self.body,
        }


@dataclass
class RedriveResult:
    redriven: list[tuple[DeadLetter, str]] = field(default_factory=list)  # (message, what)
    left: list[tuple[DeadLetter, str]] = field(default_factory=list)  # (message, why)
    failed: bool = False  # a redrive call failed (the message stays in its queue)


# ------------------------------------------------------------------ reading messages
def queue_urls(outputs: dict[str, Any]) -> dict[str, str]:
    """The stack's dead-letter queues by short name, from its outputs."""
    missing = [output for output in QUEUE_OUTPUTS.values() if not outputs.get(output)]
    if missing:
        raise DeadLetterError(
            f"the deployed inventory stack has no {' or '.join(missing)} output: it predates the "
            "dead-letter queues. Deploy it again with 'python orchestrate.py deploy inventory'"
        )
    return {queue: str(outputs[output]) for queue, output in QUEUE_OUTPUTS.items()}


def describe(body: str) -> tuple[str, str, Any]:
    """A message body's kind, a one-line summary of it, and its parsed JSON (or the text)."""
    try:
        data = json.loads(body)
    except ValueError:
        return "unknown", _clip(body), body
    if not isinstance(data, dict):
        return "unknown", _clip(body), data
    kind = data.get("kind")
    if kind == "load-range" or (kind is None and _is_task(data)):
        task = data.get("task") if kind else data
        reason = data.get("reason") or "no reason given"
        return "load-range", f"{_range_text(task)}: {reason}", data
    if kind == "load-event" or (kind is None and "requestPayload" in data):
        failure = data.get("failure") if kind else data
        error = data.get("error") or _failure_error(failure)
        return "load-event", f"{_uploads_text(failure)}: {error}", data
    if kind == "poison-stream-record":
        reason = data.get("reason") or "no reason given"
        return kind, f"{_keys_text(data.get('keys'))}: {reason}", data
    if kind is None and isinstance(data.get("DDBStreamBatchInfo"), dict):
        return "stream-batch", _stream_batch_text(data), data
    if kind == "unknown":
        return "unknown", _clip(str(data.get("body", ""))), data
    return "unknown", _clip(body), data


def _is_task(data: dict[str, Any]) -> bool:
    return all(name in data for name in ("load_id", "bucket", "key", "start", "end"))


def _range_text(task: Any) -> str:
    if not isinstance(task, dict):
        return "(no task)"
    first, last = task.get("range_first_line"), task.get("range_last_line")
    lines = f"lines {first:,}-{last:,}" if isinstance(first, int) and isinstance(last, int) else ""
    where = f"s3://{task.get('bucket', '?')}/{task.get('key', '?')}"
    return f"{where} {lines} (range {task.get('index', '?')})".replace("  ", " ")


def _uploads_text(failure: Any) -> str:
    records = _s3_records(failure)
    if not records:
        return "(no S3 object named)"
    names = []
    for record in records:
        s3 = record.get("s3") if isinstance(record, dict) else None
        s3 = s3 if isinstance(s3, dict) else {}
        bucket = (s3.get("bucket") or {}).get("name", "?")
        key = (s3.get("object") or {}).get("key", "?")
        names.append(f"s3://{bucket}/{key}")
    return ", ".join(names)


def _s3_records(failure: Any) -> list[Any]:
    if not isinstance(failure, dict):
        return []
    payload = failure.get("requestPayload")
    records = payload.get("Records") if isinstance(payload, dict) else None
    return records if isinstance(records, list) else []


def _failure_error(failure: Any) -> str:
    response = failure.get("responsePayload") if isinstance(failure, dict) else None
    if isinstance(response, dict) and response.get("errorMessage"):
        return f"{response.get('errorType', 'error')}: {response['errorMessage']}"
    context = failure.get("requestContext") if isinstance(failure, dict) else None
    condition = context.get("condition") if isinstance(context, dict) else None
    return f"failed ({condition})" if condition else "failed"


def _keys_text(keys: Any) -> str:
    if isinstance(keys, dict) and set(keys) == {"store", "item"}:
        return f"{keys['store']}/{keys['item']}"
    return json.dumps(keys, separators=(",", ":"), default=str) if keys is not None else "(no key)"


def _stream_batch_text(data: dict[str, Any]) -> str:
    info = data["DDBStreamBatchInfo"]
    context = data.get("requestContext")
    condition = context.get("condition") if isinstance(context, dict) else None
    return (
        f"{condition or 'failed'}, shard {info.get('shardId', '?')}, sequence numbers "
        f"{info.get('startSequenceNumber', '?')}-{info.get('endSequenceNumber', '?')} "
        f"({info.get('batchSize', '?')} records)"
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 3] + "..."


def _dead_letter(queue: str, message: dict[str, Any]) -> DeadLetter:
    kind, summary, body = describe(str(message.get("Body", "")))
    attributes = message.get("Attributes") or {}
    sent = attributes.get("SentTimestamp")
    sent_at = (
        datetime.fromtimestamp(int(sent) / 1000, tz=UTC).isoformat(timespec="seconds")
        if sent
        else None
    )
    return DeadLetter(
        queue=queue,
        message_id=str(message["MessageId"]),
        receipt_handle=str(message["ReceiptHandle"]),
        kind=kind,
        summary=_clip(summary),
        body=body,
        sent_at=sent_at,
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
    )


def _receive(sqs: Any, queue: str, url: str, visibility: int, limit: int) -> Iterator[DeadLetter]:
    """Each visible message once (up to ``limit``), hidden for ``visibility`` seconds."""
    seen: set[str] = set()
    while len(seen) < limit:
        response = _call(
            f"read {queue}",
            lambda: sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=visibility,
                WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
                AttributeNames=["All"],
            ),
        )
        messages = response.get("Messages") or []
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return
        for message in fresh:
            seen.add(message["MessageId"])
            yield _dead_letter(queue, message)


def _make_visible(sqs: Any, url: str, letters: list[DeadLetter]) -> None:
    for start in range(0, len(letters), 10):
        entries = [
            {"Id": str(n), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
            for n, letter in enumerate(letters[start : start + 10])
        ]
        try:
            response = sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
        except (ClientError, BotoCoreError) as error:
            # Not fatal: the messages come back by themselves when their timeout ends.
            log.warning("could not make messages visible again in %s: %s", url, error)
            continue
        for failure in response.get("Failed") or []:
            log.warning("could not make a message visible again in %s: %s", url, failure)


def list_dead_letters(
    sqs: Any, outputs: dict[str, Any], *, limit: int = 1000
) -> dict[str, list[DeadLetter]]:
    """The messages of each dead-letter queue (up to ``limit`` each), left in their queue."""
    found: dict[str, list[DeadLetter]] = {}
    for queue, url in queue_urls(outputs).items():
        letters: list[DeadLetter] = []
        try:
            letters.extend(_receive(sqs, queue, url, LIST_VISIBILITY_SECONDS, limit))
        finally:
            _make_visible(sqs, url, letters)
        found[queue] = letters
    return found


def approximate_depth(sqs: Any, queue: str, url: str) -> int:
    """Messages in the queue, visible or not (SQS's approximate count)."""
    response = _call(
        f"read {queue}",
        lambda: sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        ),
    )
    attributes = response.get("Attributes") or {}
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


# -------------------------------------------------------------------------- redrive
class _Left(Exception):
    """A message that stays in its queue; ``failed`` when a redrive call went wrong."""

    def __init__(self, why: str, *, failed: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.failed = failed


def redrive(sqs: Any, lambda_client: Any, outputs: dict[str, Any]) -> RedriveResult:
    """Redrive every message that can be; leave the others in their queue, saying why."""
    result = RedriveResult()
    for queue, url in queue_urls(outputs).items():
        left: list[DeadLetter] = []
        try:
            for letter in _receive(sqs, queue, url, REDRIVE_VISIBILITY_SECONDS, limit=10**9):
                try:
                    what = _redrive_one(sqs, lambda_client, outputs, letter)
                except _Left as reason:
                    left.append(letter)
                    result.left.append((letter, reason.why))
                    result.failed = result.failed or reason.failed
                    continue
                _delete(sqs, queue, url, letter)
                result.redriven.append((letter, what))
        finally:
            _make_visible(sqs, url, left)
    return result


def _redrive_one(sqs: Any, lambda_client: Any, outputs: dict[str, Any], letter: DeadLetter) -> str:
    """Redrive one message; returns what was done, or raises _Left."""
    if letter.kind in NOT_REDRIVABLE:
        raise _Left(NOT_REDRIVABLE[letter.kind])
    body: dict[str, Any] = letter.body
    try:
        if letter.kind == "load-range":
            return _send_range(sqs, outputs, body.get("task") if "kind" in body else body)
        return _invoke_planner(
            lambda_client, outputs, body.get("failure") if "kind" in body else body
        )
    except (ClientError, BotoCoreError) as error:
        raise _Left(f"the redrive failed: {error}", failed=True) from error


def _send_range(sqs: Any, outputs: dict[str, Any], task: Any) -> str:
    if not isinstance(task, dict):
        raise _Left("the message holds no range task to send")
    queue_url = outputs.get("ranges_queue_url")
    if not queue_url:
        raise _Left(
            "the redrive failed: the stack has no ranges_queue_url output; deploy it again "
            "with 'python orchestrate.py deploy inventory'",
            failed=True,
        )
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(task, ensure_ascii=False))
    return "sent to the ranges queue"


def _invoke_planner(lambda_client: Any, outputs: dict[str, Any], failure: Any) -> str:
    payload = failure.get("requestPayload") if isinstance(failure, dict) else None
    if not isinstance(payload, dict):
        raise _Left("the message holds no S3 event to send")
    function = (outputs.get("function_names") or {}).get("load_inventory")
    if not function:
        raise _Left(
            "the redrive failed: the stack's function_names output has no load_inventory; "
            "deploy it again with 'python orchestrate.py deploy inventory'",
            failed=True,
        )
    lambda_client.invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode()
    )
    return f"invoked {function} asynchronously with the S3 event"


def _delete(sqs: Any, queue: str, url: str, letter: DeadLetter) -> None:
    try:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=letter.receipt_handle)
    except (ClientError, BotoCoreError) as error:
        # Redriven but still queued: a second redrive would run it twice, so say so loudly.
        raise DeadLetterError(
            f"message {letter.message_id} of {queue} was redriven but could not be deleted "
            f"({error}); delete it before redriving again, or it runs twice (a rerun is safe "
            "for loads: they write the same items)"
        ) from error


# ---------------------------------------------------------------------------- purge
def purge(sqs: Any, outputs: dict[str, Any]) -> dict[str, int]:
    """Empty both queues; returns about how many messages each held."""
    counts: dict[str, int] = {}
    for queue, url in queue_urls(outputs).items():
        counts[queue] = approximate_depth(sqs, queue, url)
        _call(f"purge {queue}", partial(sqs.purge_queue, QueueUrl=url))
    return counts


def _call(action: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
            raise DeadLetterError(
                f"cannot {action}: the queue does not exist. The stack's saved outputs are "
                "out of date (destroyed, or the local cloud restarted): deploy it again with "
                "'python orchestrate.py deploy inventory'"
            ) from error
        if code in {"AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"}:
            raise DeadLetterError(
                f"cannot {action}: a purge of it is already in progress (SQS allows one a "
                "minute); wait a minute, then list the queues again"
            ) from error
        raise DeadLetterError(f"cannot {action}: {error}") from error
    except BotoCoreError as error:
        raise DeadLetterError(f"cannot {action}: {error}") from error
