"""Every stack the orchestrator can deploy, by name, in deploy order: one line per stack.

A stack is a package here exposing ``STACK`` (an ``orchestrator.stack_spec.StackSpec``) and a
Terraform root in ``terraform/stacks/<name>/``; the generic core knows stacks only through it.
"""

from __future__ import annotations

from orchestrator.stack_spec import StackError, StackSpec
from orchestrator.stacks import inventory, todo

STACKS: dict[str, StackSpec] = {
    spec.name: spec
    for spec in (
        inventory.STACK,
        todo.STACK,
    )
}


def get_stack(name: str) -> StackSpec:
    try:
        return STACKS[name]
    except KeyError:
        raise StackError(
            f"unknown stack {name!r}: choose one of {', '.join(sorted(STACKS))}"
        ) from None
