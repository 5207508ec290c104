"""Nothing is written into the source tree, and a reviewer plans a committed root by hand with
the command ``plan`` prints (issue 9).

GIVEN the inventory stack deployed and planned by the orchestrator on the local cloud, with team
state in S3
WHEN the hand-run lines that ``plan`` printed run in a fresh shell (real terraform), and the
stack is destroyed
THEN terraform plans the committed ``terraform/stacks/inventory`` without asking for a variable,
and no run left a file in ``terraform/stacks/`` or changed a committed lock file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator.cli import EXIT_OK, main
from orchestrator.state_backend import BUCKET_ENV
from orchestrator.targets import Target, resolve_target
from orchestrator.workspace import REPO_ROOT
from tests.integration.local_stack import require_local_cloud_parts, run_cli

PORTS = range(4800, 4810)
HEADER = "Plan the committed root by hand"
STACKS = REPO_ROOT / "terraform" / "stacks"


@pytest.fixture
def local_target(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The local cloud, in this test's own work dir and on a free port, stopped at teardown."""
    require_local_cloud_parts()
    monkeypatch.setenv("ORCHESTRATE_LOCAL_PORT", str(free_port(PORTS)))
    try:
        yield resolve_target("local")
    finally:
        assert main(["local", "down"]) == EXIT_OK


def printed_lines(out: str) -> list[str]:
    """The indented lines under the hand-run header of ``plan``'s output."""
    after = out.split(HEADER, 1)[1].splitlines()[1:]
    lines: list[str] = []
    for line in after:
        if not line.startswith("  "):
            break
        lines.append(line[2:])
    return lines


def listing(folder: Path) -> set[str]:
    """Every file under ``folder``, git-ignored ones included (.terraform/, states, overrides)."""
    return {
        str(Path(directory, name).relative_to(folder))
        for directory, _dirs, files in os.walk(folder)
        for name in files
    }


def lock_hashes() -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(STACKS.glob("*/.terraform.lock.hcl"))
    }


@pytest.mark.integration
def test_deploy_plan_hand_run_and_destroy_leave_the_source_tree_as_it_was(
    local_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN team state in a bucket on the local cloud, and the source tree as it is now.
    # (Files only: other sessions may edit the committed .tf files while this runs.)
    s3: Any = local_target.client("s3")
    bucket = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv(BUCKET_ENV, bucket)
    files_before, locks_before = listing(STACKS), lock_hashes()

    try:
        # WHEN the orchestrator deploys the stack, then plans it
        code, out = run_cli("deploy", "inventory", "--target", "local")
        assert code == EXIT_OK, out
        code, out = run_cli("plan", "inventory", "--target", "local")
        assert code == EXIT_OK, out
        assert f"state: s3://{bucket}/local/dev/inventory/terraform.tfstate" in out
        assert "No changes." in out
        assert "changed the provider lock file" not in out
        hand_run(out)
    finally:
        code, out = run_cli("destroy", "inventory", "--target", "local")
    assert code == EXIT_OK, out

    # THEN nothing was added to terraform/stacks/, and the committed lock files are unchanged
    assert listing(STACKS) == files_before
    assert lock_hashes() == locks_before


def hand_run(out: str) -> None:
    """Run the hand-run lines printed in ``out`` as a reviewer would, and check the plan."""
    # The lines go into the committed root, with the orchestrator's variable file.
    lines = printed_lines(out)
    assert lines[0] == f"cd {STACKS / 'inventory'}"
    assert lines[-1].startswith("terraform plan -input=false -var-file=")
    var_file = Path(lines[-1].split("-var-file=", 1)[1])
    assert var_file.exists()

    # WHEN a reviewer runs them in a fresh shell that holds none of the orchestrator's settings
    shell = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, "-euo", "pipefail", "-c", "\n".join(lines)],
        env=shell,
        capture_output=True,
        text=True,
        timeout=600,
    )

    # THEN terraform plans every resource of the committed root, asking for no variable
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # terraform's colours
    assert result.returncode == 0, output
    assert "No value for required variable" not in output
    planned = re.search(r"Plan: (\d+) to add, 0 to change, 0 to destroy", output)
    assert planned is not None, output
    assert int(planned.group(1)) > 10
