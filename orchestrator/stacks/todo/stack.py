"""The containerised TODO API: ECR image, ECS Fargate behind a load balancer, MySQL."""

from __future__ import annotations

from typing import Any

from orchestrator.stack_spec import Say, SmokeOptions, StackSpec
from orchestrator.stacks.todo import load, ops, steps
from orchestrator.stacks.todo.local_tasks import stop_local_task
from orchestrator.targets import Target


def _smoke(target: Target, outputs: dict[str, Any], say: Say, options: SmokeOptions) -> bool:
    token = ops.api_token(target, outputs)
    passed = ops.smoke_todo(outputs, say, token=token)
    if passed and options.clients:
        passed = _load(outputs, token, say, options)
    return passed


def _load(outputs: dict[str, Any], token: str | None, say: Say, options: SmokeOptions) -> bool:
    base = str(outputs["api_base_url"]).rstrip("/")
    say(f"{options.clients} concurrent clients for {options.seconds:g} s against {base} ...")
    report = load.run_clients(base, clients=options.clients, seconds=options.seconds, token=token)
    for line in report.summary():
        say(f"  {line}")
    if report.all_answered_2xx:
        say("every request answered 2xx")
    else:
        say("some requests were refused or got no answer (see the counts above)")
    return report.all_answered_2xx


def _log_groups(outputs: dict[str, Any]) -> dict[str, str]:
    groups: dict[str, str] = {}
    if outputs.get("log_group_name"):
        groups["todo"] = str(outputs["log_group_name"])
    if outputs.get("db_log_group_name"):
        groups["todo-db"] = str(outputs["db_log_group_name"])
    return groups


def _stop_local(environment: str, say: Say) -> None:
    stop_local_task(name=steps.local_task_name(environment), on_line=say)


STACK = StackSpec(
    name="todo",
    summary="containerised TODO API: ECR image, ECS Fargate behind a load balancer, MySQL",
    prepare=steps.prepare,
    before_plan=steps.before_plan,
    finish=steps.finish,
    preflight=steps.preflight,
    after_destroy=steps.after_destroy,
    estimate_vars={"image_uri": "cost-estimate.invalid/todo:not-deployed"},
    highlights=(
        ("API", "api_base_url"),
        ("Swagger", "docs_url"),
        ("Tasks", "tasks_url"),
        ("Database", "database"),
        ("API auth", "api_auth"),
        ("Image", "image_uri"),
    ),
    smoke=_smoke,
    api_token=ops.api_token,
    log_groups=_log_groups,
    stop_local=_stop_local,
)
