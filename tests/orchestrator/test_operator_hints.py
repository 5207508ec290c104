"""What `outputs` and `demo` tell the operator: which deploy was read, and commands that tear
down the environment the demo used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import EXIT_OK, demo_closing, main

OUTPUTS = {"api_endpoint": "http://127.0.0.1:4580/_api/abc", "table_name": "inventory-qa"}


@pytest.fixture
def deployed_qa(isolated_environment: Path) -> Path:
    """The outputs a local deploy of the inventory to env qa leaves."""
    path = isolated_environment / "state" / "local" / "qa" / "inventory" / "outputs.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(OUTPUTS))
    return path


def test_outputs_say_which_target_and_environment_they_read(
    deployed_qa: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outputs", "inventory", "--target", "local", "--env", "qa"]) == EXIT_OK

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Outputs of inventory on target local, env qa ({deployed_qa}):"
    assert lines[1:] == [f"{key} = {json.dumps(OUTPUTS[key])}" for key in sorted(OUTPUTS)]


def test_outputs_as_json_keep_stdout_pure_and_say_the_source_on_stderr(
    deployed_qa: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --target auto without AWS credentials reads the local deploy, and says it chose so
    assert main(["outputs", "inventory", "--env", "qa", "--json"]) == EXIT_OK

    captured = capsys.readouterr()
    assert json.loads(captured.out) == OUTPUTS
    assert "Outputs of inventory on target local (--target auto), env qa" in captured.err


def test_the_demo_closing_tears_down_the_default_environment_on_the_local_cloud() -> None:
    closing = demo_closing("dev")
    # TARGET=local: make's default (auto) would pick AWS where credentials resolve
    assert "'make destroy TARGET=local'" in closing
    assert "(python orchestrate.py destroy all --target local)" in closing


def test_the_demo_closing_names_another_environment() -> None:
    closing = demo_closing("qa")
    assert "'make destroy TARGET=local ENV=qa'" in closing
    assert "(python orchestrate.py destroy all --target local --env qa)" in closing
