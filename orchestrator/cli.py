"""The command line: `python orchestrate.py COMMAND`. Exit codes: 0 done, 1 failed, 2 usage."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orchestrator import (
    cloud_logs,
    expired_credentials,
    state_backend,
    state_lock,
    sweep,
)
from orchestrator import status as stack_status
from orchestrator.deploy import StackRun
from orchestrator.doctor import Check, failed, run_checks
from orchestrator.dotenv_file import load_dotenv_file
from orchestrator.errors import OrchestrateError, UsageError
from orchestrator.saved_settings import SavedSettings, not_saved, shown
from orchestrator.stack_spec import SmokeOptions, StackError, parse_user_vars
from orchestrator.stacks import STACKS, get_stack

# The commands only one stack has (load, dlq) and the local runner's switch: they call into
# that stack's package.
from orchestrator.stacks.inventory import dead_letters
from orchestrator.stacks.inventory import ops as inventory_ops
from orchestrator.stacks.todo.steps import LOCAL_RUNNER_ENV
from orchestrator.state_backend import might_hold_state
from orchestrator.targets import (
    TARGET_CHOICES,
    Target,
    TargetError,
    aws_credentials_available,
    forget_local_state,
    named_target,
    resolve_target,
)
from orchestrator.terraform import MIRROR_ENV, TerraformError, TerraformNotFoundError
from orchestrator.var_check import check_names
from orchestrator.workspace import (
    HOME_ENV,
    local_cloud_dir,
    local_environments_with,
    work_root,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
    return StackRun(
        get_stack(stack),
        target,
        args.env,
        say,
        migrate_state=migrate,
        use_docker=_docker(args),
        verbose=bool(getattr(args, "verbose", False)),
    )


def _docker(args: argparse.Namespace) -> bool:
    """False when the fallback without Docker is asked for: --no-docker or TODO_LOCAL_RUNNER."""
    runner = os.environ.get(LOCAL_RUNNER_ENV, "docker")
    if runner not in ("docker", "uvicorn"):
        raise UsageError(f"{LOCAL_RUNNER_ENV}={runner!r}: give docker (the default) or uvicorn")
    return not getattr(args, "no_docker", False) and runner == "docker"


def _print_highlights(stack: str, outputs: dict[str, Any]) -> None:
    spec = get_stack(stack)
    say(f"\n{stack} is deployed:")
    for label, key in spec.highlights:
        if key in outputs:
            say(f"  {label + ':':<17}{outputs[key]}")


def _vars(args: argparse.Namespace, stacks: Sequence[str] = ()) -> dict[str, Any]:
    """The ``--var`` values, refused (bad usage) when a name is none of ``stacks``' variables:
    before terraform, the cloud, packaging or the image are touched."""
    try:
        user_vars = parse_user_vars(args.var)
        if stacks:
            check_names({stack: get_stack(stack).config_dir for stack in stacks}, user_vars)
    except StackError as error:
        raise UsageError(str(error)) from error
    return user_vars


def _check_saved(args: argparse.Namespace, stacks: Sequence[str]) -> None:
    """Saved settings that a stack no longer declares: refused before the cloud is reached."""
    named = named_target(args.target)
    for stack in stacks:
        run = _run(args, stack, named)
        run.settings.usable(run.spec.config_dir)


def _positive(convert: Callable[[str], float], what: str) -> Callable[[str], float]:
    """An argparse type: ``convert`` the text, and refuse anything not above 0."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: give {what} above 0")
        return value

    return parse


_positive_seconds = _positive(float, "a number of seconds")

# As the modules validate it: every resource name is built from it, and AWS refuses an RDS
# identifier that ends in a hyphen or holds two in a row, and load balancer names over 32.
_ENVIRONMENT_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _environment_name(value: str) -> str:
    if len(value) <= 12 and _ENVIRONMENT_NAME.fullmatch(value):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r}: an environment name is 1 to 12 lowercase letters, digits and single "
        "hyphens, starting and ending with a letter or digit (AWS names are built from it)"
    )


_positive_int = _positive(int, "a whole number")


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
    if args.plan and args.var:
        raise UsageError(
            "--var has no effect with --plan: a saved plan keeps the values it was made with "
            "(make a new plan with them: 'python orchestrate.py plan STACK --var K=V --out FILE')"
        )
    user_vars = _vars(args, stacks)
    if not args.plan:
        _check_saved(args, stacks)
    _docker(args)  # a wrong TODO_LOCAL_RUNNER is bad usage, before the cloud starts
    _require_terraform()
    if args.plan:
        # Before the cloud is reached: a plan made for elsewhere is refused at once.
        _run(args, args.stack, named_target(args.target)).check_saved_plan(Path(args.plan))
    target = _target(args)
    checked: dict[str, Any] = dict(user_vars)
    if not args.plan:
        # Every stack's values (saved ones included) before the first one deploys (deploy all).
        for stack in stacks:
            checked = {**_run(args, stack, target).check_variables(user_vars), **checked}
    if target.name == "aws":
        _preflight(target, stacks, checked, saved_plan=bool(args.plan))
    for stack in stacks:
        plan = Path(args.plan) if args.plan else None
        outputs = _run(args, stack, target).deploy(user_vars, plan_file=plan)
        _print_highlights(stack, outputs)
    return EXIT_OK


