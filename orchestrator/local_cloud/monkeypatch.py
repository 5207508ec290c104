"""The one way the local cloud changes moto: replacing an attribute of one of its classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class MotoDriftError(RuntimeError):
    """What a patch replaces is not where it was: moto changed, so the patch must be revisited."""


def replace(owner: Any, name: str, value: Callable[..., Any]) -> None:
    """Set ``owner.name`` (a moto class or module) to ``value``, which must already exist there.

    moto is pinned, so this holds; a missing attribute means another moto version is installed,
    and the server refuses to start rather than run with a patch that does nothing.
    """
    if not hasattr(owner, name):
        owner_name = getattr(owner, "__qualname__", getattr(owner, "__name__", repr(owner)))
        raise MotoDriftError(f"cannot patch {owner_name}.{name}: moto no longer has it")
    setattr(owner, name, value)


def add(owner: Any, name: str, value: Callable[..., Any]) -> None:
    """Give ``owner`` an attribute moto lacks; if moto has it now, the patch must be revisited."""
    if hasattr(owner, name):
        owner_name = getattr(owner, "__qualname__", getattr(owner, "__name__", repr(owner)))
        raise MotoDriftError(f"cannot add {owner_name}.{name}: moto has it now")
    setattr(owner, name, value)
