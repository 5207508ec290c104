"""A real local cloud server for the whole session, and helpers to deploy test functions."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.ports import free_port as ports_free_port
from orchestrator.local_cloud import control
from tests.local_cloud.functions import handlers_zip

TEST_PORTS = range(4640, 4650)
ACCOUNT_ID = "123456789012"


def free_port(exclude: set[int] | None = None) -> int:
    """A port of the range reserved for these tests that nothing listens on."""
    return ports_free_port(TEST_PORTS, exclude or set())


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until ``condition()`` is truthy (asynchronous deliveries) and return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.LocalCloud]:
    work_dir = tmp_path_factory.mktemp("local-cloud")
    started = control.up(work_dir, port=free_port())
    try:
        yield started
    finally:
        control.down(work_dir)


@pytest.fixture(scope="session")
def aws(cloud: control.LocalCloud) -> Callable[[str], Any]:
    """boto3 clients for the local cloud: ``aws("s3")``."""

    def client(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=cloud.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return client


@pytest.fixture(scope="session")
def role_arn(aws: Callable[[str], Any]) -> str:
    # The local cloud enforces IAM and runs each function with its role's credentials: the test
    # functions' role trusts Lambda and may do anything.
    iam = aws("iam")
    role = iam.create_role(
        RoleName="local-cloud-test-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    iam.put_role_policy(
        RoleName="local-cloud-test-role",
        PolicyName="everything",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    return str(role["Role"]["Arn"])


@pytest.fixture(scope="session")
def make_function(aws: Callable[[str], Any], role_arn: str) -> Callable[..., str]:
    """Create a function from the test handlers; returns its name (unique per call)."""

    def create(
        handler: str, timeout: int = 10, env: dict[str, str] | None = None, memory: int = 256
    ) -> str:
        name = f"{handler.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn,
            Handler=f"handlers.{handler}",
            Code={"ZipFile": handlers_zip()},
            Timeout=timeout,
            MemorySize=memory,
            Environment={"Variables": env or {}},
        )
        return name

    return create


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tmp_work_dir(tmp_path: Path) -> Path:
    return tmp_path / "work"
