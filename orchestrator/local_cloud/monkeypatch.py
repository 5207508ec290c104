"""The one way the local cloud changes moto: replacing an attribute of one of its classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def replace(owner: Any, name: str, value: Callable[..., Any]) -> None:
    """Set ``owner.name`` (a moto class or module) to ``value``; moto is pinned, so this holds."""
    setattr(owner, name, value)
