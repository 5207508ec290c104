"""The serverless inventory stack: S3 -> Lambda -> DynamoDB -> SNS, an HTTP API, a website."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.packaging import build_function_packages, handler_modules
from orchestrator.stack_spec import Prepare, Say, SmokeOptions, StackContext, StackSpec, lab_role
from orchestrator.stacks.inventory import ops
from orchestrator.targets import Target
from orchestrator.workspace import REPO_ROOT, build_dir, local_cloud_dir

INVENTORY_PACKAGE = REPO_ROOT / "app_inventory"
SAMPLE_CSV = INVENTORY_PACKAGE / "samples" / "inventory-sample.csv"

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


def _smoke(_target: Target, outputs: dict[str, Any], say: Say, _options: SmokeOptions) -> bool:
    return ops.smoke_inventory(outputs, say)


def _log_groups(outputs: dict[str, Any]) -> dict[str, str]:
    """Each function's group by its key (``load_inventory``) and by its function name."""
    groups: dict[str, str] = dict(outputs.get("log_group_names") or {})
    for key, function_name in (outputs.get("function_names") or {}).items():
        if key in groups:
            groups[function_name] = groups[key]
    return groups


def _demo_step(target: Target, outputs: dict[str, Any], say: Say) -> Callable[[], list[str]]:
    """Load the sample CSV; at the end, list the low-stock alerts this load published."""
    say(f"\nLoading the sample data {SAMPLE_CSV.name}...")
    # The topic keeps earlier demos' alerts: list only those this upload caused.
    uploaded_at = datetime.now(UTC)
    report = ops.load_csv(target, outputs, SAMPLE_CSV)
    say(ops.format_report(report))

    def alerts() -> list[str]:
        from orchestrator.local_cloud import control

        cloud = control.status(local_cloud_dir())
        messages = cloud.sns_messages() if cloud else []
        found = ops.alerts_since(messages, outputs.get("topic_arn"), uploaded_at)
        lines = [f"  Low-stock alerts this load published to the topic ({len(found)}):"]
        lines += [f"    - {a.get('subject') or ''}: {a.get('message')}" for a in found]
        if not found:
            lines.append(
                "    (none: an item alerts once, when it runs low; the sample was loaded before)"
            )
        return lines

    return alerts


STACK = StackSpec(
    name="inventory",
    summary="serverless inventory: S3 -> Lambda -> DynamoDB -> SNS, HTTP API, website",
    prepare=_inventory_preparer(INVENTORY_PACKAGE),
    finish=_finish_inventory,
    stand_ins=_inventory_stand_ins,
    package_vars=INVENTORY_PACKAGE_VARS,
    smoke=_smoke,
    log_groups=_log_groups,
    demo_step=_demo_step,
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
    return replace(STACK, prepare=_inventory_preparer(source_dir))
