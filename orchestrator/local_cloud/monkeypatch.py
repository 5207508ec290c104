"""The one way the local cloud changes moto: checked replacements, on the pinned moto only."""

from __future__ import annotations

import shlex
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestrator.local_cloud.control import LocalCloudError

# The moto the patches are written against; pyproject.toml pins the same (a test checks it).
MOTO_VERSION = "5.2.5"


class MotoDriftError(LocalCloudError):
    """What a patch replaces is not where it was: moto changed, so the patch must be revisited."""


class MotoVersionError(MotoDriftError):
    """Another moto than the pinned one is installed: the patches were not written for it."""


def check_moto_version(needed: str = MOTO_VERSION) -> str:
    """Return the installed moto version; raise MotoVersionError unless it is ``needed``.

    Patches of moto's internals are checked one by one, but a patched method can keep its name
    and change its meaning: only the version the patches were tried with is accepted.
    """
    fix = f"install it with: {_pip()} install 'moto[server]=={needed}'"
    try:
        installed = metadata.version("moto")
    except metadata.PackageNotFoundError:
        raise MotoVersionError(
            f"moto is not installed; the local cloud needs moto {needed}: {fix}"
        ) from None
    if installed != needed:
        raise MotoVersionError(
            f"moto {installed} is installed, but the local cloud patches moto's internals and "
            f"needs moto {needed} (the version pyproject.toml pins): {fix}"
        )
    return installed


def _pip() -> str:
    """This interpreter's pip, as the user would type it (relative to the folder they are in)."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = str(python)
    return f"{shlex.quote(shown)} -m pip"


def _name(owner: Any) -> str:
    return str(getattr(owner, "__qualname__", getattr(owner, "__name__", repr(owner))))


def replace(owner: Any, name: str, value: Any) -> None:
    """Set ``owner.name`` (a moto class, module or setting) to ``value``; it must already exist.

    A missing attribute means moto moved it: the server refuses to start rather than run with a
    patch that would silently add an attribute nothing reads.
    """
    if not hasattr(owner, name):
        raise MotoDriftError(f"cannot patch {_name(owner)}.{name}: moto no longer has it")
    setattr(owner, name, value)


def add(owner: Any, name: str, value: Any) -> None:
    """Give ``owner`` an attribute moto lacks; if moto has it now, the patch must be revisited."""
    if hasattr(owner, name):
        raise MotoDriftError(f"cannot add {_name(owner)}.{name}: moto has it now")
    setattr(owner, name, value)
