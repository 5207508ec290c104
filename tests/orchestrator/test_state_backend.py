"""Team state in S3: real terraform, the S3 backend with use_lockfile, on the real local cloud.

The stack is a provider-free fixture with ``backend "local" {}`` in its own backend.tf, copied to a
temporary ``terraform/stacks/``. The override file that turns it into ``backend "s3"`` goes into the
generated root under the work dir, never next to the committed backend.tf.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator import stack_spec, state_backend
from orchestrator.cli import EXIT_FAILED, main
from orchestrator.deploy import StackRun
from orchestrator.generated_root import OVERRIDE_FILE_NAME
from orchestrator.stack_spec import StackSpec
from orchestrator.state_backend import (
    BUCKET_ENV,
    MIGRATED_SUFFIX,
    PREFIX_ENV,
    REGION_ENV,
    S3State,
    StateBackendError,
)
from orchestrator.targets import Target
from orchestrator.terraform import TerraformError
from orchestrator.workspace import StackWorkspace
from tests.conftest import require_component

FIXTURE = Path(__file__).parent / "fixtures" / "state_stack"
STACK = "state_stack"
PREFIX = "team"
KEY = f"{PREFIX}/local/dev/{STACK}/terraform.tfstate"


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def cloud_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )
    from orchestrator.local_cloud import control

    work_dir = tmp_path_factory.mktemp("local-cloud")
    cloud = control.up(work_dir, port=free_port(range(4700, 4710)))
    try:
        env = cloud.env()
        yield Target("local", env["AWS_REGION"], env, cloud.endpoint_url, "test")
    finally:
        control.down(work_dir)


@pytest.fixture
def s3(cloud_target: Target) -> Any:
    return cloud_target.client("s3")


@pytest.fixture
def bucket(s3: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A versioned bucket of its own, named in the environment as a team would."""
    name = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv(BUCKET_ENV, name)
    monkeypatch.setenv(PREFIX_ENV, f"/{PREFIX}/")
    return name


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "terraform"
    shutil.copytree(FIXTURE, root / "stacks" / STACK)
    monkeypatch.setattr(stack_spec, "TERRAFORM_DIR", root)
    return root / "stacks" / STACK


SPEC = StackSpec(
    name=STACK,
    summary="a provider-free stack for the state backend",
    prepare=lambda _ctx, user_vars: dict(user_vars),
    finish=lambda _ctx, outputs: outputs,
    highlights=(),
)


def stack_run(target: Target, lines: list[str], *, migrate: bool = False) -> StackRun:
    return StackRun(SPEC, target, "dev", lines.append, migrate_state=migrate)


def state_object(s3: Any, bucket: str) -> dict[str, Any]:
    body = s3.get_object(Bucket=bucket, Key=KEY)["Body"].read()
    state: dict[str, Any] = json.loads(body)
    return state


def names_in(state: dict[str, Any]) -> list[str]:
    return sorted(
        instance["index_key"]
        for resource in state.get("resources", [])
        for instance in resource["instances"]
    )


def flat(text: str) -> str:
    return " ".join(text.split())


def recorded(run: StackRun) -> state_backend.RecordedBackend:
    found = state_backend.recorded_backend(run.workspace.dir)
    assert found is not None
    return found


