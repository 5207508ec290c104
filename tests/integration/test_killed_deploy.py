"""A deploy killed mid-apply with team state in S3, recovered with the tool's own commands.

Issue 10's report: the kill left a lock and created resources no state held; the next deploy
printed terraform's raw lock error (suggesting ``-lock=false``), a deploy after a manual
force-unlock failed with "already exists", and ``destroy`` left them all. Here the real CLI
deploys the inventory stack in a subprocess, which is SIGKILLed (its whole process group:
terraform and its provider too) once the apply has created some resources; then ``deploy``,
``unlock``, ``sweep``, ``deploy`` and ``destroy`` run as an operator would run them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator import sweep
from orchestrator.cli import EXIT_FAILED, EXIT_OK, main
from orchestrator.deploy import StackRun
from orchestrator.local_cloud.control import PORT_ENV
from orchestrator.stacks import get_stack
from orchestrator.state_backend import BUCKET_ENV, PREFIX_ENV
from orchestrator.targets import Target
from tests.integration.local_stack import own_local_cloud

pytestmark = pytest.mark.integration

PORTS = range(4870, 4880)
STACK = "inventory"
ENV = "killed"
REPO = Path(__file__).resolve().parents[2]
# Killed once this many resources are created: early, so that some are still being created.
CREATED_BEFORE_KILL = 3
WAIT_SECONDS = 600.0
OPTIONS = ("--target", "local", "--env", ENV)
# No run of the suite may reach a real account or a developer's settings.
CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private work dir, no credentials, no instance metadata lookups."""
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    path = tmp_path / "orchestrate-home"
    monkeypatch.setenv("ORCHESTRATE_HOME", str(path))
    return path


@pytest.fixture
def cloud(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    with own_local_cloud(PORTS, monkeypatch) as target:
        yield target


def team_bucket(target: Target, monkeypatch: pytest.MonkeyPatch) -> str:
    """A versioned state bucket on the local cloud, named in the environment as a team would."""
    s3 = target.client("s3")
    name = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv(BUCKET_ENV, name)
    monkeypatch.setenv(PREFIX_ENV, "team")
    return name


def start_deploy(output: Path) -> subprocess.Popen[bytes]:
    """`orchestrate.py deploy` in a process group of its own, with this test's environment."""
    env = dict(os.environ)
    assert env[PORT_ENV] and env[BUCKET_ENV] and env["ORCHESTRATE_HOME"]
    # Terraform writes the state at most every 20 s during an apply: much later here, so that
    # the kill strands resources whatever the machine's speed.
    env["TF_STATE_PERSIST_INTERVAL"] = "3600"
    env["CI"] = "true"
    with output.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "orchestrate.py", "deploy", STACK, *OPTIONS],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def created_in(log: Path) -> int:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return text.count(": Creation complete after")


def wait_until_created(deploy: subprocess.Popen[bytes], output: Path, count: int) -> Path:
    """The terraform log the deploy prints, once ``count`` resources are created in it."""
    deadline = time.monotonic() + WAIT_SECONDS
    log: Path | None = None
    while time.monotonic() < deadline:
        printed = output.read_text(encoding="utf-8", errors="replace")
        assert deploy.poll() is None, f"the deploy ended before it was killed:\n{printed}"
        found = re.search(r"^terraform log: (.+)$", printed, re.MULTILINE)
        if found and log is None:
            log = Path(found.group(1).strip())
            log = log if log.is_absolute() else REPO / log
        if log is not None and created_in(log) >= count:
            return log
        time.sleep(0.5)
    raise AssertionError(f"no {count} resources created in {WAIT_SECONDS} s:\n{printed}")


