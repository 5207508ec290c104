"""Tests and benchmarks share helpers only through devtools/: bench/ never imports tests/, tests/
never import bench/, and devtools/ imports neither (a scan of every module's imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# Each package, and the top-level packages its modules must not import.
FORBIDDEN = {
    "bench": {"tests"},
    "tests": {"bench"},
    "devtools": {"tests", "bench"},
}
IMPORT_FUNCTIONS = {"import_module", "__import__"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, relative imports resolved,
    including ``importlib.import_module("...")`` and ``__import__("...")`` with a literal name."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                found.add(target)
            else:  # `from .. import name`: each name may be a module
                found.update(f"{target}.{alias.name}".lstrip(".") for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in IMPORT_FUNCTIONS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return {name for name in found if name}


def violations(root: Path) -> list[str]:
    found = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            names = imported_modules(
                path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
            )
            for name in sorted(names):
                if name.split(".")[0] in forbidden:
                    found.append(f"{path.relative_to(root)} imports {name}")
    return found


def test_tests_and_benchmarks_do_not_import_each_other() -> None:
    # GIVEN every module of bench/, tests/ and devtools/
    # WHEN their imports are read
    found = violations(REPO_ROOT)
    # THEN none crosses the line: shared helpers belong in devtools/
    assert found == [], "move what both use into devtools/:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from tests.app_todo.databases import x", "bench.todo", "tests.app_todo.databases"),
        ("import tests.conftest as c", "bench.todo", "tests.conftest"),
        ("from .helpers import make", "tests.app_todo.conftest", "tests.app_todo.helpers"),
        ("import importlib\nimportlib.import_module('tests.x')", "bench.todo", "tests.x"),
        ("def f() -> None:\n    from bench import todo", "tests.test_x", "bench"),
    ],
    ids=["from-import", "import-as", "relative", "import-module", "nested-in-function"],
)
def test_the_scan_sees_each_kind_of_import(source: str, module: str, expected: str) -> None:
    # GIVEN a module that imports another in one of the ways Python allows
    # WHEN its imports are read
    names = imported_modules(source, module)
    # THEN the imported module is named in full
    assert expected in names


def test_a_bench_module_importing_tests_is_reported(tmp_path: Path) -> None:
    # GIVEN a tree whose benchmark imports a test helper
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "slow.py").write_text("from tests.helpers import make\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helpers.py").write_text("from devtools.ports import free_port\n")
    # WHEN the tree is scanned
    found = violations(tmp_path)
    # THEN exactly that import is named
    assert found == ["bench/slow.py imports tests.helpers"]
