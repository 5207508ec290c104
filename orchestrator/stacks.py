"""The stacks the orchestrator knows: where their Terraform lives and how their inputs are made."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from orchestrator.errors import OrchestrateError
from orchestrator.packaging import build_function_packages, handler_modules
from orchestrator.targets import Target
from orchestrator.terraform import Terraform
from orchestrator.workspace import REPO_ROOT, build_dir

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


def _no_before_plan(_ctx: StackContext, variables: dict[str, Any]) -> dict[str, Any]:
    return variables


def _no_after_destroy(_ctx: StackContext) -> None:
    return None


def _no_preflight(_ctx: StackContext, _user_vars: Mapping[str, Any]) -> None:
    return None


def _no_stand_ins(_work_dir: Path) -> dict[str, Any]:
    return {}


TERRAFORM_DIR = REPO_ROOT / "terraform"
INVENTORY_PACKAGE = REPO_ROOT / "app_inventory"


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


# ------------------------------------------------------------------------------- inventory
INVENTORY_PACKAGE_VARS = ("lambda_packages", "lambda_layer_path")


def _inventory_preparer(source_dir: Path) -> Prepare:
    """Prepare from the sources in ``source_dir`` (a copy, for benchmarks and tests)."""

    def prepare(ctx: StackContext, user_vars: dict[str, Any]) -> dict[str, Any]:
        say, target = ctx.say, ctx.target
        say("Packaging the inventory Lambda functions (a zip each, dependencies as a layer)...")
        # The same paths whatever the source dir: a path that changes is a planned change.
        packages = build_function_packages(
            source_dir,
            build_dir() / "inventory",
            requirements=source_dir / "requirements.txt",
            cache_dir=build_dir() / "cache",
        )
        for key, package in sorted(packages.functions.items()):
            say(f"  {key}.zip sha256 {package.sha256[:12]}")
        say(f"  {packages.layer.path.name} sha256 {packages.layer.sha256[:12]}")
        variables: dict[str, Any] = {
            "region": target.region,
            "environment": ctx.environment,
            "lambda_packages": {key: str(p.path) for key, p in packages.functions.items()},
            "lambda_layer_path": str(packages.layer.path),
            "website_source_dir": str(INVENTORY_PACKAGE / "web"),
        }
        variables.update({k: v for k, v in user_vars.items() if k != "lab_role_arn"})
        variables["lab_role_arn"] = lab_role(target, user_vars, say)
        return variables

    return prepare


def _inventory_stand_ins(work_dir: Path) -> dict[str, Any]:
    # The module checks that each package is a zip that exists, not what it holds.
    work_dir.mkdir(parents=True, exist_ok=True)
    stand_in = work_dir / "stand-in.zip"
    stand_in.write_bytes(b"")
    return {
        "lambda_packages": {key: str(stand_in) for key in handler_modules(INVENTORY_PACKAGE)},
        "lambda_layer_path": str(stand_in),
        "website_source_dir": str(INVENTORY_PACKAGE / "web"),
    }


def _finish_inventory(ctx: StackContext, outputs: dict[str, Any]) -> dict[str, Any]:
    target = ctx.target
    if target.name == "local" and target.endpoint_url and outputs.get("website_bucket_name"):
        # Website endpoints are not real hosts locally: the local cloud serves the bucket.
        outputs["website_url"] = f"{target.endpoint_url}/_website/{outputs['website_bucket_name']}/"
    return outputs


INVENTORY = StackSpec(
    name="inventory",
    summary="serverless inventory: S3 -> Lambda -> DynamoDB -> SNS, HTTP API, website",
    prepare=_inventory_preparer(INVENTORY_PACKAGE),
    finish=_finish_inventory,
    stand_ins=_inventory_stand_ins,
    package_vars=INVENTORY_PACKAGE_VARS,
    highlights=(
        ("Website", "website_url"),
        ("API", "api_endpoint"),
        ("Upload bucket", "upload_bucket_name"),
        ("Low-stock topic", "topic_arn"),
        ("Table", "table_name"),
    ),
)


def inventory_from(source_dir: Path) -> StackSpec:
    """The inventory stack with its functions packaged from ``source_dir`` (a copy of
    ``app_inventory/``): benchmarks and tests change code there, never in the repository."""
    return replace(INVENTORY, prepare=_inventory_preparer(source_dir))
