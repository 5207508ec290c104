"""The command line through main([...]): exit codes and the messages users see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == EXIT_OK
    assert "deploy" in capsys.readouterr().out


def test_no_command_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_USAGE
    assert "required" in capsys.readouterr().err


def test_unknown_stack_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "nope"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid choice: 'nope'" in err and "inventory" in err


def test_unknown_target_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "inventory", "--target", "azure"]) == EXIT_USAGE
    assert "invalid choice: 'azure'" in capsys.readouterr().err


@pytest.mark.parametrize("environment", ["dev-", "qa--1", "-dev", "Dev", "a" * 13, ""])
def test_an_environment_name_aws_would_refuse_is_bad_usage(
    environment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "todo", "--target", "local", f"--env={environment}"]) == EXIT_USAGE
    assert "an environment name is 1 to 12 lowercase letters" in capsys.readouterr().err


def test_malformed_var_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "inventory", "--var", "no_equals_sign"]) == EXIT_USAGE
    assert "--var expects KEY=VALUE" in capsys.readouterr().err


def test_saved_plan_needs_one_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "all", "--plan", "x.tfplan", "--target", "aws"]) == EXIT_USAGE
    assert "name one stack" in capsys.readouterr().err


def test_target_aws_without_credentials_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "inventory", "--target", "aws"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "--target aws needs AWS credentials" in err
    assert "--target local" in err


def test_missing_terraform_binary_fails_fast(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["deploy", "inventory", "--target", "local"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "'terraform' was not found on PATH" in err


def test_outputs_before_any_deploy_say_to_deploy(capsys: pytest.CaptureFixture[str]) -> None:
    # auto with no credentials means local; outputs need no running cloud
    assert main(["outputs", "inventory", "--target", "local"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "error:" in err


def test_destroy_with_nothing_deployed_is_a_no_op(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["destroy", "inventory", "--target", "local"]) == EXIT_OK
    assert "Nothing to destroy on target local" in capsys.readouterr().out
    # and safe twice
    assert main(["destroy", "all", "--target", "local"]) == EXIT_OK


def test_local_down_clears_the_local_state_it_invalidates(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a local state left by an earlier deploy (the emulator holds resources in memory)
    state = isolated_environment / "state" / "local" / "dev" / "inventory" / "terraform.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    aws_state = isolated_environment / "state" / "aws" / "dev" / "inventory" / "terraform.tfstate"
    aws_state.parent.mkdir(parents=True)
    aws_state.write_text("{}")

    # WHEN the local cloud is stopped
    assert main(["local", "down"]) == EXIT_OK

    # THEN the local state is gone and the AWS one is untouched
    assert not state.exists()
    assert aws_state.exists()
    assert "local Terraform state was cleared" in capsys.readouterr().out


def test_token_before_any_deploy_says_to_deploy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "todo", "--target", "local"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "deploy it first with 'python orchestrate.py deploy todo'" in captured.err


def test_token_of_an_open_api_says_how_to_protect_it(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As a deploy with the default api_auth = none leaves the outputs.
    outputs = isolated_environment / "state" / "local" / "dev" / "todo" / "outputs.json"
    outputs.parent.mkdir(parents=True)
    outputs.write_text(json.dumps({"api_auth": "none", "api_token_secret_arn": None}))

    assert main(["token", "todo", "--target", "local"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "has no API token: its API is open to anyone who reaches it" in captured.err
    assert "--var api_auth=token" in captured.err


def test_token_is_only_for_the_todo_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "inventory"]) == EXIT_USAGE
    assert "invalid choice: 'inventory'" in capsys.readouterr().err
