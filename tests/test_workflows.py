"""The GitHub Actions workflows pass actionlint (its WebAssembly build, run by node).

GIVEN the workflows under .github/workflows
WHEN actionlint reads each one
THEN it finds nothing, while it does find the mistakes planted in a broken copy (so a linter that
reads nothing cannot pass).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT, require_component

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
HOME = Path(
    os.environ.get("ACTIONLINT_HOME")
    or Path.home() / ".cache" / "cloud-reference-stacks" / "actionlint"
)
CLI = HOME / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"


def actionlint(path: Path) -> tuple[int, str]:
    """actionlint's exit code and findings for one workflow file."""
    node = shutil.which("node")
    require_component(
        node is not None and CLI.is_file(), "actionlint missing: run .ci/setup_actionlint.sh"
    )
    assert node is not None
    done = subprocess.run(
        [node, str(CLI), str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout + done.stderr


def test_there_is_a_workflow_running_the_suite() -> None:
    assert WORKFLOWS, "no workflow under .github/workflows"
    text = "\n".join(path.read_text() for path in WORKFLOWS)
    assert "bash .ci/run" in text


def test_workflows_pass_actionlint() -> None:
    for workflow in WORKFLOWS:
        code, found = actionlint(workflow)

        assert code == 0, found


def test_actionlint_finds_planted_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        WORKFLOWS[0]
        .read_text()
        .replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    needs: no-such-job", 1)
        .replace("${{ vars.AWS_ROLE_ARN }}", "${{ vars.AWS_ROLE_ARN.nope( }}", 1)
    )

    code, found = actionlint(broken)

    assert code != 0
    assert 'needs job "no-such-job" which does not exist' in found
    assert "nope" in found
