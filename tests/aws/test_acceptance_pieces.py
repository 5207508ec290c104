"""The acceptance suite's pieces that need no AWS: credential detection (botocore's own
resolution on temporary config files), the environment name, the commands in order, and that
the suite stays out of a default run.

GIVEN an environment with or without credentials
WHEN the acceptance suite decides whether and what to run
THEN it runs against AWS only when asked and only with credentials, in an environment of its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import _environment_name, build_parser
from tests.aws.acceptance import (
    NO_CHANGES,
    OPT_IN,
    STACKS,
    Step,
    StepResult,
    acceptance_env_name,
    acceptance_steps,
    credentials_method,
    destroy_step,
)
from tests.conftest import REPO_ROOT

LAB_ROLE_ARN = "arn:aws:iam::123456789012:role/LabRole"


@pytest.fixture
def no_aws_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials anywhere: no keys in the environment, empty config files, no profile."""
    for name in list(os.environ):
        if name.startswith("AWS_") and name != "AWS_EC2_METADATA_DISABLED":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return tmp_path


def test_no_credentials_are_found_in_an_empty_configuration(no_aws_config: Path) -> None:
    assert credentials_method() is None


def test_keys_in_a_credentials_file_are_found(
    no_aws_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (no_aws_config / "credentials").write_text(
        "[acceptance]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = example\n"
    )
    assert credentials_method() is None  # the default profile has none
    monkeypatch.setenv("AWS_PROFILE", "acceptance")
    assert credentials_method() == "shared-credentials-file"


def test_keys_in_the_environment_are_found(
    no_aws_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    assert credentials_method() == "env"


def test_an_assume_role_profile_is_found_without_calling_sts(
    no_aws_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Resolving it would call STS; detection must not (the endpoint below does not exist).
    (no_aws_config / "config").write_text(
        "[profile base]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = x\n"
        f"[profile lab]\nrole_arn = {LAB_ROLE_ARN}\nsource_profile = base\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "lab")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    assert credentials_method() == "assume-role"


def test_each_acceptance_env_name_is_valid_and_fresh() -> None:
    names = {acceptance_env_name() for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert _environment_name(name) == name
        assert name.startswith("acc-") and name not in {"dev", "prod"}
    with pytest.raises(argparse.ArgumentTypeError):
        _environment_name("acc-")


def test_the_steps_deploy_smoke_replan_and_cost_each_stack_on_aws(tmp_path: Path) -> None:
    steps = acceptance_steps("acc-abc123", plan_dir=tmp_path)

    assert [step.name for step in steps] == [
        f"{verb} {stack}{' again' if verb == 'plan' else ''}"
        for stack in STACKS
        for verb in ("deploy", "smoke", "plan", "cost")
    ]
    parser = build_parser()
    for step in [*steps, destroy_step("acc-abc123")]:
        # Every step parses as the orchestrator's command line, on AWS, in the fresh env.
        args = parser.parse_args(list(step.argv))
        assert (args.target, args.env) == ("aws", "acc-abc123")
        assert not any("lab_role_arn" in word for word in step.argv)
    plans = [step for step in steps if step.expect_no_changes]
    assert [step.argv[:2] for step in plans] == [("plan", stack) for stack in STACKS]
    assert str(tmp_path / "todo.tfplan") in plans[1].argv
    assert destroy_step("acc-abc123").argv[:2] == ("destroy", "all")


def test_a_lab_role_is_passed_to_deploy_and_plan(tmp_path: Path) -> None:
    steps = acceptance_steps("acc-abc123", lab_role_arn=LAB_ROLE_ARN)

    given = [step.name for step in steps if f"lab_role_arn={LAB_ROLE_ARN}" in step.argv]
    assert given == ["deploy inventory", "plan inventory again", "deploy todo", "plan todo again"]
    for step in steps:
        args = build_parser().parse_args(list(step.argv))
        if step.argv[0] in ("deploy", "plan"):
            assert args.var == [f"lab_role_arn={LAB_ROLE_ARN}"]


def test_a_replan_passes_only_without_changes() -> None:
    plan = Step("plan todo again", ("plan", "todo"), expect_no_changes=True)
    assert StepResult(plan, 0, f"...\n{NO_CHANGES}\n", 1.0).passed
    assert not StepResult(plan, 0, "Plan: 0 to add, 1 to change, 0 to destroy.", 1.0).passed
    assert not StepResult(plan, 1, NO_CHANGES, 1.0).passed


def test_the_aws_suite_stays_out_of_a_default_run() -> None:
    env = {k: v for k, v in os.environ.items() if k != OPT_IN}
    argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/aws"]
    default = subprocess.run(
        argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    fast = subprocess.run(
        [*argv, "-m", "not integration"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for done in (default, fast):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "test_both_stacks_on_aws" not in done.stdout
        assert "1 deselected" in done.stdout
        assert "test_each_acceptance_env_name_is_valid_and_fresh" in done.stdout
