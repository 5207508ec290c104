"""`orchestrate.py dlq`: list, redrive and purge the inventory's dead-letter queues.

The queues and the planner function live on a plain moto server; the messages are the ones the
stack's functions send (built by the app's own code where it has a builder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app_inventory.inventory_csv import Columns
from app_inventory.range_task import RangeTask
from app_inventory.stock_changes import PoisonRecord
from app_inventory.stream_dead_letters import poison_message
from orchestrator.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from orchestrator.stacks.inventory import dead_letters
from tests.orchestrator.moto_inventory import (
    Clients,
    create_stack,
    queue_bodies,
    use_as_aws,
    write_outputs,
)

BUCKET = "uploads-bucket"


def range_task() -> RangeTask:
    return RangeTask(
        load_id="load-1",
        bucket=BUCKET,
        key="uploads/big.csv",
        version_id=None,
        etag='"abc"',
        index=1,
        start=1_000_000,
        end=2_000_000,
        first_line=50_002,
        range_first_line=50_002,
        range_last_line=100_001,
        columns=Columns(("store", "item", "count"), 0, 1, 2),
    )


def load_range_body() -> str:
    task = json.loads(range_task().to_json())
    reason = "load_inventory_range did not finish lines 50,002-100,001 after 3 attempts"
    return json.dumps({"kind": "load-range", "reason": reason, "task": task})


S3_EVENT = {
    "Records": [
        {
            "eventSource": "aws:s3",
            "s3": {"bucket": {"name": BUCKET}, "object": {"key": "uploads/small.csv"}},
        }
    ]
}


def load_event_body() -> str:
    failure = {
        "version": "1.0",
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": S3_EVENT,
        "responsePayload": {"errorType": "Sandbox.Timedout", "errorMessage": "timed out"},
    }
    error = "load_inventory failed on 3 attempts: Sandbox.Timedout: timed out"
    return json.dumps({"kind": "load-event", "error": error, "failure": failure})


def poison_body() -> str:
    record = {
        "eventID": "ev-1",
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"store": {"S": "Berlin"}, "item": {"S": "apple"}}},
    }
    return poison_message(record, PoisonRecord("count 'abc' is not a number", ("Berlin", "apple")))


def stream_batch_body() -> str:
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "version": "1.0",
            "DDBStreamBatchInfo": {
                "shardId": "shardId-0001",
                "startSequenceNumber": "100",
                "endSequenceNumber": "102",
                "batchSize": 3,
                "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/inventory/stream/x",
            },
        }
    )


@pytest.fixture
def stack(aws: Clients) -> dict[str, Any]:
    """A fresh stack's queues, with one message of each kind in its dead-letter queues."""
    outputs = create_stack(aws)
    sqs = aws("sqs")
    for body in (load_range_body(), load_event_body(), "not json at all"):
        sqs.send_message(QueueUrl=outputs["load_dlq_url"], MessageBody=body)
    for body in (poison_body(), stream_batch_body()):
        sqs.send_message(QueueUrl=outputs["stream_dlq_url"], MessageBody=body)
    return outputs


