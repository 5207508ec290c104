"""Each module variable is declared, defaulted and validated once, in its module (issue 9).

A root configuration (terraform/stacks/<stack>) exposes every variable of the module it calls,
typed, with ``default = null`` when the module has a default, and passes it straight through;
the module's ``nullable = false`` then turns that null into the module's default. A copied
default or validation would drift from the module's (as 29 copies once did), a missing variable
could not be set with ``--var``.

Read from the files with a small parser for what ``terraform fmt`` writes (python-hcl2 is not a
dependency): every top-level block opens at column 0 and closes with ``}`` alone at column 0, and
a block's own attributes sit at two spaces. The last test feeds it broken copies of the roots, so
that a parser that found nothing could not pass.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TERRAFORM = REPO_ROOT / "terraform"
ROOTS = sorted(path.name for path in (TERRAFORM / "stacks").iterdir() if path.is_dir())

_BLOCK = re.compile(r'^(variable|module)\s+"([^"]+)"\s*\{[ \t]*\n(.*?)^\}[ \t]*$', re.M | re.S)
_ITEM = re.compile(r"^  (\w+)\s*(=\s*(.*)|\{)\s*$")
_NULL = "null"


@dataclass
class Block:
    """A top-level block's own attributes (name -> expression text) and nested block names."""

    attributes: dict[str, str]
    blocks: list[str]


def parse_body(body: str) -> Block:
    attributes: dict[str, str] = {}
    blocks: list[str] = []
    current: str | None = None
    for line in body.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = _ITEM.match(line)
        if item and item.group(2) == "{":
            blocks.append(item.group(1))
            current = None
        elif item:
            current = item.group(1)
            attributes[current] = item.group(3)
        elif current is not None:
            # A multi-line expression (an object type): joined so that layout does not count.
            attributes[current] += " " + line.strip()
    return Block(attributes, blocks)


def blocks_of(config_dir: Path, kind: str) -> dict[str, Block]:
    found: dict[str, Block] = {}
    for path in sorted(config_dir.glob("*.tf")):
        for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) == kind:
                found[match.group(2)] = parse_body(match.group(3))
    return found


def without_optional_defaults(type_text: str) -> str:
    """``optional(number, 10)`` -> ``optional(number)``, at any depth; whitespace removed."""
    text = re.sub(r"\s+", "", type_text)
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("optional(", i):
            depth, j, comma = 0, i + len("optional"), None
            while True:
                depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(text[j], 0)
                if text[j] == "," and depth == 1 and comma is None:
                    comma = j
                if depth == 0:
                    break
                j += 1
            inner = text[i + len("optional(") : comma if comma is not None else j]
            out.append(f"optional({without_optional_defaults(inner)})")
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def problems(root_dir: Path) -> list[str]:
    """What a root copies from, or leaves out of, the modules it calls (empty when none)."""
    found: list[str] = []
    root_vars = blocks_of(root_dir, "variable")
    for call_name, call in blocks_of(root_dir, "module").items():
        source = call.attributes["source"].strip('"')
        module_vars = blocks_of((root_dir / source).resolve(), "variable")
        for name, declared in module_vars.items():
            where = f"{root_dir.name}: {name} (module {call_name})"
            module_default = declared.attributes.get("default")
            if module_default not in (None, _NULL) and declared.attributes.get("nullable") != (
                "false"
            ):
                found.append(f"{where}: the module's default needs nullable = false")
            if name not in call.attributes:
                found.append(f"{where}: the module call does not set it")
            root = root_vars.get(name)
            if root is None:
                found.append(f"{where}: the root does not declare it (no --var can set it)")
                continue
            if "validation" in root.blocks:
                found.append(f"{where}: the root copies a validation; the module's is enough")
            if "description" not in root.attributes:
                found.append(f"{where}: the root gives no description")
            if without_optional_defaults(root.attributes.get("type", "")) != (
                without_optional_defaults(declared.attributes.get("type", ""))
            ) or re.sub(r"\s+", "", root.attributes.get("type", "")) != (
                without_optional_defaults(root.attributes.get("type", ""))
            ):
                found.append(f"{where}: the root's type differs from the module's or has defaults")
            if module_default is None:
                continue  # required by the module: the root may choose its own default
            if root.attributes.get("default") != _NULL or "nullable" in root.attributes:
                found.append(f"{where}: the root copies a default; declare default = null")
            if call.attributes.get(name) != f"var.{name}":
                found.append(f"{where}: the module call should pass var.{name} straight through")
    return found


