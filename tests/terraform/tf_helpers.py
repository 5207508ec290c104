"""Terraform for tests: a stack in a throwaway data dir, plans read through ``show -json``.

Kept small on purpose, beside the orchestrator's wrapper (it shares its mirror config and state
reading): tests need raw output and -lockfile=readonly. Terraform runs as an
argument list with an explicit working directory; the provider comes from the filesystem mirror
named by TF_PROVIDER_MIRROR, or from the public registry when that variable is unset.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.moto_server import moto_server as run_moto_server
from devtools.ports import free_port as ports_free_port
from orchestrator.terraform import MIRROR_ENV, mirror_cli_config

MOTO_PORTS = range(4630, 4640)


class TerraformFailed(Exception):
    """A terraform command exited non-zero; carries the command, exit code and output."""

    def __init__(self, args: list[str], returncode: int, output: str) -> None:
        super().__init__(f"terraform {' '.join(args)} exited {returncode}:\n{output}")
        self.args_list = args
        self.returncode = returncode
        self.output = output


@dataclass
class Plan:
    """A saved plan as ``terraform show -json`` describes it."""

    data: dict[str, Any]

    @property
    def changes(self) -> list[dict[str, Any]]:
        return [rc for rc in self.data.get("resource_changes", []) if rc["mode"] == "managed"]

    @property
    def addresses(self) -> set[str]:
        return {rc["address"] for rc in self.changes}

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Planned values (``change.after``) by address for every resource of a type."""
        return {
            rc["address"]: rc["change"]["after"]
            for rc in self.changes
            if rc["type"] == resource_type
        }

    def one(self, resource_type: str, name: str, index: Any = None) -> dict[str, Any]:
        for rc in self.changes:
            if rc["type"] == resource_type and rc["name"] == name and rc.get("index") == index:
                return dict(rc["change"]["after"])
        raise KeyError(f"no {resource_type}.{name}[{index!r}] in the plan")

    @property
    def output_names(self) -> set[str]:
        return set(self.data.get("output_changes", {}))


@dataclass
class Stack:
    """A root configuration run with its own data dir, state, CLI config and variables."""

    config_dir: Path
    work_dir: Path
    # None removes a variable from terraform's environment.
    extra_env: dict[str, str | None] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            TF_DATA_DIR=str(self.work_dir / "data"),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        mirror = os.environ.get(MIRROR_ENV)
        if mirror:
            rc_file = self.work_dir / "terraform.rc"
            rc_file.write_text(mirror_cli_config(Path(mirror)))
            env["TF_CLI_CONFIG_FILE"] = str(rc_file)
        for key, value in self.extra_env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, *args: str) -> str:
        command = ["terraform", *args]
        result = subprocess.run(
            command,
            cwd=self.config_dir,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise TerraformFailed(list(args), result.returncode, output)
        return output

    def init(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # readonly: a test must never rewrite the committed lock file.
        self.run(
            "init",
            "-no-color",
            "-lockfile=readonly",
            f"-backend-config=path={self.work_dir / 'terraform.tfstate'}",
        )

    def var_file(self, name: str, variables: dict[str, Any]) -> Path:
        path = self.work_dir / f"{name}.tfvars.json"
        path.write_text(json.dumps(variables, indent=2))
        return path

    def plan(self, name: str, variables: dict[str, Any]) -> Plan:
        plan_file = self.work_dir / f"{name}.tfplan"
        self.run(
            "plan",
            "-no-color",
            "-refresh=false",
            f"-var-file={self.var_file(name, variables)}",
            f"-out={plan_file}",
        )
        return Plan(json.loads(self.run("show", "-json", str(plan_file))))

    def apply(self, name: str, variables: dict[str, Any], *targets: str) -> None:
        target_args = [f"-target={target}" for target in targets]
        self.run(
            "apply",
            "-no-color",
            "-auto-approve",
            f"-var-file={self.var_file(name, variables)}",
            *target_args,
        )

    def destroy(self, name: str, variables: dict[str, Any]) -> None:
        self.run(
            "destroy", "-no-color", "-auto-approve", f"-var-file={self.var_file(name, variables)}"
        )

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.run("show", "-json")))


def free_port(ports: range = MOTO_PORTS) -> int:
    return ports_free_port(ports)


@contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """A plain moto server on a free loopback port; yields its endpoint URL."""
    with run_moto_server(free_port(), log_path) as endpoint:
        yield endpoint


def emulator_env(endpoint: str) -> dict[str, str | None]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        # A user's profile or session token must not leak into runs against the emulator.
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
    }