def _print_checks(checks: list[Check]) -> None:
    for check in checks:
        for line in check.lines():
            say(line)


def _preflight(
    target: Target, stacks: list[str], user_vars: dict[str, Any], *, saved_plan: bool
) -> None:
    """The doctor's checks before an AWS deploy: stop before packaging when one fails."""
    say("Preflight checks (python orchestrate.py doctor --target aws):")
    checks = run_checks(
        "aws", stacks=stacks, user_vars=user_vars, target=target, saved_plan=saved_plan
    )
    _print_checks(checks)
    if failed(checks):
        for check in failed(checks):
            expired = expired_credentials.from_text(check.detail)
            if check.name == "aws credentials" and expired is not None:
                raise expired
        raise TargetError("a preflight check failed (see 'fail' above): fix it, then deploy again")


def cmd_doctor(args: argparse.Namespace) -> int:
    user_vars = _vars(args)
    stacks = _stack_names(args.stack)
    name = args.target
    if name == "auto":
        name = "aws" if aws_credentials_available() else "local"
        found = "AWS credentials found" if name == "aws" else "no AWS credentials found"
        say(f"Target: {name} (--target auto: {found})")
    checks = run_checks(name, stacks=stacks, user_vars=user_vars)
    _print_checks(checks)
    failures = failed(checks)
    warnings = [check for check in checks if check.status == "warn"]
    if failures:
        say(f"{len(failures)} failed, {len(warnings)} warned: fix the failures before deploying.")
        return EXIT_FAILED
    say(f"Ready to deploy to {name} ({len(warnings)} warned).")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    user_vars = _vars(args, [args.stack])
    _check_saved(args, [args.stack])
    _docker(args)
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
    say("\nPlan the committed root by hand (a review, from an empty state: all is new):")
    say("\n".join(f"  {line}" for line in run.hand_run_plan()))
    return EXIT_OK


def cmd_cost(args: argparse.Namespace) -> int:
    user_vars = _vars(args, [args.stack])
    _check_saved(args, [args.stack])
    _require_terraform()
    target = _target(args)
    plan = Path(args.plan) if args.plan else None
    found, source = _run(args, args.stack, target).cost(user_vars, plan)
    say(f"\nMonthly idle cost of the {args.stack} stack (env {args.env}), from {source}:")
    say(found.render())
    if target.name != "aws":
        say(f"(The {target.name} target itself costs nothing: these are the prices on AWS.)")
    return EXIT_OK


def cmd_destroy(args: argparse.Namespace) -> int:
    _require_terraform()
    stacks = list(reversed(_stack_names(args.stack)))
    named = named_target(args.target)
    if not any(might_hold_state(_run(args, stack, named).workspace) for stack in stacks):
        say(f"Nothing to destroy on target {named.name} (env {args.env}).")
        return EXIT_OK
    target = _target(args)
    code = EXIT_OK
    for stack in stacks:
        run = _run(args, stack, target)
        destroyed = run.destroy()
        if destroyed:
            say(f"{stack}: destroyed.")
        else:
            say(f"{stack}: nothing to destroy on target {target.name} (env {args.env}).")
            # Only then: AWS's tagging API lists just-deleted resources for a while.
            if _say_stranded(args, run):
                code = EXIT_FAILED  # the stack is not gone: a script must not think it is
    return code


_STRANDED_SHOWN = 5  # enough to recognise them; the sweep command lists every one


def _say_stranded(args: argparse.Namespace, run: StackRun) -> bool:
    """After a destroy, what is still tagged for the stack and held by no state (a killed
    deploy's resources): destroy cannot see them, the sweep removes them. True if any."""
    try:
        found = sweep.sweep(run)
    except OrchestrateError as error:
        say(f"  (could not check for resources no state holds: {error})")
        return False
    if found.stranded:
        extra = f" {_command_args(args)}".rstrip()
        say(
            f"{run.spec.name}: {len(found.stranded)} resources tagged for it remain that no "
            "state holds (a killed deploy leaves them), so destroy cannot remove them: list "
            f"them with 'python orchestrate.py sweep {run.spec.name}{extra}', remove them with "
            f"'python orchestrate.py sweep {run.spec.name}{extra} --delete --yes'"
        )
        for item in found.stranded[:_STRANDED_SHOWN]:
            say(f"  {item.kind:<28} {item.arn}")
        if len(found.stranded) > _STRANDED_SHOWN:
            say(f"  ... and {len(found.stranded) - _STRANDED_SHOWN} more (the sweep lists all)")
    return bool(found.stranded)