@pytest.mark.parametrize("stack", ROOTS)
def test_root_exposes_every_module_variable_and_copies_no_default_or_validation(
    stack: str,
) -> None:
    root = TERRAFORM / "stacks" / stack
    assert blocks_of(root, "module"), f"{stack}: no module call found"

    assert problems(root) == []


def test_the_roots_expose_the_variables_the_issue_found_missing() -> None:
    inventory = blocks_of(TERRAFORM / "stacks" / "inventory", "variable")
    todo = blocks_of(TERRAFORM / "stacks" / "todo", "variable")

    assert {"cors_allow_origins", "log_level", "load_range_attempts", "name"} <= inventory.keys()
    assert "name" in todo


def test_optional_attribute_defaults_are_told_apart() -> None:
    assert without_optional_defaults('object({ a = optional(list(string), ["x"]) })') == (
        "object({a=optional(list(string))})"
    )
    assert without_optional_defaults("object({\n  b = optional(number)\n})") == (
        "object({b=optional(number)})"
    )


def _broken_copy(tmp_path: Path, stack: str, old: str, new: str) -> Path:
    """The committed terraform/ tree's stack ``stack`` with ``old`` replaced once by ``new``."""
    shutil.copytree(TERRAFORM / "modules", tmp_path / "modules")
    root = tmp_path / "stacks" / stack
    shutil.copytree(TERRAFORM / "stacks" / stack, root, ignore=shutil.ignore_patterns(".*"))
    for path in root.glob("*.tf"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            return root
    raise AssertionError(f"{old!r} is not in {stack}'s files")


@pytest.mark.parametrize(
    ("stack", "old", "new", "named"),
    [
        # a copied default
        (
            "inventory",
            'variable "low_stock_threshold" {\n  description = "Count below which an item is low'
            ' on stock. See modules/inventory."\n  type        = number\n  default     = null',
            'variable "low_stock_threshold" {\n  description = "Count."\n  type        = number\n'
            "  default     = 5",
            "low_stock_threshold (module inventory): the root copies a default",
        ),
        # a copied validation
        (
            "todo",
            'variable "cpu" {\n',
            'variable "cpu" {\n  validation {\n    condition     = var.cpu > 0\n'
            '    error_message = "cpu."\n  }\n',
            "cpu (module todo): the root copies a validation",
        ),
        # a module variable the root does not expose
        (
            "todo",
            'variable "ssl_policy" {',
            'variable "ssl_policy_gone" {',
            "ssl_policy (module todo): the root does not",
        ),
        # a default copied into an object type's optional attribute
        (
            "todo",
            "http_5xx_count      = optional(number)",
            "http_5xx_count      = optional(number, 10)",
            "alarm_thresholds (module todo): the root's type differs",
        ),
        # a value computed in the root instead of passed straight through
        (
            "inventory",
            "log_level              = var.log_level",
            'log_level              = "DEBUG"',
            "log_level (module inventory): the module call should pass var.log_level",
        ),
    ],
    ids=["default", "validation", "missing", "optional-default", "not-passed-through"],
)
def test_each_kind_of_copy_is_caught(
    tmp_path: Path, stack: str, old: str, new: str, named: str
) -> None:
    root = _broken_copy(tmp_path, stack, old, new)

    assert any(named in problem for problem in problems(root)), problems(root)