# -------------------------------------------------------------------- S3, end to end
def test_state_goes_to_its_key_and_another_machine_reads_it(
    cloud_target: Target,
    s3: Any,
    bucket: str,
    config_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the bucket named in the environment
    lines: list[str] = []
    run = stack_run(cloud_target, lines)

    # WHEN the stack is deployed
    outputs = run.deploy({"names": ["a", "b"]})

    # THEN the state is the object at <prefix>/<target>/<env>/<stack>/terraform.tfstate
    assert outputs == {"names": ["a", "b"]}
    assert names_in(state_object(s3, bucket)) == ["a", "b"]
    assert f"  state: s3://{bucket}/{KEY}" in lines
    assert not any("versioning off" in line for line in lines)
    # AND terraform was initialised with S3-native locking and encryption, no DynamoDB table
    backend = recorded(run)
    assert backend.kind == "s3"
    assert backend.config["use_lockfile"] is True and backend.config["encrypt"] is True
    assert backend.config["dynamodb_table"] is None
    # AND the lock is gone once the run is over, and no state file is kept on this machine
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [KEY]
    assert not run.workspace.state_path.exists()
    # AND the backend override is in the generated root, not in the committed one
    assert (run.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    assert not (config_dir / OVERRIDE_FILE_NAME).exists()
    # AND the outputs are cached locally, as with a local state
    assert json.loads(run.workspace.outputs_path.read_text()) == {"names": ["a", "b"]}

    # WHEN a teammate with an empty work dir plans the same stack
    monkeypatch.setenv("ORCHESTRATE_HOME", str(tmp_path / "teammate"))
    teammate = stack_run(cloud_target, [])
    _, summary = teammate.plan({"names": ["a", "b"]})

    # THEN the plan reads the same state: nothing to do
    assert not summary.has_changes, summary.render()

    # AND destroy finds that state too, though no state file is on the teammate's machine
    assert teammate.destroy()
    assert names_in(state_object(s3, bucket)) == []


def test_a_lock_held_elsewhere_stops_terraform(
    cloud_target: Target, s3: Any, bucket: str, config_dir: Path
) -> None:
    # GIVEN a deployed stack, and a lock file that another user's run holds
    run = stack_run(cloud_target, [])
    run.deploy({"names": ["a"]})
    lock = {
        "ID": "4f1c2b9e-0000-0000-0000-000000000000",
        "Operation": "OperationTypeApply",
        "Who": "colleague@laptop",
        "Version": "1.11.4",
        "Created": "2025-01-01T00:00:00Z",
        "Path": f"{bucket}/{KEY}",
    }
    s3.put_object(Bucket=bucket, Key=f"{KEY}.tflock", Body=json.dumps(lock).encode())

    # WHEN this user plans
    with pytest.raises(TerraformError) as caught:
        stack_run(cloud_target, []).plan({"names": ["a", "b"]})

    # THEN terraform refuses, naming who holds the lock; the state is untouched
    assert "Error acquiring the state lock" in caught.value.diagnostics
    s3.delete_object(Bucket=bucket, Key=f"{KEY}.tflock")
    assert names_in(state_object(s3, bucket)) == ["a"]


def test_a_missing_bucket_is_a_clear_error(
    cloud_target: Target, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUCKET_ENV, "no-such-state-bucket")

    with pytest.raises(StateBackendError) as caught:
        stack_run(cloud_target, []).deploy({"names": ["a"]})

    message = str(caught.value)
    assert "the state bucket no-such-state-bucket (ORCHESTRATE_STATE_BUCKET) does not exist" in (
        message
    )
    assert f"aws s3api create-bucket --endpoint-url {cloud_target.endpoint_url}" in message
    assert "--versioning-configuration Status=Enabled" in message
    assert f"unset {BUCKET_ENV}" in message
    # AND nothing was initialised or laid over the stack
    run = stack_run(cloud_target, [])
    assert not (config_dir / OVERRIDE_FILE_NAME).exists()
    assert not (run.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    assert state_backend.recorded_backend(run.workspace.dir) is None


def test_without_the_variable_the_state_stays_local(cloud_target: Target, config_dir: Path) -> None:
    run = stack_run(cloud_target, [])
    run.deploy({"names": ["a"]})

    assert recorded(run).kind == "local"
    assert names_in(json.loads(run.workspace.state_path.read_text())) == ["a"]
    assert not (run.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    assert not (config_dir / OVERRIDE_FILE_NAME).exists()


# ------------------------------------------------------------------------ moving states
def test_switching_to_s3_keeps_the_local_state_until_it_is_migrated(
    cloud_target: Target,
    s3: Any,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a stack deployed with a local state, then a bucket (without versioning) named
    run = stack_run(cloud_target, [])
    run.deploy({"names": ["a", "b"]})
    local_state = run.workspace.state_path
    name = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    monkeypatch.setenv(BUCKET_ENV, name)
    monkeypatch.setenv(PREFIX_ENV, PREFIX)

    # WHEN deployed without --migrate-state
    lines: list[str] = []
    with pytest.raises(StateBackendError) as caught:
        stack_run(cloud_target, lines).deploy({"names": ["a", "b"]})

    # THEN it stops rather than start from an empty bucket, and says how to move the state
    assert f"a local state with resources exists at {local_state}" in str(caught.value)
    assert "--migrate-state" in str(caught.value)
    assert "Contents" not in s3.list_objects_v2(Bucket=name)
    assert any("versioning off" in line for line in lines)

    # WHEN run with --migrate-state
    migrated = stack_run(cloud_target, [], migrate=True)
    _, summary = migrated.plan({"names": ["a", "b"]})

    # THEN the bucket holds the state, the plan shows no changes, the local file is set aside
    assert not summary.has_changes, summary.render()
    assert names_in(state_object(s3, name)) == ["a", "b"]
    assert not local_state.exists()
    assert local_state.with_name(local_state.name + MIGRATED_SUFFIX).exists()


def test_switching_back_to_local_is_refused_then_migrated(
    cloud_target: Target,
    bucket: str,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a stack whose state is in the bucket
    run = stack_run(cloud_target, [])
    run.deploy({"names": ["a"]})

    # WHEN the variable is unset
    monkeypatch.delenv(BUCKET_ENV)
    with pytest.raises(StateBackendError) as caught:
        stack_run(cloud_target, []).plan({"names": ["a"]})

    # THEN it names where the state was kept instead of planning from nothing
    assert f"kept its state in s3://{bucket}/{KEY}" in str(caught.value)
    assert "--migrate-state" in str(caught.value)

    # AND --migrate-state copies it back to this machine: the plan shows no changes
    back = stack_run(cloud_target, [], migrate=True)
    _, summary = back.plan({"names": ["a"]})
    assert not summary.has_changes, summary.render()
    assert names_in(json.loads(back.workspace.state_path.read_text())) == ["a"]
    assert recorded(back).kind == "local"
    assert not (back.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    assert not (config_dir / OVERRIDE_FILE_NAME).exists()

    # AND the destroy that follows runs on the local state
    assert back.destroy()


def test_a_new_prefix_does_not_start_empty(
    cloud_target: Target,
    s3: Any,
    bucket: str,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a stack whose state is in the bucket under one prefix
    stack_run(cloud_target, []).deploy({"names": ["a"]})

    # WHEN the prefix changes
    monkeypatch.setenv(PREFIX_ENV, "moved")
    with pytest.raises(StateBackendError) as caught:
        stack_run(cloud_target, []).plan({"names": ["a"]})

    # THEN it stops, and --migrate-state copies the state to the new key
    assert f"kept its state in s3://{bucket}/{KEY}" in str(caught.value)
    _, summary = stack_run(cloud_target, [], migrate=True).plan({"names": ["a"]})
    assert not summary.has_changes, summary.render()
    moved = s3.get_object(Bucket=bucket, Key=f"moved/local/dev/{STACK}/terraform.tfstate")
    assert names_in(json.loads(moved["Body"].read())) == ["a"]


def test_destroy_looks_for_a_state_when_a_bucket_is_named(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = StackWorkspace(isolated_environment, "aws", "dev", STACK)
    assert not state_backend.might_hold_state(workspace)
    monkeypatch.setenv(BUCKET_ENV, "team-state")
    assert state_backend.might_hold_state(workspace)


def test_destroy_with_a_bucket_named_goes_to_the_target(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A teammate's machine has no local state, yet the bucket may hold one: look, do not skip.
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    monkeypatch.setenv(BUCKET_ENV, "team-state")

    assert main(["destroy", "inventory", "--target", "aws", "--migrate-state"]) == EXIT_FAILED

    captured = capsys.readouterr()
    assert "Nothing to destroy" not in captured.out
    assert "--target aws needs AWS credentials" in captured.err


# --------------------------------------------------------------------------- the settings
def test_key_region_and_backend_settings(isolated_environment: Path) -> None:
    workspace = StackWorkspace(isolated_environment, "aws", "prod", "inventory")
    aws = Target("aws", "eu-west-1")

    location = state_backend.choose(
        workspace, aws, {BUCKET_ENV: "team-state", PREFIX_ENV: "/cloud/stacks/"}
    )

    assert location == S3State(
        "team-state", "cloud/stacks/aws/prod/inventory/terraform.tfstate", "eu-west-1"
    )
    settings = flat(location.backend_config())
    assert 'bucket = "team-state"' in settings and 'region = "eu-west-1"' in settings
    assert "use_lockfile = true" in settings and "encrypt = true" in settings
    assert "endpoints" not in settings and "dynamodb" not in settings


def test_region_variable_and_local_cloud_endpoint(isolated_environment: Path) -> None:
    workspace = StackWorkspace(isolated_environment, "local", "dev", "todo")
    local = Target("local", "us-east-1", endpoint_url="http://127.0.0.1:4580")

    location = state_backend.choose(workspace, local, {BUCKET_ENV: "b", REGION_ENV: "eu-central-1"})

    assert isinstance(location, S3State)
    assert location.key == "local/dev/todo/terraform.tfstate"
    assert location.region == "eu-central-1"
    settings = flat(location.backend_config())
    assert 'endpoints = { s3 = "http://127.0.0.1:4580" }' in settings
    assert "use_path_style = true" in settings


def test_no_bucket_means_the_local_file(isolated_environment: Path) -> None:
    workspace = StackWorkspace(isolated_environment, "local", "dev", "todo")
    location = state_backend.choose(workspace, Target("local", "us-east-1"), {BUCKET_ENV: " "})
    assert location == state_backend.LocalState(workspace.state_path)