def kill_group(deploy: subprocess.Popen[bytes]) -> None:
    """SIGKILL the deploy and everything it started (terraform, the provider)."""
    if deploy.poll() is None:
        try:
            os.killpg(deploy.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deploy.wait(timeout=30)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """main([...]) with its stdout and stderr, also echoed for the test log."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    with capsys.disabled():
        print(f"$ orchestrate.py {' '.join(argv)}  -> {code}\n{out}{err}")
    return code, out, err


def sweep_json(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = cli(capsys, "sweep", STACK, *OPTIONS, "--json", *extra)
    assert "Traceback" not in err
    return code, json.loads(out)


def test_a_deploy_killed_mid_apply_is_recovered_with_the_tools_own_commands(
    cloud: Target,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bucket = team_bucket(cloud, monkeypatch)
    lock_key = f"team/local/{ENV}/{STACK}/terraform.tfstate.tflock"

    # GIVEN a deploy with team state in S3, killed once the apply has created some resources
    output = tmp_path / "deploy.out"
    deploy = start_deploy(output)
    try:
        log = wait_until_created(deploy, output, CREATED_BEFORE_KILL)
    finally:
        kill_group(deploy)
    assert deploy.returncode == -signal.SIGKILL
    with capsys.disabled():
        print(f"killed after {created_in(log)} resources were created (log: {log})")
    # The killed apply's lock stays next to the state.
    cloud.client("s3").head_object(Bucket=bucket, Key=lock_key)

    # WHEN the stack is deployed again THEN it is refused with the lock explained, not
    # terraform's advice to run without a lock
    code, _, err = cli(capsys, "deploy", STACK, *OPTIONS)
    assert code == EXIT_FAILED
    assert f"error: the state of {STACK} (target local, env {ENV}) is locked" in err
    assert f"python orchestrate.py unlock {STACK} --target local --env {ENV}" in err
    assert f"python orchestrate.py sweep {STACK} --target local --env {ENV}" in err
    assert "-lock=false" not in err and "Traceback" not in err
    # AND the sweep refuses to delete while the lock says a deploy may be running
    code, _, err = cli(capsys, "sweep", STACK, *OPTIONS, "--delete", "--yes")
    assert code == EXIT_FAILED
    assert "nothing deleted: the state of inventory is locked" in err

    # WHEN the operator releases the lock THEN it is gone
    code, out, _ = cli(capsys, "unlock", STACK, *OPTIONS, "--yes")
    assert code == EXIT_OK
    assert "released." in out and f"python orchestrate.py sweep {STACK}" in out
    listed = cloud.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    assert lock_key not in [item["Key"] for item in listed]

    # WHEN the sweep lists THEN what the killed deploy created and its state lacks is there
    code, found = sweep_json(capsys)
    stranded = {entry["arn"] for entry in found["stranded"]}
    run = StackRun(get_stack(STACK), cloud, ENV, print)
    held = sweep.held_by_state(run)
    assert code == EXIT_FAILED and stranded, found
    assert not any(arn in held for arn in stranded)
    # With the persist interval raised, terraform wrote no state before the kill.
    assert held == set(), f"terraform persisted part of the state: {sorted(held)}"

    # WHEN destroy runs first THEN it does not claim the stack is gone: it names what remains
    # and how to remove it, exits 1, and leaves them
    code, out, _ = cli(capsys, "destroy", STACK, *OPTIONS)
    assert code == EXIT_FAILED
    assert f"{STACK}: destroyed." not in out
    assert f"{STACK}: {len(stranded)} resources tagged for it remain that no state holds" in out
    assert f"python orchestrate.py sweep {STACK} --target local --env {ENV} --delete --yes" in out
    code, again = sweep_json(capsys)
    assert code == EXIT_FAILED and {entry["arn"] for entry in again["stranded"]} == stranded

    # WHEN they are deleted THEN each is, and the sweep finds none left
    code, deleted = sweep_json(capsys, "--delete", "--yes")
    assert code == EXIT_OK, deleted
    assert {entry["arn"] for entry in deleted["stranded"]} == stranded
    assert all(entry["deleted"] for entry in deleted["stranded"]), deleted

    # WHEN the stack is deployed again THEN it succeeds, nothing "already exists"
    code, out, err = cli(capsys, "deploy", STACK, *OPTIONS)
    assert code == EXIT_OK, err
    assert "already exists" not in out + err
    assert sweep.find_tagged(cloud.client, STACK, ENV), "the deploy created nothing tagged"
    code, found = sweep_json(capsys)
    assert (code, found["stranded"]) == (EXIT_OK, [])

    # WHEN it is destroyed THEN nothing tagged for it is left on the local cloud
    code, _, err = cli(capsys, "destroy", STACK, *OPTIONS)
    assert code == EXIT_OK, err
    code, found = sweep_json(capsys)
    assert (code, found["stranded"]) == (EXIT_OK, [])
    assert sweep.find_tagged(cloud.client, STACK, ENV) == []
