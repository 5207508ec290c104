"""``--var`` values saved per stack, target and environment, as SAM's ``samconfig.toml`` keeps
a deploy's parameters: a later deploy, plan, destroy or cost of the same stack, target and
environment reuses them, so a plain ``deploy`` never silently reverts a setting.

They live in the work dir (``settings/<target>/<env>/<stack>.json``), apart from the states, so
that ``local down`` (which clears the local states) and ``destroy`` keep them. Only names the
user gave are saved: what the orchestrator makes (region, environment, package paths) is not a
setting, and the complete variables of the last plan stay in the state's ``variables.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UsageError
from orchestrator.stack_spec import StackError, StackSpec
from orchestrator.var_check import declared_variables

# Set by the orchestrator from the target and --env on every run, whatever was given before.
ALWAYS_MADE = ("region", "environment")


class SettingError(UsageError, StackError):
    """A saved setting cannot be used or changed as asked (exit code 2)."""


def not_saved(spec: StackSpec) -> tuple[str, ...]:
    """Variables a ``--var`` may give for one run, but that are never saved."""
    return (*ALWAYS_MADE, *spec.package_vars)


def shown(value: Any) -> str:
    """A value as ``--var`` takes it (strings bare, the rest as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


def listed(values: Mapping[str, Any]) -> str:
    """``K=V, K=V`` in name order."""
    return ", ".join(f"{name}={shown(values[name])}" for name in sorted(values))


@dataclass(frozen=True)
class SavedSettings:
    """The saved ``--var`` values of one stack on one target and environment."""

    root: Path
    target: str
    environment: str
    stack: str

    @property
    def path(self) -> Path:
        return self.root / "settings" / self.target / self.environment / f"{self.stack}.json"

    @property
    def label(self) -> str:
        return f"{self.stack}/{self.target}/{self.environment}"

    def command(self, options: str) -> str:
        """A ``config`` command line for this stack, target and environment."""
        return (
            f"python orchestrate.py config {self.stack} --target {self.target} "
            f"--env {self.environment} {options}"
        )

    def load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            values = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise StackError(
                f"the saved settings {self.path} are not valid JSON ({error}): fix or delete "
                "the file, then run the command again"
            ) from None
        if not isinstance(values, dict):
            raise StackError(f"the saved settings {self.path} are not a JSON object")
        return values

    def usable(self, config_dir: Path) -> dict[str, Any]:
        """The saved values, refused when the stack no longer declares one of their names."""
        saved = self.load()
        stale = sorted(set(saved) - set(declared_variables(config_dir)))
        if stale:
            names = ", ".join(repr(name) for name in stale)
            unset = " ".join(f"--unset {name}" for name in stale)
            raise SettingError(
                f"saved setting{'s' if len(stale) > 1 else ''} {names} for {self.label} "
                f"{'are' if len(stale) > 1 else 'is'} no longer a variable of the {self.stack} "
                f"stack (saved in {self.path}); remove {'them' if len(stale) > 1 else 'it'} "
                f"with '{self.command(unset)}', then run the command again"
            )
        return saved

    def save(self, given: Mapping[str, Any], *, skip: Iterable[str] = ()) -> list[str]:
        """Save ``given`` over the saved values; one line for each value that changes."""
        saved = self.load()
        skipped = set(skip)
        lines: list[str] = []
        changed = False
        for name in sorted(given):
            value = given[name]
            if name in skipped:
                lines.append(f"{name}: {shown(value)} for this run only (the orchestrator sets it)")
            elif name not in saved or saved[name] != value:
                before = shown(saved[name]) if name in saved else "default"
                lines.append(f"{name}: {before} -> {shown(value)} (saved for {self.label})")
                saved[name] = value
                changed = True
        if changed:
            self._write(saved)
        return lines

    def unset(self, names: Iterable[str]) -> list[str]:
        """Remove ``names``; bad usage, naming the saved ones, when one is not saved."""
        saved = self.load()
        wanted = list(dict.fromkeys(names))
        unknown = [name for name in wanted if name not in saved]
        if unknown:
            known = ", ".join(sorted(saved)) if saved else "none"
            raise SettingError(
                f"no saved setting {', '.join(repr(name) for name in unknown)} for "
                f"{self.label}; saved: {known}"
            )
        lines = [f"{name}: {shown(saved.pop(name))} -> default (unset)" for name in wanted]
        self._write(saved)
        return lines

    def _write(self, values: Mapping[str, Any]) -> None:
        if not values:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: an interrupted write never leaves half a file.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(dict(values), indent=2, sort_keys=True) + "\n")
        os.replace(partial, self.path)
