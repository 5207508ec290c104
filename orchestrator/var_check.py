"""``--var`` values checked against a stack's own Terraform declarations, before any slow step.

Names: the root configuration's ``variable "NAME"`` blocks. Values (types and ``validation``
blocks, the modules' included): a plan of a stand-in configuration made of the stack's variable
declarations, ``locals`` and ``module`` calls, each module reduced to its ``variables.tf``. It
has no provider and no resource, so it needs no provider install, no state and no cloud: it
runs in 0.1-0.2 s, where a plan of the real stack waits for the cloud (about 12 s) and needs the
package and image it names. Terraform itself judges the values, so the check cannot drift from
the modules.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from orchestrator.errors import UsageError
from orchestrator.stack_spec import StackError
from orchestrator.terraform import Terraform, TerraformError
from orchestrator.workspace import REPO_ROOT

_VARIABLE = re.compile(r'^variable\s+"([^"]+)"', re.MULTILINE)
# terraform fmt puts every top-level block's opening at column 0 and its closing brace alone on
# a line at column 0, which is what makes this split safe for the stacks' own files.
_BLOCK = re.compile(r"^(variable|locals|module)\b[^\n]*\{\s*$.*?^\}\s*$", re.MULTILINE | re.DOTALL)
_SOURCE = re.compile(r'^(\s*source\s*=\s*)"([^"]+)"', re.MULTILINE)
_MODULE_NAME = re.compile(r'^module\s+"([^"]+)"')
# What terraform says when a value is refused (a type it cannot convert, a failed validation).
_VALUE_ERRORS = ("Invalid value for", "Invalid type for", "Incorrect variable type")
_ROOT_PLACE = re.compile(r"declared at main\.tf:[0-9,-]+")


class UnknownVariableError(UsageError, StackError):
    """A ``--var`` names a variable the stack does not declare (bad usage)."""


class InvalidVariableError(UsageError, StackError):
    """A ``--var`` value has the wrong type or fails a validation of the stack."""


def declared_variables(config_dir: Path) -> list[str]:
    """The names of the root configuration's input variables, sorted."""
    names = {name for path in config_dir.glob("*.tf") for name in _VARIABLE.findall(_read(path))}
    return sorted(names)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def check_names(stacks: Mapping[str, Path], names: Iterable[str]) -> None:
    """Refuse a name that none of ``stacks`` (stack name -> root configuration) declares."""
    known = {stack: declared_variables(config) for stack, config in stacks.items()}
    everything = {name for names_ in known.values() for name in names_}
    unknown = sorted(set(names) - everything)
    if not unknown:
        return
    plural = "s" if len(unknown) > 1 else ""
    lines = [
        f"unknown variable{plural} {', '.join(repr(name) for name in unknown)} for "
        + " and ".join(f"the {stack} stack" for stack in known)
        + "; known variables:"
    ]
    lines.extend(f"  {stack}: {', '.join(names_)}" for stack, names_ in known.items())
    raise UnknownVariableError("\n".join(lines))


def own_variables(config_dir: Path, user_vars: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--var`` values that this stack declares (``deploy all`` shares one set)."""
    declared = set(declared_variables(config_dir))
    return {name: value for name, value in user_vars.items() if name in declared}


def stand_in_config(config_dir: Path, into: Path) -> Path:
    """Write the stand-in configuration of ``config_dir`` into ``into`` (emptied first)."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    blocks: list[str] = []
    for path in sorted(config_dir.glob("*.tf")):
        for match in _BLOCK.finditer(_read(path)):
            block = match.group(0)
            if match.group(1) == "module":
                block = _stand_in_module(config_dir, block, into)
            blocks.append(block)
    (into / "main.tf").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return into


def _stand_in_module(config_dir: Path, block: str, into: Path) -> str:
    """Copy a local module's ``variables.tf`` alone, and point the module call at the copy."""
    name = _MODULE_NAME.match(block)
    source = _SOURCE.search(block)
    if name is None or source is None or not source.group(2).startswith("."):
        raise StackError(f"cannot check variables against a module call like:\n{block[:200]}")
    module_dir = into / "modules" / name.group(1)
    module_dir.mkdir(parents=True)
    shutil.copyfile((config_dir / source.group(2)) / "variables.tf", module_dir / "variables.tf")
    return _SOURCE.sub(lambda m: f'{m.group(1)}"./modules/{name.group(1)}"', block, count=1)


def check_values(
    config_dir: Path,
    work_dir: Path,
    variables: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
) -> None:
    """Raise InvalidVariableError with terraform's own words when a value is refused.

    ``variables``: every value the real plan would get, with stand-ins for what the orchestrator
    makes later (the package, the image). A failure that is not about a value (a configuration
    this stand-in cannot reproduce) is left to the real plan, which reports it in full.
    """
    error = _judge(config_dir, work_dir, variables, env)
    if error:
        raise InvalidVariableError(
            f"a --var value is refused by the {config_dir.name} stack:\n{error}"
        )


def _judge(
    config_dir: Path, work_dir: Path, variables: Mapping[str, Any], env: Mapping[str, str] | None
) -> str | None:
    config = stand_in_config(config_dir, work_dir / "config")
    tf = Terraform(config, work_dir, env=env)
    try:
        tf.init()
        tf.plan(variables, work_dir / "check.tfplan")
    except TerraformError as error:
        if any(marker in error.diagnostics for marker in _VALUE_ERRORS):
            return _real_places(error.diagnostics, config_dir)
    return None


def _real_places(diagnostics: str, config_dir: Path) -> str:
    """Name the stack's and modules' own files, not the stand-in's."""
    root = _shown(config_dir / "variables.tf")
    text = _ROOT_PLACE.sub(f"declared in {root}", diagnostics)
    for match in _BLOCK.finditer("".join(_read(p) for p in sorted(config_dir.glob("*.tf")))):
        name, source = _MODULE_NAME.match(match.group(0)), _SOURCE.search(match.group(0))
        if name and source:
            real = _shown((config_dir / source.group(2)).resolve() / "variables.tf")
            text = text.replace(f"modules/{name.group(1)}/variables.tf", real)
    return text


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
