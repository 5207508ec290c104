"""Every stack the orchestrator can deploy, by name, in deploy order."""

from __future__ import annotations

from orchestrator import todo_stack
from orchestrator.stacks import INVENTORY, StackError, StackSpec

TODO = StackSpec(
    name="todo",
    summary="containerised TODO API: ECR image, ECS Fargate behind a load balancer, MySQL",
    prepare=todo_stack.prepare,
    before_plan=todo_stack.before_plan,
    finish=todo_stack.finish,
    preflight=todo_stack.preflight,
    after_destroy=todo_stack.after_destroy,
    estimate_vars={"image_uri": "cost-estimate.invalid/todo:not-deployed"},
    highlights=(
        ("API", "api_base_url"),
        ("Swagger", "docs_url"),
        ("Tasks", "tasks_url"),
        ("Database", "database"),
        ("API auth", "api_auth"),
        ("Image", "image_uri"),
    ),
)

STACKS: dict[str, StackSpec] = {INVENTORY.name: INVENTORY, TODO.name: TODO}


def get_stack(name: str) -> StackSpec:
    try:
        return STACKS[name]
    except KeyError:
        raise StackError(
            f"unknown stack {name!r}: choose one of {', '.join(sorted(STACKS))}"
        ) from None
