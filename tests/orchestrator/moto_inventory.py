"""A plain moto server standing in for a deployed inventory stack: its bucket, queues, function.

The orchestrator reads a stack's outputs from ``outputs.json`` in its work dir, so a test writes
one there (under the ``ORCHESTRATE_HOME`` of ``isolated_environment``) naming what it created
here, and points ``--target aws`` at the server with ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.moto_server import moto_server
from devtools.ports import free_port

PORTS = range(4730, 4740)
REGION = "us-east-1"

Clients = Callable[[str], Any]


@contextmanager
def inventory_cloud(log_dir: Path) -> Iterator[str]:
    """A moto server whose Lambda Invoke needs no Docker (it answers, runs nothing)."""
    with moto_server(free_port(PORTS), log_dir / "moto.log") as endpoint:
        request = urllib.request.Request(
            f"{endpoint}/moto-api/config",
            data=json.dumps({"lambda": {"use_docker": False}}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
        yield endpoint


def clients(endpoint: str) -> Clients:
    def client(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client


def use_as_aws(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """Make ``--target aws`` reach the moto server (boto3 honours AWS_ENDPOINT_URL)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def create_stack(aws: Clients) -> dict[str, Any]:
    """An upload bucket, the three queues and the planner function; returns the outputs."""
    suffix = uuid.uuid4().hex[:8]
    bucket = f"uploads-{suffix}"
    aws("s3").create_bucket(Bucket=bucket)
    sqs = aws("sqs")
    queues = {
        name: sqs.create_queue(QueueName=f"{name}-{suffix}")["QueueUrl"]
        for name in ("load-dlq", "stream-dlq", "load-ranges")
    }
    role = aws("iam").create_role(
        RoleName=f"role-{suffix}", AssumeRolePolicyDocument='{"Version":"2012-10-17"}'
    )
    planner = f"load-inventory-{suffix}"
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    aws("lambda").create_function(
        FunctionName=planner,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return {
        "upload_bucket_name": bucket,
        "upload_prefix": "uploads/",
        "reports_prefix": "reports/",
        "load_dlq_url": queues["load-dlq"],
        "stream_dlq_url": queues["stream-dlq"],
        "ranges_queue_url": queues["load-ranges"],
        "function_names": {"load_inventory": planner},
    }


def write_outputs(home: Path, outputs: dict[str, Any], *, target: str = "aws") -> Path:
    """Where ``orchestrate.py`` reads the inventory stack's outputs (as ``deploy`` leaves them)."""
    path = home / "state" / target / "dev" / "inventory" / "outputs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outputs, indent=2))
    return path


def queue_bodies(aws: Clients, url: str) -> list[str]:
    """Every message body of a queue, consumed (to check what a command left or sent)."""
    sqs = aws("sqs")
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(message["Body"] for message in messages)
