"""The command line: `python orchestrate.py COMMAND`. Exit codes: 0 done, 1 failed, 2 usage."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from orchestrator import cloud_logs, inventory_ops, todo_ops, todo_stack
from orchestrator.catalog import STACKS, get_stack
from orchestrator.deploy import StackRun
from orchestrator.local_tasks import stop_local_task
from orchestrator.packaging import PackagingError
from orchestrator.stacks import StackError, parse_user_vars
from orchestrator.state_backend import StateBackendError, might_hold_state
from orchestrator.targets import (
    TARGET_CHOICES,
    Target,
    TargetError,
    forget_local_state,
    named_target,
    resolve_target,
)
from orchestrator.terraform import MIRROR_ENV, TerraformError, TerraformNotFoundError
from orchestrator.workspace import REPO_ROOT, local_cloud_dir, local_environments_with

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SAMPLE_CSV = REPO_ROOT / "app_inventory" / "samples" / "inventory-sample.csv"


class UsageError(Exception):
    """The command line is wrong (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit; we return an exit code
        raise UsageError(f"{self.prog}: {message}")


def say(line: str) -> None:
    print(line, flush=True)


def _stack_names(choice: str) -> list[str]:
    if choice == "all":
        return list(STACKS)
    get_stack(choice)
    return [choice]


def _run(args: argparse.Namespace, stack: str, target: Target) -> StackRun:
    migrate = bool(getattr(args, "migrate_state", False))
    return StackRun(get_stack(stack), target, args.env, say, migrate_state=migrate)


def _print_highlights(stack: str, outputs: dict[str, Any]) -> None:
    spec = get_stack(stack)
    say(f"\n{stack} is deployed:")
    for label, key in spec.highlights:
        if key in outputs:
            say(f"  {label + ':':<17}{outputs[key]}")


def _vars(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return parse_user_vars(args.var)
    except StackError as error:
        raise UsageError(str(error)) from error


def _require_terraform() -> None:
    # Fail before the slow steps (packaging, starting the local cloud), not after them.
    if shutil.which("terraform") is None:
        raise TerraformNotFoundError("terraform")


def _target(args: argparse.Namespace, *, start_local: bool = True) -> Target:
    target = resolve_target(args.target, start_local=start_local)
    if args.target == "auto":
        say(f"Target: {target.name} ({target.reason})")
    return target


# ---------------------------------------------------------------------------- commands
def cmd_deploy(args: argparse.Namespace) -> int:
    stacks = _stack_names(args.stack)
    if args.plan and args.stack == "all":
        raise UsageError("--plan applies one saved plan: name one stack, not 'all'")
    user_vars = _vars(args)
    _require_terraform()
    target = _target(args)
    for stack in stacks:
        plan = Path(args.plan) if args.plan else None
        outputs = _run(args, stack, target).deploy(user_vars, plan_file=plan)
        _print_highlights(stack, outputs)
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    user_vars = _vars(args)
    _require_terraform()
    target = _target(args)
    run = _run(args, args.stack, target)
    out = Path(args.out) if args.out else None
    plan_path, summary = run.plan(user_vars, out)
    say(summary.render())
    say(f"\nSaved plan: {plan_path}")
    say(
        f"Apply exactly this plan with: python orchestrate.py deploy {args.stack} "
        f"--target {target.name} --env {args.env} --plan {plan_path}"
    )
    return EXIT_OK


def cmd_destroy(args: argparse.Namespace) -> int:
    _require_terraform()
    stacks = list(reversed(_stack_names(args.stack)))
    named = named_target(args.target)
    if not any(might_hold_state(_run(args, stack, named).workspace) for stack in stacks):
        say(f"Nothing to destroy on target {named.name} (env {args.env}).")
        return EXIT_OK
    target = _target(args)
    for stack in stacks:
        if _run(args, stack, target).destroy():
            say(f"{stack}: destroyed.")
        else:
            say(f"{stack}: nothing to destroy on target {target.name} (env {args.env}).")
    return EXIT_OK


def cmd_outputs(args: argparse.Namespace) -> int:
    outputs = _run(args, args.stack, named_target(args.target)).outputs()
    if args.json:
        print(json.dumps(outputs, indent=2, sort_keys=True))
    else:
        for key in sorted(outputs):
            say(f"{key} = {json.dumps(outputs[key])}")
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    target = _target(args, start_local=False)
    outputs = _run(args, "inventory", target).outputs()
    say(f"Uploading {args.csv} to s3://{outputs['upload_bucket_name']}...")
    report = inventory_ops.load_csv(target, outputs, Path(args.csv), timeout=args.timeout)
    say(inventory_ops.format_report(report))
    return EXIT_FAILED if report.get("status") == "failed" else EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    target = _target(args, start_local=False)
    deployed = {}
    for stack in STACKS:
        run = _run(args, stack, target)
        if run.workspace.outputs_path.exists():
            deployed[stack] = run.outputs()
    group = cloud_logs.resolve_log_group(deployed, args.name)
    try:
        cloud_logs.print_logs(target, group, say, since_minutes=args.since, follow=args.follow)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def cmd_smoke(args: argparse.Namespace) -> int:
    target = _target(args, start_local=False)
    outputs = _run(args, args.stack, target).outputs()
    smoke = inventory_ops.smoke_inventory if args.stack == "inventory" else todo_ops.smoke_todo
    return EXIT_OK if smoke(outputs, say) else EXIT_FAILED


def cmd_local(args: argparse.Namespace) -> int:
    from orchestrator.local_cloud import control

    work_dir = local_cloud_dir()
    if args.action == "up":
        cloud = control.up(work_dir, port=args.port)
        say(f"Local cloud running at {cloud.endpoint_url} (log: {cloud.log_file})")
    elif args.action == "down":
        for environment in local_environments_with("todo"):
            stop_local_task(
                name=todo_stack.local_task_name(environment), on_line=lambda line: say(line)
            )
        stopped = control.down(work_dir)
        say("Local cloud stopped." if stopped else "Local cloud was not running.")
        if forget_local_state():
            say("Its resources lived in memory: the local Terraform state was cleared too.")
    else:
        found = control.status(work_dir)
        if found is None:
            say("Local cloud: not running.")
            return EXIT_FAILED
        say(f"Local cloud: running at {found.endpoint_url} (log: {found.log_file})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestrator.local_cloud import control

    user_vars = _vars(args)
    _require_terraform()
    args.target = "local"
    target = _target(args)
    outputs = _run(args, "inventory", target).deploy(user_vars)
    say(f"\nLoading the sample data {SAMPLE_CSV.name}...")
    report = inventory_ops.load_csv(target, outputs, SAMPLE_CSV)
    say(inventory_ops.format_report(report))
    todo = _run(args, "todo", target).deploy(user_vars)

    _print_highlights("inventory", outputs)
    cloud = control.status(local_cloud_dir())
    messages = cloud.sns_messages() if cloud else []
    alerts = [m for m in messages if m.get("topic_arn") == outputs.get("topic_arn")]
    say(f"  Low-stock alerts published to the topic ({len(alerts)}):")
    for alert in alerts:
        say(f"    - {alert.get('subject') or ''}: {alert.get('message')}")
    _print_highlights("todo", todo)
    say(
        "\nOpen the website and the Swagger URL in a browser. Tear down with 'make destroy' "
        "(python orchestrate.py destroy all); stop the local cloud with 'make local-down'."
    )
    return EXIT_OK


# ------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="orchestrate.py",
        description="Deploy the inventory and TODO stacks to AWS or to the local cloud.",
    )
    parser.add_argument("-d", "--debug", action="store_true", help="show debug logging")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    where = _Parser(add_help=False)
    where.add_argument(
        "--target",
        choices=TARGET_CHOICES,
        default="auto",
        help="aws, local, or auto: aws when AWS credentials resolve, else local (default)",
    )
    where.add_argument("--env", default="dev", help="environment name (default: dev)")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> Any:
        sub = commands.add_parser(name, parents=[where], help=help_, description=help_)
        sub.set_defaults(func=func)
        return sub

    stack_all = [*STACKS, "all"]
    migrate_help = (
        "copy the state over when its place changed (local file <-> the bucket named by "
        "ORCHESTRATE_STATE_BUCKET)"
    )
    deploy = add("deploy", cmd_deploy, "plan and apply a stack (or all)")
    deploy.add_argument("stack", choices=stack_all)
    deploy.add_argument("--var", action="append", default=[], metavar="K=V")
    deploy.add_argument("--plan", metavar="FILE", help="apply exactly this saved plan")
    deploy.add_argument("--migrate-state", action="store_true", help=migrate_help)

    plan = add("plan", cmd_plan, "save a plan for review and print a summary")
    plan.add_argument("stack", choices=list(STACKS))
    plan.add_argument("--var", action="append", default=[], metavar="K=V")
    plan.add_argument("--out", metavar="FILE", help="where to save the plan")
    plan.add_argument("--migrate-state", action="store_true", help=migrate_help)

    destroy = add("destroy", cmd_destroy, "destroy a stack (default: all); safe to run twice")
    destroy.add_argument("stack", nargs="?", default="all", choices=stack_all)
    destroy.add_argument("--migrate-state", action="store_true", help=migrate_help)

    outputs = add("outputs", cmd_outputs, "print a deployed stack's outputs")
    outputs.add_argument("stack", choices=list(STACKS))
    outputs.add_argument("--json", action="store_true")

    load = add("load", cmd_load, "upload a CSV to the inventory and print the load report")
    load.add_argument("csv")
    load.add_argument("--timeout", type=float, default=180.0)

    logs = add("logs", cmd_logs, "print logs: load_inventory, notify_low_stock, todo, todo-db...")
    logs.add_argument("name")
    logs.add_argument("--follow", action="store_true")
    logs.add_argument("--since", type=float, default=60.0, help="minutes back (default 60)")

    smoke = add("smoke", cmd_smoke, "check that a deployed stack answers")
    smoke.add_argument("stack", choices=list(STACKS))

    demo = add("demo", cmd_demo, "both stacks on the local cloud, with the sample data")
    demo.add_argument("--var", action="append", default=[], metavar="K=V")

    local = commands.add_parser("local", help="start, stop or inspect the local cloud")
    local.add_argument("action", choices=["up", "down", "status"])
    local.add_argument("--port", type=int, default=None)
    local.set_defaults(func=cmd_local)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except TerraformError as error:
        print(f"error: {error}", file=sys.stderr)
        if "registry.terraform.io" in error.diagnostics and not os.environ.get(MIRROR_ENV):
            print(
                f"hint: the Terraform registry is out of reach; set {MIRROR_ENV} to a filesystem "
                "mirror of the providers (make finds one by itself)",
                file=sys.stderr,
            )
        return EXIT_FAILED
    except (StackError, TargetError, PackagingError, StateBackendError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:
        # Local cloud errors come from a module imported lazily; keep the message clear.
        if type(error).__name__ == "LocalCloudError":
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
        raise
