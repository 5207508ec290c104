"""A held state lock, explained, and `unlock`: real terraform, team state in S3 on the local cloud.

The stack is test_state_backend's provider-free fixture, registered in the stack registry for the
command line. The local cloud runs in the work dir the commands use, so `--target local` finds it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator import stacks, state_lock
from orchestrator.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from orchestrator.local_cloud.control import PORT_ENV
from orchestrator.stack_spec import StackError
from orchestrator.state_backend import BUCKET_ENV, PREFIX_ENV
from orchestrator.terraform import TerraformError
from tests.conftest import require_component
from tests.orchestrator.test_state_backend import KEY, PREFIX, SPEC, STACK, names_in, state_object

PORTS = range(4850, 4860)
LOCK = {
    "ID": "4f1c2b9e-1111-2222-3333-444455556666",
    "Operation": "OperationTypeApply",
    "Info": "",
    "Who": "colleague@laptop",
    "Version": "1.11.4",
    "Created": "2025-01-01T09:30:00.123456789Z",
    "Path": f"BUCKET/{KEY}",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """A work dir whose local cloud runs (the one `--target local` uses)."""
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    require_component(importlib.util.find_spec("moto") is not None, "moto is not installed")
    from orchestrator.local_cloud import control

    root = tmp_path_factory.mktemp("lock-home")
    port = free_port(PORTS)
    control.up(root / "local-cloud", port=port)
    try:
        yield root, port
    finally:
        control.down(root / "local-cloud")


@pytest.fixture
def team_state(
    home: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Any]:
    """The state stack in the registry, state in a fresh versioned bucket: (bucket, s3 client)."""
    from orchestrator import stack_spec
    from orchestrator.local_cloud import control

    root, port = home
    # A work dir of its own (no test sees another's state), sharing the running local cloud.
    own = tmp_path / "home"
    own.mkdir()
    (own / "local-cloud").symlink_to(root / "local-cloud", target_is_directory=True)
    monkeypatch.setenv("ORCHESTRATE_HOME", str(own))
    monkeypatch.setenv(PORT_ENV, str(port))
    fixture = Path(__file__).parent / "fixtures" / "state_stack"
    shutil.copytree(fixture, tmp_path / "terraform" / "stacks" / STACK)
    monkeypatch.setattr(stack_spec, "TERRAFORM_DIR", tmp_path / "terraform")
    monkeypatch.setitem(stacks.STACKS, STACK, SPEC)
    cloud = control.status(own / "local-cloud")
    assert cloud is not None
    env = cloud.env()
    import boto3

    s3 = boto3.client(
        "s3",
        region_name=env["AWS_REGION"],
        endpoint_url=cloud.endpoint_url,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    bucket = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv(BUCKET_ENV, bucket)
    monkeypatch.setenv(PREFIX_ENV, PREFIX)
    return bucket, s3


def deploy(names: list[str]) -> list[str]:
    return ["deploy", STACK, "--target", "local", "--var", f"names={json.dumps(names)}"]


def test_a_killed_deploys_lock_is_explained_and_released(
    team_state: tuple[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    bucket, s3 = team_state
    # GIVEN a deployed stack, and the lock a killed deploy left next to its state
    assert main(deploy(["a"])) == EXIT_OK
    lock = {**LOCK, "Path": f"{bucket}/{KEY}"}
    s3.put_object(Bucket=bucket, Key=f"{KEY}.tflock", Body=json.dumps(lock).encode())
    capsys.readouterr()

    # WHEN the stack is deployed again
    code = main(deploy(["a", "b"]))

    # THEN one clear error: who holds the lock, since when, and how to recover
    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert (
        f"error: the state of {STACK} (target local, env dev) is locked, held by "
        "colleague@laptop since 2025-01-01 09:30 UTC" in err
    )
    assert f"(apply, lock ID {LOCK['ID']})" in err
    assert f"python orchestrate.py unlock {STACK} --target local --env dev" in err
    assert f"python orchestrate.py sweep {STACK} --target local --env dev" in err
    assert "-lock=false" not in err and "Traceback" not in err
    assert names_in(state_object(s3, bucket)) == ["a"]

    # WHEN unlock runs without --yes and without a terminal
    assert main(["unlock", STACK, "--target", "local"]) == EXIT_USAGE
    # THEN it shows the lock and keeps it
    out = capsys.readouterr().out
    assert f"s3://{bucket}/{KEY}.tflock" in out and "colleague@laptop" in out
    s3.head_object(Bucket=bucket, Key=f"{KEY}.tflock")

    # WHEN unlock --yes runs
    assert main(["unlock", STACK, "--target", "local", "--yes"]) == EXIT_OK

    # THEN the lock is gone, and it says what to do next
    out = capsys.readouterr().out
    assert f"Lock {LOCK['ID']} released." in out
    assert f"python orchestrate.py sweep {STACK} --target local" in out
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [KEY]
    # AND a second unlock finds nothing to release
    assert main(["unlock", STACK, "--target", "local", "--yes"]) == EXIT_OK
    assert "is not locked" in capsys.readouterr().out

    # AND the next deploy works
    assert main(deploy(["a", "b"])) == EXIT_OK
    assert names_in(state_object(s3, bucket)) == ["a", "b"]


# ------------------------------------------------------------------ without a cloud
def test_terraforms_lock_error_text_is_read() -> None:
    # As terraform 1.11 prints it (S3 lockfile), through the wrapper's diagnostic text.
    diagnostics = """Error: Error acquiring the state lock
  Error message: operation error S3: PutObject, https response error StatusCode: 412
  Lock Info:
    ID:        4f1c2b9e-1111-2222-3333-444455556666
    Path:      team-state/team/aws/prod/inventory/terraform.tfstate
    Operation: OperationTypePlan
    Who:       ana@build-7
    Version:   1.11.4
    Created:   2025-01-01 09:30:00.123456789 +0000 UTC
    Info:

  Terraform acquires a state lock to protect the state from being written
  by multiple users at the same time. Please resolve the issue above and try
  again. For most commands, you can disable locking with the "-lock=false"
  flag, but this is not recommended."""
    error = TerraformError(["terraform", "plan"], 1, diagnostics)

    explained = state_lock.recognize(error)

    assert explained is not None and isinstance(explained, TerraformError)
    assert explained.lock.where() == ("aws", "prod", "inventory")
    message = str(explained)
    assert message.startswith("the state of inventory (target aws, env prod) is locked, held by")
    assert "ana@build-7 since 2025-01-01 09:30 UTC" in message and "(plan, lock ID 4f1c" in message
    assert "-lock=false" not in message + (explained.hint or "")
    assert "unlock inventory --target aws --env prod" in (explained.hint or "")
    assert state_lock.recognize(TerraformError(["terraform", "apply"], 1, "Error: boom")) is None


def test_a_local_lock_file_is_removed_only_when_no_run_holds_it(tmp_path: Path) -> None:
    pytest.importorskip("fcntl")
    state = tmp_path / "terraform.tfstate"
    state.write_text("{}")
    info = tmp_path / ".terraform.tfstate.lock.info"
    info.write_text(json.dumps({**LOCK, "Path": str(state)}))
    # GIVEN another process holding the state file's lock, as a running terraform does
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(state)!r}, 'r+b'); fcntl.lockf(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        # THEN the lock file is kept
        with pytest.raises(StackError, match="still holds the state's lock"):
            state_lock.release_local(info)
        assert info.exists()
    finally:
        holder.kill()
        holder.wait()
    # WHEN that process has ended (killed: its lock file stays) THEN the file is removed
    state_lock.release_local(info)
    assert not info.exists()


def test_status_lists_a_stack_deployed_with_team_state(
    team_state: tuple[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the stack deployed onto the running local cloud, its state in the bucket
    bucket, _ = team_state
    assert main(deploy(["a"])) == EXIT_OK
    capsys.readouterr()

    # WHEN status is asked for as JSON
    assert main(["status", "--json"]) == EXIT_OK

    # THEN the local cloud runs, and the stack is listed with its state's place, not gone
    found = json.loads(capsys.readouterr().out)
    assert found["local_cloud"]["running"] is True
    (entry,) = [item for item in found["stacks"] if item["stack"] == STACK]
    assert (entry["target"], entry["environment"], entry["gone"]) == ("local", "dev", False)
    assert entry["state"] == f"s3://{bucket}/{KEY}"
    assert entry["applied_at"].startswith(str(datetime.now(UTC).year))
