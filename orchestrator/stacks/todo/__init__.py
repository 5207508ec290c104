"""The containerised TODO API stack: its spec (``STACK``), image, local task runners, smoke
test and load test."""

from orchestrator.stacks.todo.stack import STACK

__all__ = ["STACK"]
