"""Acceptance on a real AWS account: both stacks deployed, smoke-tested, re-planned with no
changes, their idle cost printed, and always destroyed. ``make test-aws`` only; it costs money
(a few cents for a run of about half an hour) and needs credentials in the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.aws.acceptance import (
    StepResult,
    acceptance_env_name,
    acceptance_steps,
    credentials_method,
    destroy_step,
    run_step,
)
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.aws


def test_both_stacks_on_aws(tmp_path: Path) -> None:
    method = credentials_method()
    if method is None:
        # Not require_component: this suite never runs in CI, and no credentials is a normal
        # state of a developer's machine.
        pytest.skip(
            "no AWS credentials (environment, AWS_PROFILE, ~/.aws): configure them to run "
            "make test-aws"
        )
    env = acceptance_env_name()
    lab_role_arn = os.environ.get("LAB_ROLE_ARN") or None
    print(f"\nAcceptance on AWS: env {env}, credentials from {method}", flush=True)
    results: list[StepResult] = []
    try:
        for step in acceptance_steps(env, lab_role_arn=lab_role_arn, plan_dir=tmp_path):
            result = run_step(step, REPO_ROOT)
            results.append(result)
            assert result.passed, f"{step.name} failed (exit {result.exit_code})"
    finally:
        destroyed = run_step(destroy_step(env), REPO_ROOT)
        results.append(destroyed)
        print("\nTimings:", flush=True)
        for result in results:
            mark = "ok  " if result.passed else "FAIL"
            print(f"  [{mark}] {result.step.name:<20} {result.seconds:7.1f} s", flush=True)
        if not destroyed.passed:
            print(
                f"DESTROY FAILED: run 'python orchestrate.py destroy all --target aws --env {env}'",
                flush=True,
            )
    assert destroyed.passed, f"destroy failed: python orchestrate.py destroy all --env {env}"
