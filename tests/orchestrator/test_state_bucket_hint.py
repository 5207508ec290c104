"""The AWS CLI commands the state-bucket messages print work as printed on the local target,
from a shell that holds no AWS settings (run for real when the AWS CLI is installed)."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator.state_backend import BUCKET_ENV, S3State, StateBackendError, StateBucket
from orchestrator.targets import Target
from tests.conftest import require_component

PORTS = range(4860, 4870)


@pytest.fixture(scope="module")
def cloud_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )
    from orchestrator.local_cloud import control

    work_dir = tmp_path_factory.mktemp("local-cloud-hint")
    cloud = control.up(work_dir, port=free_port(PORTS))
    try:
        env = cloud.env()
        yield Target("local", env["AWS_REGION"], env, cloud.endpoint_url, "test")
    finally:
        control.down(work_dir)


def state_bucket(target: Target, name: str) -> StateBucket:
    key = "team/local/dev/inventory/terraform.tfstate"
    return StateBucket(S3State(name, key, target.region, target.endpoint_url), target)


def bare_shell(tmp_path: Path) -> dict[str, str]:
    """A user's shell: no AWS keys, region, endpoint, profile or config files."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "no-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "no-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # no metadata lookups off this machine
    return env


def run_as_printed(command: str, tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=tmp_path,
        env=bare_shell(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stderr}"


def assert_pasteable(command: str, target: Target, operation: str) -> None:
    words = shlex.split(command)
    assert words[:3] == ["AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "aws"]
    assert words[3:5] == ["s3api", operation]
    assert words[words.index("--endpoint-url") + 1] == target.endpoint_url
    assert words[words.index("--region") + 1] == target.region


def test_the_missing_bucket_commands_work_as_printed(
    cloud_target: Target, tmp_path: Path, s3: Any
) -> None:
    # GIVEN a state bucket named that the local cloud does not have
    name = f"state-{uuid.uuid4().hex[:12]}"
    bucket = state_bucket(cloud_target, name)
    with pytest.raises(StateBackendError) as caught:
        bucket.check(lambda _line: None)
    message = str(caught.value)
    assert f"({BUCKET_ENV}) does not exist on the local cloud" in message
    commands = [line.strip() for line in message.splitlines() if " aws s3api " in line]
    assert len(commands) == 2
    assert_pasteable(commands[0], cloud_target, "create-bucket")
    assert_pasteable(commands[1], cloud_target, "put-bucket-versioning")
    if shutil.which("aws") is None:
        return  # no AWS CLI here: what it would run was checked above

    # WHEN a user pastes them into a shell with no AWS settings
    for command in commands:
        run_as_printed(command, tmp_path)

    # THEN the bucket exists, versioned, and the check passes without a warning
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    warnings: list[str] = []
    bucket.check(warnings.append)
    assert warnings == []


def test_the_versioning_warning_command_works_as_printed(
    cloud_target: Target, tmp_path: Path, s3: Any
) -> None:
    # GIVEN a state bucket with versioning off
    name = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    warnings: list[str] = []
    state_bucket(cloud_target, name).check(warnings.append)
    (warning,) = warnings
    command = warning.split("turn it on with: ", 1)[1]
    assert_pasteable(command, cloud_target, "put-bucket-versioning")
    if shutil.which("aws") is None:
        return

    # WHEN the user runs the command it gives
    run_as_printed(command, tmp_path)

    # THEN versioning is on
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"


@pytest.fixture
def s3(cloud_target: Target) -> Any:
    return cloud_target.client("s3")