def cmd_config(args: argparse.Namespace) -> int:
    """Show, set or unset the --var values saved for a stack, target and environment."""
    run = StackRun(get_stack(args.stack), named_target(args.target), args.env, say)
    settings = run.settings
    try:
        to_set = parse_user_vars(args.set)
        check_names({args.stack: run.spec.config_dir}, to_set)
    except StackError as error:
        raise UsageError(str(error).replace("--var", "--set")) from error
    if args.unset_all and args.unset:
        raise UsageError("give --unset NAME or --unset-all, not both")
    both = sorted(set(to_set) & set(args.unset))
    if both:
        raise UsageError(f"{', '.join(both)}: given to both --set and --unset")
    made = sorted(set(to_set) & set(not_saved(run.spec)))
    if made:
        raise UsageError(f"{', '.join(made)}: set by the orchestrator on every run, not a setting")
    # Progress to stderr with --json, so that stdout is the JSON alone.
    report: Callable[[str], None] = (
        (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else say
    )
    names = list(settings.load()) if args.unset_all else args.unset
    for line in settings.unset(names) if names else []:
        report(line)
    if to_set:
        _require_terraform()
        # Checked as a deploy checks --var (with the other saved values), before it is saved.
        run.check_variables(to_set)
        for line in settings.save(to_set):
            report(line)
    saved = settings.load()
    if args.json:
        print(json.dumps(_settings_json(settings, saved), indent=2, sort_keys=True))
    elif not saved:
        say(
            f"No saved settings for {settings.label}: deploys use the stack's defaults. A deploy "
            "or plan with --var K=V saves K (or: config STACK --set K=V)."
        )
    else:
        say(f"Saved settings for {settings.label} ({settings.path}):")
        for name in sorted(saved):
            say(f"  {name}={shown(saved[name])}")
        say(
            "Every deploy, plan, destroy and cost of this stack, target and environment uses "
            f"them; --var K=V replaces one; remove one with '{settings.command('--unset NAME')}'"
        )
    return EXIT_OK


def _settings_json(settings: SavedSettings, saved: dict[str, Any]) -> dict[str, Any]:
    return {
        "stack": settings.stack,
        "target": settings.target,
        "environment": settings.environment,
        "path": str(settings.path),
        "variables": saved,
    }


def cmd_outputs(args: argparse.Namespace) -> int:
    run = _run(args, args.stack, named_target(args.target))
    outputs = run.outputs()
    # Which deploy these come from (auto picks a target); on stderr with --json, so that
    # stdout stays the JSON alone.
    auto = " (--target auto)" if args.target == "auto" else ""
    source = (
        f"Outputs of {args.stack} on target {run.target.name}{auto}, env {args.env} "
        f"({run.workspace.outputs_path}):"
    )
    if args.json:
        print(source, file=sys.stderr, flush=True)
        print(json.dumps(outputs, indent=2, sort_keys=True))
    else:
        say(source)
        for key in sorted(outputs):
            say(f"{key} = {json.dumps(outputs[key])}")
    return EXIT_OK


def _command_args(args: argparse.Namespace) -> str:
    """The options that repeat this command's target and environment in a printed hint."""
    parts = [] if args.target == "auto" else [f"--target {args.target}"]
    if args.env != "dev":
        parts.append(f"--env {args.env}")
    return " ".join(parts)


class _LiveLine:
    """Progress lines: rewritten in place on a terminal, one after the other otherwise (CI)."""

    def __init__(self) -> None:
        self._tty = sys.stdout.isatty()
        self._open = False

    def __call__(self, line: str) -> None:
        if not self._tty:
            say(line)
            return
        sys.stdout.write(f"\r\033[K{line}")
        sys.stdout.flush()
        self._open = True

    def close(self) -> None:
        if self._open:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._open = False


LOAD_STACK = "inventory"  # the stack whose bucket `load` uploads to


def cmd_load(args: argparse.Namespace) -> int:
    target = _target(args, start_local=False)
    outputs = _run(args, LOAD_STACK, target).outputs()
    extra = _command_args(args)
    say(f"Uploading {args.csv} to s3://{outputs['upload_bucket_name']}...")
    progress = _LiveLine()
    try:
        report = inventory_ops.load_csv(
            target,
            outputs,
            Path(args.csv),
            timeout=args.timeout,
            on_progress=progress,
            command_args=extra,
        )
    finally:
        progress.close()
    say(inventory_ops.format_report(report, command_args=extra))
    return EXIT_FAILED if report.get("status") == "failed" else EXIT_OK


DLQ_ACTIONS = ("list", "redrive", "purge")
DLQ_STACKS = ("inventory",)


def _dlq_words(words: list[str]) -> tuple[str, str]:
    """``[ACTION] STACK`` -> (action, stack), with a usage error that shows the right form."""
    if len(words) > 2:
        raise UsageError(f"dlq takes [{'|'.join(DLQ_ACTIONS)}] STACK, not {' '.join(words)!r}")
    action, stack = words if len(words) == 2 else ["list", words[0]]
    if len(words) == 1 and stack in DLQ_ACTIONS:
        raise UsageError(
            f"dlq {stack} needs the stack: 'python orchestrate.py dlq {stack} inventory'"
        )
    if action not in DLQ_ACTIONS:
        raise UsageError(f"unknown dlq action {action!r}: choose {', '.join(DLQ_ACTIONS)}")
    if stack not in DLQ_STACKS:
        raise UsageError(
            f"{stack!r} has no dead-letter queues: only the inventory stack has ('dlq {action} "
            "inventory')"
        )
    return action, stack


def cmd_dlq(args: argparse.Namespace) -> int:
    args.action, args.stack = _dlq_words(args.words)
    if args.json and args.action != "list":
        raise UsageError("--json goes with 'dlq list' only")
    if args.action == "purge" and not args.yes:
        raise UsageError(
            "'dlq purge' deletes every message of both dead-letter queues for good: add --yes "
            "to confirm (see them first with 'python orchestrate.py dlq list inventory')"
        )
    target = _target(args, start_local=False)
    outputs = _run(args, args.stack, target).outputs()
    sqs = target.client("sqs")
    extra = f" {_command_args(args)}".rstrip()
    if args.action == "list":
        found = dead_letters.list_dead_letters(sqs, outputs, limit=args.limit)
        if args.json:
            as_dicts = {queue: [m.to_dict() for m in found[queue]] for queue in found}
            print(json.dumps(as_dicts, indent=2, ensure_ascii=False, default=str))
        else:
            _print_dead_letters(found, outputs, args.limit, extra)
        return EXIT_OK
    if args.action == "redrive":
        result = dead_letters.redrive(sqs, target.client("lambda"), outputs)
        _print_redrive(result, extra)
        return EXIT_FAILED if result.failed else EXIT_OK
    counts = dead_letters.purge(sqs, outputs)
    for queue, count in counts.items():
        say(f"Purged {queue} (it held about {count} message{'s' if count != 1 else ''}).")
    say("SQS may take up to 60 s to finish a purge.")
    return EXIT_OK


def _print_dead_letters(
    found: dict[str, list[dead_letters.DeadLetter]], outputs: dict[str, Any], limit: int, extra: str
) -> None:
    for queue, letters in found.items():
        url = outputs[dead_letters.QUEUE_OUTPUTS[queue]]
        count = f"{len(letters)} message{'s' if len(letters) != 1 else ''}" if letters else "empty"
        say(f"{queue}: {count} ({url})")
        for letter in letters:
            sent = f"  [sent {letter.sent_at}]" if letter.sent_at else ""
            say(f"  {letter.kind:<21} {letter.summary}{sent}")
        if len(letters) >= limit:
            say(f"  (the first {limit} shown: raise --limit to see more)")
    kinds = {letter.kind for letters in found.values() for letter in letters}
    if kinds & {"load-range", "load-event"}:
        say(f"Redrive the load messages with: python orchestrate.py dlq redrive inventory{extra}")
    if kinds - {"load-range", "load-event"}:
        say(
            "The other messages cannot be redriven: fix their cause, then empty the queues with "
            f"'python orchestrate.py dlq purge inventory --yes{extra}'"
        )


def _print_redrive(result: dead_letters.RedriveResult, extra: str) -> None:
    if not result.redriven and not result.left:
        say("Nothing to redrive: both dead-letter queues are empty.")
        return
    plural = "s" if len(result.redriven) != 1 else ""
    say(f"Redrove {len(result.redriven)} message{plural}:")
    for letter, what in result.redriven:
        say(f"  {letter.queue:<10} {letter.kind:<21} {letter.summary}\n      -> {what}")
    if result.left:
        plural = "s" if len(result.left) != 1 else ""
        say(f"Left {len(result.left)} message{plural} in the queues:")
        for letter, why in result.left:
            say(f"  {letter.queue:<10} {letter.kind:<21} {letter.summary}\n      -> left: {why}")
    if result.redriven:
        say(
            "The redriven loads rewrite their reports when they finish; follow them with "
            f"'python orchestrate.py logs load_inventory_range --follow{extra}'."
        )


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
    spec = get_stack(args.stack)
    if spec.smoke is None:
        raise UsageError(f"the {args.stack} stack has no smoke test")
    outputs = _run(args, args.stack, target).outputs()
    passed = spec.smoke(target, outputs, say, SmokeOptions(args.clients, args.seconds))
    return EXIT_OK if passed else EXIT_FAILED


def _with(hook: str) -> list[str]:
    """The stacks that have ``hook`` (a StackSpec field): those its command takes."""
    return [name for name, spec in STACKS.items() if getattr(spec, hook) is not None]


TOKEN_STACKS = _with("api_token")


def cmd_token(args: argparse.Namespace) -> int:
    # Only the token goes to stdout, so that TOKEN=$(python orchestrate.py token todo) works.
    named = named_target(args.target)
    outputs = _run(args, args.stack, named).outputs()
    if not outputs.get("api_token_secret_arn"):
        raise StackError(
            f"the {args.stack} stack (target {named.name}, env {args.env}) has no API token: its "
            "API is open to anyone who reaches it. Deploy it again with --var api_auth=token"
        )
    target = resolve_target(named.name, start_local=False)
    if args.target == "auto":
        print(f"Target: {target.name} ({target.reason})", file=sys.stderr)
    api_token = get_stack(args.stack).api_token
    assert api_token is not None  # the parser offers only the stacks that have one
    print(api_token(target, outputs), flush=True)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Tagged resources of the stack that no state holds: listed; deleted with --delete --yes."""
    confirm_here = args.delete and not args.yes and not args.json and sys.stdin.isatty()
    if args.delete and not args.yes and not confirm_here:
        raise UsageError(
            "'sweep --delete' deletes for good: add --yes to confirm (see what it would delete "
            f"first with 'python orchestrate.py sweep {args.stack}')"
        )
    # Progress and deletions go to stderr with --json, so that stdout is the JSON alone.
    report: Callable[[str], None] = (
        (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else say
    )
    try:
        target = resolve_target(args.target, start_local=False)
    except TargetError:
        if args.target == "aws":
            raise
        report(
            "The local cloud is not running: it keeps its resources in memory, so none can "
            "be stranded there."
        )
        if args.json:
            print(json.dumps({"stack": args.stack, "target": "local", "stranded": []}, indent=2))
        return EXIT_OK
    if args.target == "auto":
        report(f"Target: {target.name} ({target.reason})")
    run = StackRun(get_stack(args.stack), target, args.env, report)
    found = sweep.sweep(run)
    tags = ", ".join(f"{k}={v}" for k, v in sweep.wanted_tags(args.stack, args.env).items())
    if not found.stranded:
        report(f"No stranded resources: everything tagged {tags} on {target.name} is in the state.")
    else:
        report(
            f"{len(found.stranded)} resources tagged {tags} on {target.name} that no state holds:"
        )
        for item in found.stranded:
            report(f"  {item.kind:<28} {item.arn}  ({found.why()})")
    if found.stranded and args.delete:
        lock = sweep.lock_on_state(run)
        if lock:
            raise StackError(
                f"nothing deleted: the state of {args.stack} is locked ({lock}). A deploy that "
                "is running has resources it has not yet written to the state, and they look "
                "stranded. If no deploy runs (a killed one left the lock), release the lock "
                f"with 'python orchestrate.py unlock {args.stack}"
                f"{(' ' + _command_args(args)).rstrip()}', then sweep again"
            )
        if confirm_here:
            answer = input(f"Delete these {len(found.stranded)} resources for good? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                report("Nothing deleted.")
                return EXIT_FAILED
        report("Deleting...")
        wait = 300.0 if target.name == "aws" else 0.0
        found.outcomes.extend(
            sweep.delete_all(target.client, found.stranded, report, wait_seconds=wait)
        )
        failures = found.failures
        report(
            f"Deleted {len(found.stranded) - len(failures)} of {len(found.stranded)}"
            + (
                f"; {len(failures)} failed (see FAILED above): run the sweep again"
                if failures
                else "."
            )
        )
    elif found.stranded:
        extra = f" {_command_args(args)}".rstrip()
        report(f"Delete them with: python orchestrate.py sweep {args.stack}{extra} --delete --yes")
    if args.json:
        print(json.dumps(found.to_dict(), indent=2), flush=True)
    if args.delete:
        return EXIT_FAILED if found.failures else EXIT_OK
    return EXIT_FAILED if found.stranded else EXIT_OK


def cmd_unlock(args: argparse.Namespace) -> int:
    """Release the state lock a killed deploy left: shown, confirmed, then force-unlocked."""
    _require_terraform()
    named = _run(args, args.stack, named_target(args.target))
    location = state_backend.choose(named.workspace, named.target)
    s3_state = isinstance(location, state_backend.S3State)
    # The state on the local cloud's S3 needs its endpoint; a local file needs no cloud.
    run = _run(args, args.stack, _target(args, start_local=False)) if s3_state else named
    where = f"{args.stack} (target {run.target.name}, env {args.env})"
    held = state_lock.held_lock(run)
    if held is None:
        say(f"The state of {where} is not locked: nothing to release.")
        return EXIT_OK
    lock_place, lock = held
    say(f"The state of {where} is locked: {lock_place}")
    if lock is not None:
        say(f"  {lock.describe()}")
    if not s3_state:
        state_lock.release_local(Path(lock_place))
        say("No terraform run holds it any more (a local lock ends with its process): removed.")
        return EXIT_OK
    if lock is None or not lock.id:
        raise StackError(
            f"{lock_place} is not a lock terraform wrote (no ID in it): once no deploy runs, "
            "delete that object by hand"
        )
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("releasing a lock another run may still hold: add --yes to confirm")
        answer = input("Release it? Only if no deploy is running there. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            say("Lock kept.")
            return EXIT_FAILED
    state_lock.force_unlock(run, lock, say)
    extra = f" {_command_args(args)}".rstrip()
    say(f"Lock {lock.id} released.")
    say(
        f"Next: 'python orchestrate.py sweep {args.stack}{extra}' lists the resources the "
        "killed deploy created that its state does not hold (add --delete --yes to remove "
        f"them); then deploy again: 'python orchestrate.py deploy {args.stack}{extra}'."
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Every stack deployed from this workspace, with its URLs; read from files only."""
    from orchestrator.local_cloud import control

    cloud = control.status(local_cloud_dir())
    endpoint = cloud.endpoint_url if cloud else None
    found = stack_status.deployed(work_root(), local_cloud_running=cloud is not None)
    if args.json:
        print(json.dumps(stack_status.to_json(found, local_cloud=endpoint), indent=2), flush=True)
    else:
        for line in stack_status.render(found, local_cloud=endpoint):
            say(line)
    return EXIT_OK


def cmd_local(args: argparse.Namespace) -> int:
    from orchestrator.local_cloud import control

    work_dir = local_cloud_dir()
    if args.action == "up":
        cloud = control.up(work_dir, port=args.port)
        say(f"Local cloud running at {cloud.endpoint_url} (log: {cloud.log_file})")
    elif args.action == "down":
        for spec in STACKS.values():
            if spec.stop_local is not None:
                for environment in local_environments_with(spec.name):
                    spec.stop_local(environment, say)
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
    user_vars = _vars(args, list(STACKS))
    _docker(args)
    _require_terraform()
    args.target = "local"
    target = _target(args)
    for stack in STACKS:
        _run(args, stack, target).check_variables(user_vars)
    deployed: list[tuple[str, dict[str, Any], Callable[[], list[str]] | None]] = []
    for name, spec in STACKS.items():
        outputs = _run(args, name, target).deploy(user_vars)
        # A stack's demo step (sample data) runs before the next stack deploys.
        closing = spec.demo_step(target, outputs, say) if spec.demo_step else None
        deployed.append((name, outputs, closing))
    for name, outputs, closing in deployed:
        _print_highlights(name, outputs)
        for line in closing() if closing else []:
            say(line)
    say(f"\n{demo_closing(args.env)}")
    return EXIT_OK


def demo_closing(environment: str) -> str:
    """The demo's last words, with commands that tear down this environment on the local cloud
    (make's TARGET=auto would pick AWS when credentials resolve)."""
    make_env = "" if environment == "dev" else f" ENV={environment}"
    orchestrate_env = "" if environment == "dev" else f" --env {environment}"
    return (
        "Open the website and the Swagger URL in a browser. Tear down with "
        f"'make destroy TARGET=local{make_env}' (python orchestrate.py destroy all --target "
        f"local{orchestrate_env}); stop the local cloud with 'make local-down'."
    )


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
    where.add_argument(
        "--env",
        default="dev",
        type=_environment_name,
        help="environment name: 1-12 lowercase letters, digits and single hyphens (default: dev)",
    )

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> Any:
        sub = commands.add_parser(name, parents=[where], help=help_, description=help_)
        sub.set_defaults(func=func)
        return sub

    stack_all = [*STACKS, "all"]
    migrate_help = (
        "copy the state over when its place changed (local file <-> the bucket named by "
        "ORCHESTRATE_STATE_BUCKET)"
    )
    no_docker_help = (
        "local target, todo: run the app under uvicorn on SQLite instead of the task's "
        "containers (no image is built, no MySQL); without it a deploy stops when no Docker "
        f"engine answers. Same as {LOCAL_RUNNER_ENV}=uvicorn"
    )
    verbose_help = (
        "print every terraform event as it comes, instead of a progress line and a summary "
        "(the full log is written under the work dir's logs/ either way)"
    )
    var_help = (
        "a stack variable, e.g. low_stock_threshold=3 (repeat for more); saved for this stack, "
        "target and environment and reused by later runs (see 'config')"
    )
    deploy = add("deploy", cmd_deploy, "plan and apply a stack (or all)")
    deploy.add_argument("stack", choices=stack_all)
    deploy.add_argument("--var", action="append", default=[], metavar="K=V", help=var_help)
    deploy.add_argument(
        "--plan",
        metavar="FILE",
        help="apply exactly this saved plan (refused unless 'plan' made it for the same stack, "
        "target and environment)",
    )
    deploy.add_argument("--no-docker", action="store_true", help=no_docker_help)
    deploy.add_argument("--migrate-state", action="store_true", help=migrate_help)
    deploy.add_argument("-v", "--verbose", action="store_true", help=verbose_help)

    checkup = add("doctor", cmd_doctor, "check this machine (and the AWS account) before a deploy")
    checkup.description = (
        "Preflight checks, each ok, warn or fail with what to do: terraform and its version, "
        "the provider mirror or registry, Docker and BuildKit (warn only: the todo image), and "
        "for --target aws the credentials (account, region), LabRole, the account's S3 Block "
        "Public Access (inventory) and the ECS service-linked role (todo). With a STACK, only "
        "what that stack needs. 'deploy --target aws' runs them first. Exit code 1 when a "
        "check fails."
    )
    checkup.add_argument(
        "stack", nargs="?", default="all", choices=stack_all, help="the stack (default: all)"
    )
    checkup.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="K=V",
        help="a stack variable the checks take into account (repeat for more)",
    )

    plan = add("plan", cmd_plan, "save a plan for review and print a summary")
    plan.add_argument("stack", choices=list(STACKS))
    plan.add_argument("--var", action="append", default=[], metavar="K=V", help=var_help)
    plan.add_argument("--out", metavar="FILE", help="where to save the plan")
    plan.add_argument("--no-docker", action="store_true", help=no_docker_help)
    plan.add_argument("--migrate-state", action="store_true", help=migrate_help)
    plan.add_argument("-v", "--verbose", action="store_true", help=verbose_help)

    cost = add("cost", cmd_cost, "estimate a stack's monthly idle cost on AWS")
    cost.description = (
        "Estimate what a stack costs a month on AWS while it stands idle (no requests), from "
        "the resources and sizes of a saved plan (--plan), of the applied state, or of a fresh "
        "plan (before the first deploy, or with --var), at dated us-east-1 on-demand prices. "
        "Usage (requests, storage growth, data transfer) comes on top."
    )
    cost.add_argument("stack", choices=list(STACKS))
    cost.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="K=V",
        help="a stack variable to estimate with (repeat for more): makes a fresh plan",
    )
    cost.add_argument("--plan", metavar="FILE", help="estimate this saved plan")

    destroy = add("destroy", cmd_destroy, "destroy a stack (default: all); safe to run twice")
    destroy.add_argument("stack", nargs="?", default="all", choices=stack_all)
    destroy.add_argument("--migrate-state", action="store_true", help=migrate_help)
    destroy.add_argument("-v", "--verbose", action="store_true", help=verbose_help)

    config = add("config", cmd_config, "show, set or unset the --var values saved per environment")
    config.description = (
        "Every --var K=V of a deploy or plan is saved for that stack, target and environment "
        "(under the work dir, as SAM's samconfig.toml keeps a deploy's parameters) and reused "
        "by every later deploy, plan, destroy and cost there; a later --var replaces it. With "
        "no option, show the saved values. Exit code 2 for a name that is not saved or not a "
        "variable of the stack."
    )
    config.add_argument("stack", choices=list(STACKS), help="the stack whose settings to use")
    config.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="K=V",
        help="save this value (checked as --var is, against the stack's variables); repeatable",
    )
    config.add_argument(
        "--unset",
        action="append",
        default=[],
        metavar="NAME",
        help="remove this saved value: later deploys use the stack's default; repeatable",
    )
    config.add_argument(
        "--unset-all", action="store_true", help="remove every saved value of this environment"
    )
    config.add_argument(
        "--json", action="store_true", help="print the saved values as JSON on stdout"
    )

    outputs = add("outputs", cmd_outputs, "print a deployed stack's outputs")
    outputs.add_argument("stack", choices=list(STACKS))
    outputs.add_argument(
        "--json",
        action="store_true",
        help="print the outputs as JSON on stdout (which target and env on stderr)",
    )

    load = add("load", cmd_load, "upload a CSV to the inventory and print the load report")
    load.description = (
        "Upload a CSV to the inventory stack's bucket, show the load's progress while it runs "
        "(rows written, ranges done), then print its report. Exit code 0 when the load ended "
        "loaded or partial (the report lists rejected rows and failed ranges; redrive these with "
        "'dlq redrive inventory'), 1 when it failed or the wait gave up (the load goes on in the "
        "cloud), 2 for bad usage."
    )
    load.add_argument("csv", help="the CSV file (header store,item,count)")
    load.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=inventory_ops.DEFAULT_LOAD_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait for the final report, in seconds (default: %(default).0f); "
        "the load goes on in the cloud when the wait gives up",
    )

    dlq = add("dlq", cmd_dlq, "list, redrive or purge the inventory's dead-letter queues")
    dlq.description = (
        "The inventory stack's dead-letter queues: failed load ranges and S3 events (load-dlq), "
        "poison stream records and stream batches Lambda gave up on (stream-dlq). 'list' (the "
        "default) shows each message without consuming it: it is received with a short "
        "visibility timeout and made visible again at once (its receive count grows by one). "
        "'redrive' sends each load-range back to the ranges queue and each load-event to the "
        "load_inventory function, deleting a message only after its redrive succeeded, and "
        "leaves the rest, saying why. 'purge --yes' empties both queues. Exit code 0 done, "
        "1 when a redrive failed or the stack cannot be reached, 2 for bad usage."
    )
    dlq.usage = (
        "orchestrate.py dlq [list|redrive|purge] inventory [--target {auto,local,aws}] "
        "[--env ENV] [--json] [--limit N] [--yes]"
    )
    dlq.add_argument(
        "words",
        nargs="+",
        metavar="[{list,redrive,purge}] inventory",
        help="what to do: list (default), redrive or purge; then the stack",
    )
    dlq.add_argument("--json", action="store_true", help="list: print the messages as JSON")
    dlq.add_argument(
        "--limit",
        type=_positive_int,
        metavar="N",
        default=1000,
        help="list: at most this many messages per queue (default: %(default)s)",
    )
    dlq.add_argument("--yes", action="store_true", help="purge: confirm deleting every message")

    logs = add("logs", cmd_logs, "print logs: load_inventory, notify_low_stock, todo, todo-db...")
    logs.add_argument(
        "name", help="a function (load_inventory, notify_low_stock...), todo, todo-db or a group"
    )
    logs.add_argument("--follow", action="store_true", help="keep printing new events until Ctrl+C")
    logs.add_argument("--since", type=float, default=60.0, help="minutes back (default 60)")

    smoke = add("smoke", cmd_smoke, "check that a deployed stack answers")
    smoke.add_argument("stack", choices=_with("smoke"))
    smoke.add_argument(
        "--clients",
        type=_positive_int,
        default=0,
        help="todo: then run this many concurrent clients (create, get, update, list, delete) "
        "and fail unless every request is answered 2xx",
    )
    smoke.add_argument(
        "--seconds",
        type=_positive_seconds,
        default=10.0,
        help="how long the --clients round lasts (default 10)",
    )

    token = add("token", cmd_token, "print the bearer token of a deployed API (api_auth=token)")
    token.description = (
        "Print the bearer token that the TODO API's writes (and, with api_auth_reads, its reads) "
        "need, read from the stack's Secrets Manager secret; only the token goes to stdout. "
        "Send it as 'Authorization: Bearer <token>'. Exit code 1 when the stack has no token "
        "(deployed with api_auth=none, the default) or cannot be reached."
    )
    token.add_argument("stack", choices=list(TOKEN_STACKS))

    swept = add("sweep", cmd_sweep, "find (and delete) tagged resources that no state holds")
    swept.description = (
        "Find every resource tagged Project=cloud-reference-stacks, Stack=STACK, Environment=ENV "
        "on the target that the stack's current state does not hold (left by a killed deploy "
        "or a lost state), and print each with its type and ARN. With --delete --yes, delete "
        "them in a safe order, reporting each. Nothing untagged, tagged for another stack or "
        "environment, or held by the state is ever touched. Exit code 0 when none are left, "
        "1 when some were found (listing) or could not be deleted, 2 for bad usage."
    )
    swept.add_argument("stack", choices=list(STACKS))
    swept.add_argument("--delete", action="store_true", help="delete what was found")
    swept.add_argument(
        "--yes", action="store_true", help="with --delete: confirm (asked on a terminal otherwise)"
    )
    swept.add_argument("--json", action="store_true", help="print the result as JSON on stdout")

    unlock = add("unlock", cmd_unlock, "release the state lock a killed deploy left behind")
    unlock.description = (
        "Show who holds the lock on a stack's state and since when, then release it "
        "(terraform force-unlock in the stack's root), after confirmation on a terminal or "
        "with --yes. Only for a lock no running deploy holds: a killed deploy's. Then run "
        "'sweep STACK' for the resources it created that its state does not hold. Exit code 0 "
        "when the state is unlocked, 1 when the lock was kept or could not be released, 2 for "
        "bad usage."
    )
    unlock.add_argument("stack", choices=list(STACKS), help="the stack whose state is locked")
    unlock.add_argument(
        "--yes", action="store_true", help="release without asking (asked on a terminal otherwise)"
    )

    state = commands.add_parser(
        "status", help="every stack deployed from this workspace, with its URLs"
    )
    state.description = (
        "List every stack deployed from this workspace on each target and environment, with "
        "its URLs (website, API, load balancer), its state's place and when it was last "
        "applied; and whether the local cloud runs (local environments are gone when it does "
        "not). Reads the orchestrator's files only: no cloud is asked."
    )
    state.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    state.set_defaults(func=cmd_status)

    demo = add("demo", cmd_demo, "both stacks on the local cloud, with the sample data")
    demo.add_argument("--var", action="append", default=[], metavar="K=V", help=var_help)
    demo.add_argument("--no-docker", action="store_true", help=no_docker_help)
    demo.add_argument("-v", "--verbose", action="store_true", help=verbose_help)

    from orchestrator.local_cloud import control  # standard library only: no moto import

    local = commands.add_parser("local", help="start, stop or inspect the local cloud")
    local.add_argument("action", choices=["up", "down", "status"])
    local.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"up: the port to listen on (default: {control.PORT_ENV} or {control.DEFAULT_PORT})",
    )
    local.set_defaults(func=cmd_local)
    return parser


