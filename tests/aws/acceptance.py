"""The real-AWS acceptance run, as pieces that need no AWS: who the credentials are, which
environment name it uses, and the orchestrator commands it runs, in order.

``make test-aws`` runs these commands against the account of the environment; the default test
run checks the pieces (tests/aws/test_acceptance_pieces.py) and never reaches AWS.
"""

from __future__ import annotations

import secrets
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import botocore.session

OPT_IN = "ORCHESTRATE_TEST_AWS"
STACKS = ("inventory", "todo")
NO_CHANGES = "No changes. The infrastructure matches the configuration."
# botocore's providers that answer from this machine alone; "iam-role" would ask the EC2
# metadata address, which is off this machine (and not a credential a user configured).
NETWORK_PROVIDERS = ("iam-role",)


def credentials_method() -> str | None:
    """How botocore would find credentials ("env", "shared-credentials-file", "sso", ...), or
    None. Nothing is sent to AWS: assume-role and SSO credentials are resolved lazily."""
    session = botocore.session.Session()
    resolver = session.get_component("credential_provider")
    for name in NETWORK_PROVIDERS:
        resolver.remove(name)
    found = session.get_credentials()
    return None if found is None else str(found.method)


def acceptance_env_name() -> str:
    """A fresh environment name, so the run can never touch a user's dev or prod: 'acc-' and
    six random letters or digits (the orchestrator allows 1-12 lowercase letters, digits and
    single hyphens)."""
    alphabet = string.ascii_lowercase + string.digits
    return "acc-" + "".join(secrets.choice(alphabet) for _ in range(6))


@dataclass(frozen=True)
class Step:
    name: str
    argv: tuple[str, ...]
    # A plan step: it passes only when terraform has nothing to do.
    expect_no_changes: bool = False


def acceptance_steps(
    env: str, *, lab_role_arn: str | None = None, plan_dir: Path | None = None
) -> list[Step]:
    """Deploy, smoke, re-plan (no changes), cost: for each stack, on --target aws only.

    Destroying is not a step: the suite runs ``destroy_step`` in a finalizer, whatever failed.
    """
    common = ("--target", "aws", "--env", env)
    lab = ("--var", f"lab_role_arn={lab_role_arn}") if lab_role_arn else ()
    steps: list[Step] = []
    for stack in STACKS:
        out = ("--out", str(plan_dir / f"{stack}.tfplan")) if plan_dir else ()
        steps += [
            Step(f"deploy {stack}", ("deploy", stack, *common, *lab)),
            Step(f"smoke {stack}", ("smoke", stack, *common)),
            Step(f"plan {stack} again", ("plan", stack, *common, *lab, *out), True),
            Step(f"cost {stack}", ("cost", stack, *common)),
        ]
    return steps


def destroy_step(env: str) -> Step:
    return Step("destroy all", ("destroy", "all", "--target", "aws", "--env", env))


@dataclass(frozen=True)
class StepResult:
    step: Step
    exit_code: int
    output: str
    seconds: float

    @property
    def passed(self) -> bool:
        if self.exit_code != 0:
            return False
        return NO_CHANGES in self.output if self.step.expect_no_changes else True


def run_step(step: Step, repo_root: Path) -> StepResult:
    """Run ``orchestrate.py`` with the step's arguments, streaming its output as it comes."""
    argv = [sys.executable, str(repo_root / "orchestrate.py"), *step.argv]
    print(f"\n==> {step.name}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    kept: list[str] = []
    with subprocess.Popen(
        argv,
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            kept.append(line)
        code = process.wait()
    return StepResult(step, code, "".join(kept), time.monotonic() - started)
