"""One package per stack, one line per stack in the registry, and a generic core that names no
stack: the orchestrator's modules outside ``orchestrator/stacks/`` are scanned (their AST: names,
attributes, imports and string constants; docstrings and comments may mention a stack)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cloud_logs
from orchestrator.stack_spec import StackSpec
from orchestrator.stacks import STACKS, get_stack
from tests.conftest import REPO_ROOT
from tests.test_import_rules import imported_modules

ORCHESTRATOR = REPO_ROOT / "orchestrator"
STACKS_DIR = ORCHESTRATOR / "stacks"
# The modules that may still name a stack, and why.
NAMING_A_STACK = {
    # The commands only one stack has (load, dlq) and TODO_LOCAL_RUNNER, with --no-docker.
    "cli",
    # Preflight checks that only one stack needs (Docker for the image, public buckets).
    "doctor",
}


def stack_words() -> re.Pattern[str]:
    """Every registered stack's name, as a word inside an identifier or a string."""
    return re.compile("|".join(re.escape(name) for name in STACKS), re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def stack_names_in(source: str, words: re.Pattern[str]) -> list[str]:
    """Where ``source`` names a stack: identifiers, attributes, imports, strings (not docs)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            texts = [node.name]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, ast.keyword) and node.arg:
            texts = [node.arg]
        elif isinstance(node, ast.alias):
            texts = [node.name, node.asname or ""]
        elif isinstance(node, ast.ImportFrom):
            texts = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts = [] if id(node) in docs else [node.value]
        found += [
            f"line {getattr(node, 'lineno', '?')}: {text!r}" for text in texts if words.search(text)
        ]
    return found


def generic_modules() -> list[Path]:
    return [
        path
        for path in sorted(ORCHESTRATOR.glob("*.py"))
        if path.stem not in NAMING_A_STACK and path.stem != "__init__"
    ]


def test_the_scan_finds_a_stack_named_in_code_but_not_in_a_docstring() -> None:
    words = stack_words()
    source = (
        '"""Deploys the todo stack."""\n'
        "from orchestrator.stacks.inventory import ops\n"
        "def f(todo_port: int) -> str:\n"
        '    """For the inventory."""\n'
        "    return 'todo'\n"
    )
    found = stack_names_in(source, words)
    assert len(found) == 3, found  # the import, the argument, the string
    assert any("'todo'" in hit for hit in found)
    assert not any("Deploys" in hit or "For the" in hit for hit in found)


@pytest.mark.parametrize("path", generic_modules(), ids=lambda path: path.stem)
def test_a_generic_module_names_no_stack(path: Path) -> None:
    found = stack_names_in(path.read_text(encoding="utf-8"), stack_words())
    assert not found, f"{path.relative_to(REPO_ROOT)} names a stack: {found}"


def test_the_core_modules_the_issue_names_are_among_those_scanned() -> None:
    scanned = {path.stem for path in generic_modules()}
    core = {"deploy", "terraform", "state_backend", "targets", "workspace", "generated_root"}
    assert core | {"var_check", "saved_settings", "stack_spec"} <= scanned


def test_every_stack_package_is_registered_and_every_registered_stack_has_one() -> None:
    packages = {path.parent.name for path in STACKS_DIR.glob("*/__init__.py")}
    assert packages == set(STACKS)
    for name, spec in STACKS.items():
        package = importlib.import_module(f"orchestrator.stacks.{name}")
        assert isinstance(package.STACK, StackSpec)
        assert package.STACK is spec is get_stack(name)
        assert spec.name == name
        assert (spec.config_dir / "main.tf").is_file(), spec.config_dir


def test_a_stack_package_imports_no_other_stack() -> None:
    for name in STACKS:
        others = {f"orchestrator.stacks.{other}" for other in STACKS if other != name}
        for path in sorted((STACKS_DIR / name).rglob("*.py")):
            module = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
            imported = imported_modules(
                path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
            )
            crossing = {m for m in imported if any(m.startswith(o) for o in others)}
            assert not crossing, f"{path.relative_to(REPO_ROOT)} imports {crossing}"


def test_logs_short_names_come_from_each_stacks_hook() -> None:
    deployed: dict[str, dict[str, Any]] = {
        "inventory": {
            "log_group_names": {"load_inventory": "/aws/lambda/inv-dev-load"},
            "function_names": {"load_inventory": "inv-dev-load"},
        },
        "todo": {"log_group_name": "/ecs/todo-dev", "db_log_group_name": "/ecs/todo-dev-db"},
    }
    groups = cloud_logs.log_groups(deployed)
    assert groups == {
        "load_inventory": "/aws/lambda/inv-dev-load",
        "inv-dev-load": "/aws/lambda/inv-dev-load",
        "todo": "/ecs/todo-dev",
        "todo-db": "/ecs/todo-dev-db",
    }
    assert cloud_logs.resolve_log_group(deployed, "todo-db") == "/ecs/todo-dev-db"
