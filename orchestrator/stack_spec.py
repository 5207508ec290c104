"""What a stack is to the generic core: a ``StackSpec`` of hooks that deploy, plan and destroy
drive, and optional hooks that the command line offers when a stack has them (smoke, token,
logs, demo). Each stack's package under ``orchestrator/stacks/`` makes one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestrator.errors import OrchestrateError
from orchestrator.targets import Target
from orchestrator.terraform import Terraform
from orchestrator.workspace import REPO_ROOT

Say = Callable[[str], None]


class StackContext(Protocol):
    """What a stack's hooks get: where it goes, and a terraform for its own state."""

    @property
    def target(self) -> Target: ...

    @property
    def environment(self) -> str: ...

    @property
    def use_docker(self) -> bool:
        """False when the user asked for the fallback without Docker (``--no-docker``)."""
        ...

    def say(self, line: str) -> None: ...

    def terraform(self) -> Terraform: ...


Prepare = Callable[[StackContext, dict[str, Any]], dict[str, Any]]
BeforePlan = Callable[[StackContext, dict[str, Any]], dict[str, Any]]
Finish = Callable[[StackContext, dict[str, Any]], dict[str, Any]]
AfterDestroy = Callable[[StackContext], None]
# Before anything slow of a deploy or plan: refuse what cannot work (a missing Docker engine).
Preflight = Callable[[StackContext, Mapping[str, Any]], None]
# Stand-ins (written into the given dir when they are files) for the variables that the
# orchestrator makes later (packages, images), so that --var values can be checked first.
StandIns = Callable[[Path], dict[str, Any]]


@dataclass(frozen=True)
class SmokeOptions:
    """What ``smoke`` was asked for beyond the checks: concurrent clients, for how long."""

    clients: int = 0
    seconds: float = 30.0


# Optional hooks: a stack without one has no such command (or nothing to do there).
# Smoke-test the deployed stack over its public endpoints; True when every check passed.
Smoke = Callable[[Target, dict[str, Any], Say, SmokeOptions], bool]
# The bearer token of the stack's API (None: the API is open).
ApiToken = Callable[[Target, dict[str, Any]], str | None]
# Short names (as ``logs NAME`` takes) -> log groups, from the stack's outputs.
LogGroups = Callable[[dict[str, Any]], dict[str, str]]
# Stop what the stack runs outside the local cloud (a local task) for an environment.
StopLocal = Callable[[str, Say], None]
# The demo's step right after the stack's deploy (sample data); it returns what to say
# under the stack's highlights at the end of the demo.
DemoStep = Callable[[Target, dict[str, Any], Say], Callable[[], list[str]]]


def _no_before_plan(_ctx: StackContext, variables: dict[str, Any]) -> dict[str, Any]:
    return variables


def _no_after_destroy(_ctx: StackContext) -> None:
    return None


def _no_preflight(_ctx: StackContext, _user_vars: Mapping[str, Any]) -> None:
    return None


def _no_stand_ins(_work_dir: Path) -> dict[str, Any]:
    return {}


TERRAFORM_DIR = REPO_ROOT / "terraform"


class StackError(OrchestrateError):
    """A stack cannot be prepared or used as asked."""


@dataclass(frozen=True)
class StackSpec:
    name: str
    summary: str
    # Variables for terraform from the user's --var values (packaging happens here).
    prepare: Prepare
    # Outputs made usable after an apply (local URLs, waiting for health).
    finish: Finish
    # Outputs printed after a deploy, as (label, output name).
    highlights: tuple[tuple[str, str], ...]
    # After init, before the full plan: a first targeted phase (the image registry).
    before_plan: BeforePlan = _no_before_plan
    after_destroy: AfterDestroy = _no_after_destroy
    # Stand-ins for what before_plan would make, for a plan that only estimates the cost.
    estimate_vars: Mapping[str, Any] = field(default_factory=dict)
    stand_ins: StandIns = _no_stand_ins
    preflight: Preflight = _no_preflight
    # Variables whose values (a path, or a map of paths) name files that prepare builds:
    # remembered values naming a file that is gone are made again before a destroy.
    package_vars: tuple[str, ...] = ()
    # Optional: the commands that use them (smoke, token, logs, local down, demo) offer or
    # run them only for the stacks that have them.
    smoke: Smoke | None = None
    api_token: ApiToken | None = None
    log_groups: LogGroups | None = None
    stop_local: StopLocal | None = None
    demo_step: DemoStep | None = None

    @property
    def config_dir(self) -> Path:
        return TERRAFORM_DIR / "stacks" / self.name


def parse_user_vars(pairs: list[str]) -> dict[str, Any]:
    """``K=V`` pairs from ``--var``; V is read as JSON when it parses (numbers, bools, lists)."""
    import json

    variables: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise StackError(f"--var expects KEY=VALUE, got {pair!r}")
        try:
            variables[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            variables[key.strip()] = value
    return variables


def lab_role(target: Target, user_vars: Mapping[str, Any], say: Say) -> str | None:
    """LabRole when asked for or found; ``--var lab_role_arn=none`` forces created roles."""
    if "lab_role_arn" in user_vars:
        return forced_lab_role(user_vars)
    found = target.lab_role_arn()
    if found:
        say(f"Found the pre-made role {found}: using it for every function (Learner Lab).")
    return found


def forced_lab_role(user_vars: Mapping[str, Any]) -> str | None:
    """``--var lab_role_arn``: an ARN, or none/null/empty for roles the module creates."""
    forced = user_vars.get("lab_role_arn")
    return None if forced in (None, "", "none", "null") else str(forced)
