"""Terratest-like helpers: a stack applied on the local cloud that is always destroyed."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.ports import free_port
from orchestrator.cli import main
from orchestrator.deploy import StackRun
from orchestrator.local_cloud.control import LOG_FILE_NAME
from orchestrator.stack_spec import parse_user_vars
from orchestrator.stacks import get_stack
from orchestrator.targets import Target, resolve_target
from orchestrator.workspace import local_cloud_dir
from tests.conftest import require_component

Row = tuple[str, str, int]


def run_cli(*argv: str) -> tuple[int, str]:
    """main([...]) with its stdout captured and also echoed, for the test log."""
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(argv))
    print(buffer.getvalue())
    return code, buffer.getvalue()


def csv_rows(path: Path) -> list[Row]:
    """Valid rows of a CSV, read independently of the loader (later rows win)."""
    rows: dict[tuple[str, str], int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for record in csv.DictReader(handle):
            try:
                count = int(record["count"])
            except ValueError:
                continue
            rows[(record["store"].strip(), record["item"].strip())] = count
    return sorted((store, item, count) for (store, item), count in rows.items())


def local_cloud_warnings(limit: int = 80) -> str:
    """The local cloud log's warnings and errors (a slow request's stack among them), for a
    failing test's message: the pytest output is all a CI run keeps."""
    path = local_cloud_dir() / LOG_FILE_NAME
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no local cloud log at {path})"
    kept, keeping = [], False
    for line in lines:
        if " WARNING " in line or " ERROR " in line:
            keeping = True
        elif line[:4].isdigit():  # the next timestamped record: keep only warnings' lines
            keeping = False
        if keeping:
            kept.append(line)
    return "\n".join(kept[-limit:]) or "(no warnings in the local cloud log)"


def require_local_cloud_parts() -> None:
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )


@contextmanager
def own_local_cloud(ports: range, monkeypatch: Any) -> Iterator[Target]:
    """The local cloud on a free port of ``ports`` (in the caller's work dir, which the caller
    isolates), stopped when the block ends."""
    require_local_cloud_parts()
    monkeypatch.setenv("ORCHESTRATE_LOCAL_PORT", str(free_port(ports)))
    try:
        yield resolve_target("local")
    finally:
        assert main(["local", "down"]) == 0


@dataclass
class DeployedStack:
    name: str
    environment: str
    target: Target
    outputs: dict[str, Any]
    # The --var values it was deployed with, and what the deploy printed.
    user_vars: dict[str, Any] = field(default_factory=dict)
    deploy_output: str = ""

    def run(self) -> StackRun:
        return StackRun(get_stack(self.name), self.target, self.environment, print)

    def cli(self, *argv: str) -> tuple[int, str]:
        return run_cli(*argv, "--target", "local", "--env", self.environment)


@contextmanager
def applied_on_local_cloud(
    stack: str,
    environment: str,
    home: Path,
    user_vars: Callable[[Target], Mapping[str, str]] | None = None,
) -> Iterator[DeployedStack]:
    """Apply ``stack`` on a private local cloud; destroy it and stop the cloud whatever happens.

    ``user_vars``: given the started local cloud (to create what the variables name first), the
    ``--var`` values of the deploy.
    """
    require_local_cloud_parts()
    saved = dict(os.environ)
    os.environ["ORCHESTRATE_HOME"] = str(home)
    os.environ["ORCHESTRATE_LOCAL_PORT"] = str(free_port(range(4581, 4599)))
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    try:
        target = resolve_target("local")
        variables = dict(user_vars(target)) if user_vars else {}
        var_args = [
            part for key, value in variables.items() for part in ("--var", f"{key}={value}")
        ]
        code, output = run_cli(
            "deploy", stack, "--target", "local", "--env", environment, *var_args
        )
        assert code == 0, (
            f"deploy {stack} failed with exit code {code}; local cloud warnings:\n"
            f"{local_cloud_warnings()}"
        )
        outputs = StackRun(get_stack(stack), target, environment, print).outputs()
        yield DeployedStack(
            stack, environment, target, outputs, parse_user_vars(var_args[1::2]), output
        )
    finally:
        try:
            run_cli("destroy", stack, "--target", "local", "--env", environment)
        finally:
            run_cli("local", "down")
            os.environ.clear()
            os.environ.update(saved)
