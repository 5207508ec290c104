"""A deploy reads at a glance: a few lines on screen, every terraform event in the log file.

GIVEN the inventory stack deployed onto the local cloud through main([...]), its output not a
terminal (as in CI)
THEN the output is short, names the log file, and the log holds each resource's completion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.cli import EXIT_OK
from orchestrator.deploy import StackRun
from orchestrator.stacks import get_stack
from orchestrator.targets import Target
from tests.integration.local_stack import own_local_cloud, run_cli

PORTS = range(4840, 4850)


@pytest.fixture
def local_target(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The local cloud, in this test's own work dir and on a free port, stopped at teardown."""
    with own_local_cloud(PORTS, monkeypatch) as target:
        yield target


def log_named(out: str) -> Path:
    found = re.search(r"^terraform log: (.+\.log)$", out, re.MULTILINE)
    assert found is not None, out
    return Path(found[1]).resolve()  # printed from the current folder when below it


@pytest.mark.integration
def test_a_deploy_prints_a_dozen_lines_and_logs_every_event(
    local_target: Target, isolated_environment: Path
) -> None:
    where = ["--target", "local", "--env", "glance"]
    try:
        # WHEN the inventory is deployed (73 resources)
        code, out = run_cli("deploy", "inventory", *where)

        # THEN the output is short: no line per resource, a summary with the counts
        assert code == EXIT_OK, out
        lines = out.strip().splitlines()
        assert len(lines) < 40, out
        assert "Creation complete" not in out and "Creating..." not in out
        summary = next(line for line in lines if line.startswith("Apply complete in "))
        added = re.search(r": (\d+) added, 0 changed, 0 destroyed", summary)
        assert added is not None and int(added[1]) > 50, summary

        # AND it names the log, under the work dir, which holds each resource's completion
        log = log_named(out)
        assert log.is_relative_to(isolated_environment / "logs" / "local" / "glance")
        assert log.name.endswith("-deploy.log")
        text = log.read_text()
        tf = StackRun(get_stack("inventory"), local_target, "glance", print).terraform()
        managed = [a for a in tf.state_resources() if ".data." not in f".{a}"]
        assert len(managed) == int(added[1])
        missing = [a for a in managed if f"{a}: Creation complete after " not in text]
        assert missing == []
        assert f"Apply complete! Resources: {added[1]} added, 0 changed, 0 destroyed." in text
    finally:
        # AND a destroy reads the same way, in a log of its own
        code, out = run_cli("destroy", "inventory", *where)
        assert code == EXIT_OK, out
        assert "Destruction complete" not in out
        assert re.search(r"^Destroy complete in .*: \d+ destroyed\.$", out, re.MULTILINE), out
        assert log_named(out).name.endswith("-destroy.log")