def _read_dotenv() -> None:
    """Learner Lab keys and other settings from .env, before anything reads the environment."""
    path, applied = load_dotenv_file()
    if applied:
        print(f"settings from {path}: {', '.join(applied)}", file=sys.stderr)


def _explained(raised: Exception) -> OrchestrateError | None:
    """What to print: refused AWS keys and a held state lock have their own message, wherever
    they surfaced; a botocore error that is neither is a bug (None: keep its traceback)."""
    expired = expired_credentials.recognize(raised)
    if expired is not None:
        return expired
    if isinstance(raised, TerraformError):
        return state_lock.recognize(raised) or raised
    return raised if isinstance(raised, OrchestrateError) else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        parser.print_usage(sys.stderr)
        return error.exit_code
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    try:
        _read_dotenv()  # an unreadable .env is an OSError with a message, like the rest
        return int(args.func(args))
    except (OrchestrateError, ClientError) as raised:
        # Every expected failure: its message and what to do, no traceback (-d shows it).
        explained = _explained(raised)
        if explained is None:
            raise
        if args.debug:
            traceback.print_exc()
        print(f"error: {explained}", file=sys.stderr)
        hint = explained.hint
        if (
            isinstance(explained, TerraformError)
            and "registry.terraform.io" in explained.diagnostics
            and not os.environ.get(MIRROR_ENV)
        ):
            hint = (
                f"the Terraform registry is out of reach; set {MIRROR_ENV} to a filesystem "
                "mirror of the providers (make finds one by itself)"
            )
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        return explained.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        # A file the orchestrator cannot write (its work dir) or a connection that failed: a
        # message, not a traceback (-d shows the traceback).
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        if str(getattr(error, "filename", None) or "").startswith(str(work_root())):
            print(
                f"hint: the orchestrator writes under {work_root()} ({HOME_ENV}): make sure "
                f"that folder can be written, or set {HOME_ENV} to one that can",
                file=sys.stderr,
            )
        return EXIT_FAILED