@pytest.fixture
def deployed(
    stack: dict[str, Any],
    endpoint: str,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """The stack as `orchestrate.py --target aws` sees it."""
    use_as_aws(monkeypatch, endpoint)
    write_outputs(isolated_environment, stack)
    return stack


# ------------------------------------------------------------------------ describe
def test_each_kind_is_described_by_its_essentials() -> None:
    kind, summary, _ = dead_letters.describe(load_range_body())
    assert kind == "load-range"
    assert summary.startswith(f"s3://{BUCKET}/uploads/big.csv lines 50,002-100,001 (range 1): ")
    assert "after 3 attempts" in summary

    kind, summary, _ = dead_letters.describe(load_event_body())
    assert (kind, summary) == (
        "load-event",
        f"s3://{BUCKET}/uploads/small.csv: load_inventory failed on 3 attempts: "
        "Sandbox.Timedout: timed out",
    )

    kind, summary, _ = dead_letters.describe(poison_body())
    assert (kind, summary) == ("poison-stream-record", "Berlin/apple: count 'abc' is not a number")

    kind, summary, _ = dead_letters.describe(stream_batch_body())
    assert (kind, summary) == (
        "stream-batch",
        "RetryAttemptsExhausted, shard shardId-0001, sequence numbers 100-102 (3 records)",
    )

    kind, summary, body = dead_letters.describe("not json at all")
    assert (kind, summary, body) == ("unknown", "not json at all", "not json at all")


def test_a_poison_record_without_a_readable_key_shows_its_raw_keys() -> None:
    record = {"eventID": "ev-2", "dynamodb": {"Keys": {"store": {"S": "Madrid"}}}}
    body = poison_message(record, PoisonRecord("the record has no item key"))

    kind, summary, _ = dead_letters.describe(body)

    assert kind == "poison-stream-record"
    assert summary == '{"store":{"S":"Madrid"}}: the record has no item key'


# ----------------------------------------------------------------------------- list
def test_listing_leaves_every_message_in_its_queue(aws: Clients, stack: dict[str, Any]) -> None:
    # WHEN the queues are listed twice
    first = dead_letters.list_dead_letters(aws("sqs"), stack)
    second = dead_letters.list_dead_letters(aws("sqs"), stack)

    # THEN both listings see every message, each once, and the messages are still there
    kinds = {queue: sorted(m.kind for m in found) for queue, found in first.items()}
    assert kinds == {
        "load-dlq": ["load-event", "load-range", "unknown"],
        "stream-dlq": ["poison-stream-record", "stream-batch"],
    }
    assert {q: len(f) for q, f in second.items()} == {"load-dlq": 3, "stream-dlq": 2}
    assert len(queue_bodies(aws, stack["load_dlq_url"])) == 3


def test_list_prints_one_line_per_message(
    deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dlq", "inventory", "--target", "aws"]) == EXIT_OK

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"load-dlq: 3 messages ({deployed['load_dlq_url']})"
    assert any(
        line.startswith("  load-range            s3://uploads-bucket/uploads/big.csv lines")
        for line in lines
    )
    assert any(
        line.startswith("  load-event            s3://uploads-bucket/uploads/small.csv: ")
        for line in lines
    )
    assert any(line.startswith("  unknown               not json at all") for line in lines)
    assert f"stream-dlq: 2 messages ({deployed['stream_dlq_url']})" in lines
    assert any("poison-stream-record  Berlin/apple: count 'abc'" in line for line in lines)
    assert any(
        "stream-batch          RetryAttemptsExhausted, shard shardId-0001" in line for line in lines
    )
    assert (
        "Redrive the load messages with: python orchestrate.py dlq redrive inventory --target aws"
        in out
    )


def test_list_as_json(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq", "list", "inventory", "--target", "aws", "--json"]) == EXIT_OK

    listed = json.loads(capsys.readouterr().out)
    assert sorted(listed) == ["load-dlq", "stream-dlq"]
    task = next(m for m in listed["load-dlq"] if m["kind"] == "load-range")["body"]["task"]
    assert RangeTask.from_json(json.dumps(task)) == range_task()
    assert {m["kind"] for m in listed["stream-dlq"]} == {"poison-stream-record", "stream-batch"}


def test_empty_queues_say_so(
    aws: Clients,
    endpoint: str,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, endpoint)
    outputs = write_outputs(isolated_environment, create_stack(aws))

    assert main(["dlq", "list", "inventory", "--target", "aws"]) == EXIT_OK
    assert main(["dlq", "redrive", "inventory", "--target", "aws"]) == EXIT_OK

    out = capsys.readouterr().out
    assert "load-dlq: empty" in out and "stream-dlq: empty" in out
    assert "Nothing to redrive: both dead-letter queues are empty." in out
    assert outputs.exists()


# -------------------------------------------------------------------------- redrive
def test_redrive_sends_the_load_messages_on_and_leaves_the_rest(
    aws: Clients, deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN the dead letters are redriven
    assert main(["dlq", "redrive", "inventory", "--target", "aws"]) == EXIT_OK

    # THEN the range's task is back in the ranges queue, exactly as the worker reads it
    out = capsys.readouterr().out
    sent = queue_bodies(aws, deployed["ranges_queue_url"])
    assert [RangeTask.from_json(body) for body in sent] == [range_task()]
    # and the S3 event went to the planner, and both left the dead-letter queue
    planner = deployed["function_names"]["load_inventory"]
    assert "Redrove 2 messages:" in out
    assert "-> sent to the ranges queue" in out
    assert f"-> invoked {planner} asynchronously with the S3 event" in out
    left = queue_bodies(aws, deployed["load_dlq_url"])
    assert left == ["not json at all"]
    # and what cannot be redriven stays, with why
    assert "Left 3 messages in the queues:" in out
    assert "-> left: the record can never be used as it is" in out
    assert "-> left: Lambda gave up on these stream records" in out
    assert "-> left: the message is not a load task or an S3 event" in out
    assert len(queue_bodies(aws, deployed["stream_dlq_url"])) == 2


def test_a_failed_redrive_keeps_the_message_and_exits_1(
    aws: Clients,
    deployed: dict[str, Any],
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN outputs naming a ranges queue that no longer exists
    broken = {**deployed, "ranges_queue_url": deployed["ranges_queue_url"] + "-gone"}
    write_outputs(isolated_environment, broken)

    # WHEN the dead letters are redriven
    assert main(["dlq", "redrive", "inventory", "--target", "aws"]) == EXIT_FAILED

    # THEN the range stays in the dead-letter queue, and the output says why
    out = capsys.readouterr().out
    assert "-> left: the redrive failed: " in out and "NonExistentQueue" in out
    kinds = [dead_letters.describe(body)[0] for body in queue_bodies(aws, deployed["load_dlq_url"])]
    assert sorted(kinds) == ["load-range", "unknown"]


# ---------------------------------------------------------------------------- purge
def test_purge_needs_yes(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq", "purge", "inventory", "--target", "aws"]) == EXIT_USAGE
    assert "add --yes to confirm" in capsys.readouterr().err


def test_purge_empties_both_queues(
    aws: Clients, deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dlq", "purge", "inventory", "--target", "aws", "--yes"]) == EXIT_OK

    out = capsys.readouterr().out
    assert "Purged load-dlq (it held about 3 messages)." in out
    assert "Purged stream-dlq (it held about 2 messages)." in out
    assert queue_bodies(aws, deployed["load_dlq_url"]) == []
    assert queue_bodies(aws, deployed["stream_dlq_url"]) == []


# ----------------------------------------------------------------- errors and usage
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["dlq", "redrive"], "dlq redrive needs the stack"),
        (["dlq", "list", "todo"], "'todo' has no dead-letter queues"),
        (["dlq", "flush", "inventory"], "unknown dlq action 'flush'"),
        (["dlq", "redrive", "inventory", "--json"], "--json goes with 'dlq list' only"),
        (["dlq", "list", "inventory", "--limit", "0"], "give a whole number above 0"),
    ],
)
def test_bad_usage_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_no_deployed_stack_says_to_deploy(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_as_aws(monkeypatch, endpoint)

    assert main(["dlq", "inventory", "--target", "aws"]) == EXIT_FAILED

    err = capsys.readouterr().err
    assert "the inventory stack has no outputs for target aws, environment dev" in err
    assert "python orchestrate.py deploy inventory" in err


def test_a_stack_without_dead_letter_queues_says_to_redeploy(
    endpoint: str,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, endpoint)
    write_outputs(isolated_environment, {"upload_bucket_name": "b"})

    assert main(["dlq", "inventory", "--target", "aws"]) == EXIT_FAILED

    err = capsys.readouterr().err
    assert "no load_dlq_url or stream_dlq_url output" in err
    assert "Deploy it again with 'python orchestrate.py deploy inventory'" in err


def test_a_queue_that_is_gone_says_the_outputs_are_stale(
    deployed: dict[str, Any], isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_outputs(
        isolated_environment, {**deployed, "stream_dlq_url": deployed["stream_dlq_url"] + "x"}
    )

    assert main(["dlq", "inventory", "--target", "aws"]) == EXIT_FAILED

    err = capsys.readouterr().err
    assert "cannot read stream-dlq: the queue does not exist" in err
    assert "deploy it again" in err
