"""A private copy of the inventory's Lambda sources, to change a handler without touching the
repository (the packaging reads any copy: ``orchestrator.stacks.inventory.inventory_from``)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INVENTORY_SOURCES = REPO_ROOT / "app_inventory"


def copy_inventory_sources(into: Path) -> Path:
    """Copy ``app_inventory/`` (code and requirements; not the website or samples) to
    ``into/app_inventory``, the package name the handlers are imported by; returns that dir."""
    target = into / INVENTORY_SOURCES.name
    shutil.copytree(
        INVENTORY_SOURCES,
        target,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "web", "samples"),
    )
    return target


def change_one_line(source_dir: Path, function: str) -> str:
    """Append one new line (a comment unique to this call) to ``function``'s handler module:
    its bytes change, what it does does not. Returns the line."""
    line = f"# one-line change {uuid.uuid4().hex[:12]}\n"
    handler = source_dir / f"{function}.py"
    with handler.open("a", encoding="utf-8") as module:
        module.write(line)
    return line
