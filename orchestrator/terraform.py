"""A thin wrapper over the terraform CLI.

Why not python-terraform: it is unmaintained since 2019 and breaks on current Terraform (its
destroy passes the removed ``-force`` flag, ``output(name)`` fails, and it cannot stream output
while also keeping it). This wrapper runs terraform with argument lists, streams ``-json`` events
as progress lines, keeps terraform's own diagnostics, and raises one exception type on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestrator.errors import OrchestrateError

LineSink = Callable[[str], None]


class RunObserver(Protocol):
    """Follows every terraform run: its command, each ``-json`` event (with the line it would
    print, if any), and its end (the progress line and the log file of ``run_reporter``)."""

    def run_started(self, command: list[str], *, events: bool) -> None: ...

    def run_event(self, event: Mapping[str, Any], line: str | None) -> None: ...

    def run_finished(self, returncode: int, *, failed: bool, diagnostics: str) -> None: ...


# Environment variable naming a filesystem mirror of providers (for offline machines).
MIRROR_ENV = "TF_PROVIDER_MIRROR"
# In the data dir: the CLI config made from the mirror, and the variables of the last plan
# or destroy (named in the hand-run command that 'plan' prints).
MIRROR_CONFIG_NAME = "terraform-cli.tfrc"
VAR_FILE_NAME = "orchestrate.tfvars.json"


class TerraformError(OrchestrateError):
    """A terraform command failed: the command, its exit code and terraform's diagnostics."""

    def __init__(self, command: list[str], returncode: int, diagnostics: str) -> None:
        self.command = command
        self.returncode = returncode
        self.diagnostics = diagnostics.strip()
        verb = command[1] if len(command) > 1 else command[0]
        super().__init__(
            f"terraform {verb} failed (exit code {returncode})"
            + (f":\n{self.diagnostics}" if self.diagnostics else "")
        )


class TerraformNotFoundError(TerraformError):
    """The terraform binary is not on PATH."""

    def __init__(self, binary: str) -> None:
        super().__init__(
            [binary],
            127,
            f"'{binary}' was not found on PATH. Install Terraform 1.11 or newer and make sure "
            "the 'terraform' command runs in this shell.",
        )


@dataclass(frozen=True)
class PlanSummary:
    """What a saved plan would do, by resource address."""

    adds: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    destroys: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    output_changes: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.adds or self.changes or self.destroys or self.replaces or self.output_changes
        )

    @classmethod
    def from_plan_json(cls, plan: Mapping[str, Any]) -> PlanSummary:
        adds: list[str] = []
        changes: list[str] = []
        destroys: list[str] = []
        replaces: list[str] = []
        for rc in plan.get("resource_changes", []):
            actions = rc.get("change", {}).get("actions", [])
            address = rc["address"]
            if actions == ["create"]:
                adds.append(address)
            elif actions == ["update"]:
                changes.append(address)
            elif actions == ["delete"]:
                destroys.append(address)
            elif sorted(actions) == ["create", "delete"]:
                replaces.append(address)
        output_changes = [
            name
            for name, oc in plan.get("output_changes", {}).items()
            if oc.get("actions") not in (["no-op"], None)
        ]
        return cls(adds, changes, destroys, replaces, output_changes)

    def render(self) -> str:
        lines = [
            f"Plan: {len(self.adds) + len(self.replaces)} to add, {len(self.changes)} to change, "
            f"{len(self.destroys) + len(self.replaces)} to destroy."
        ]
        for mark, title, addresses in (
            ("+", "add", self.adds),
            ("~", "change", self.changes),
            ("-/+", "replace", self.replaces),
            ("-", "destroy", self.destroys),
        ):
            lines.extend(f"  {mark} {address}  ({title})" for address in addresses)
        if self.output_changes and not (self.adds or self.changes or self.destroys):
            lines.append(f"  outputs changing: {', '.join(sorted(self.output_changes))}")
        if not self.has_changes:
            lines = ["No changes. The infrastructure matches the configuration."]
        return "\n".join(lines)


def _event_line(event: Mapping[str, Any]) -> str | None:
    """Turn one terraform -json event into a progress line, or None for noise."""
    kind = event.get("type")
    if kind in {
        "version",
        "outputs",
        "planned_change",
        "resource_drift",
        "refresh_start",
        "refresh_complete",
    }:
        return None
    if kind == "diagnostic":
        diag = event.get("diagnostic", {})
        return f"{diag.get('severity', 'info')}: {diag.get('summary', '')}"
    message = event.get("@message")
    return str(message) if message else None


def _diagnostic_text(event: Mapping[str, Any]) -> str:
    diag = event.get("diagnostic", {})
    parts = [f"Error: {diag.get('summary', '').strip()}"]
    if diag.get("address"):
        parts.append(f"  on {diag['address']}")
    if diag.get("detail"):
        parts.append("  " + diag["detail"].strip().replace("\n", "\n  "))
    return "\n".join(parts)


class Terraform:
    """Runs terraform for one root configuration with its own data dir and state."""

    def __init__(
        self,
        config_dir: Path,
        data_dir: Path,
        *,
        env: Mapping[str, str] | None = None,
        on_line: LineSink | None = None,
        binary: str = "terraform",
        observer: RunObserver | None = None,
    ) -> None:
        self.config_dir = config_dir
        self.data_dir = data_dir
        self.extra_env = dict(env or {})
        self.on_line: LineSink = on_line or (lambda _line: None)
        self.binary = binary
        self.observer = observer

    # ---------------------------------------------------------------- running
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["TF_DATA_DIR"] = str(self.data_dir / ".terraform")
        env["TF_IN_AUTOMATION"] = "1"
        # No version check against HashiCorp's servers: deploys and tests stay on this machine.
        env.setdefault("CHECKPOINT_DISABLE", "1")
        env["TF_INPUT"] = "0"
        mirror = env.get(MIRROR_ENV)
        if mirror:
            env["TF_CLI_CONFIG_FILE"] = str(self._write_mirror_config(Path(mirror)))
        elif env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).exists():
            # A CLI config that does not exist only produces warnings; drop it.
            del env["TF_CLI_CONFIG_FILE"]
        return env

    def _write_mirror_config(self, mirror: Path) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / MIRROR_CONFIG_NAME
        config.write_text(mirror_cli_config(mirror))
        return config

    def _run(
        self,
        args: list[str],
        *,
        json_events: bool = False,
        ok_codes: tuple[int, ...] = (0,),
        stream: bool = False,
    ) -> tuple[int, list[str]]:
        """Run terraform, keeping its output; with ``stream`` (or ``json_events``) also pass
        progress lines to on_line as they come. Raise TerraformError on failure."""
        command = [self.binary, *args]
        if shutil.which(self.binary) is None:
            raise TerraformNotFoundError(self.binary)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            command,
            cwd=self.config_dir,
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        stderr_lines: list[str] = []
        reader = threading.Thread(
            target=lambda: stderr_lines.extend(process.stderr or []), daemon=True
        )
        reader.start()
        stdout_lines: list[str] = []
        errors: list[str] = []
        observer = self.observer
        if observer is not None:
            observer.run_started(command, events=json_events)
        try:
            for line in self._lines(process):
                stdout_lines.append(line)
                if json_events:
                    event = _parse_event(line)
                    if event is None:
                        continue
                    if event.get("type") == "diagnostic" and event.get("@level") == "error":
                        errors.append(_diagnostic_text(event))
                    progress = _event_line(event)
                    if observer is not None:
                        observer.run_event(event, progress)
                    if progress:
                        self.on_line(progress)
                elif stream:
                    self.on_line(line)
            returncode = process.wait()
        except KeyboardInterrupt:
            # Let terraform stop gracefully so it can save state, then re-raise.
            process.send_signal(signal.SIGINT)
            process.wait()
            if observer is not None:
                observer.run_finished(process.returncode, failed=True, diagnostics="interrupted")
            raise
        reader.join(timeout=5)
        failed = returncode not in ok_codes
        diagnostics = ""
        if failed:
            diagnostics = "\n".join(errors) or "".join(stderr_lines) or "\n".join(stdout_lines)
        if observer is not None:
            observer.run_finished(returncode, failed=failed, diagnostics=diagnostics)
        if failed:
            raise TerraformError(command, returncode, diagnostics)
        return returncode, stdout_lines

    @staticmethod
    def _lines(process: subprocess.Popen[str]) -> Iterator[str]:
        assert process.stdout is not None
        for raw in process.stdout:
            yield raw.rstrip("\n")

    def _var_file(self, variables: Mapping[str, Any]) -> Path:
        # A .tfvars.json file keeps types (lists, maps, numbers, null) that -var would flatten.
        path = self.data_dir / VAR_FILE_NAME
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(variables), indent=2, sort_keys=True) + "\n")
        return path

    # --------------------------------------------------------------- commands
    def init(
        self,
        state_path: Path | None = None,
        *,
        backend_config: Path | None = None,
        migrate_state: bool = False,
    ) -> None:
        """Init on a local state file or a ``.tfbackend`` file; ``migrate_state`` copies the
        state over from the backend of the last init (``-reconfigure`` would forget it)."""
        args = ["init", "-input=false", "-no-color"]
        args += ["-migrate-state", "-force-copy"] if migrate_state else ["-reconfigure"]
        if state_path is not None:
            args.append(f"-backend-config=path={state_path}")
        if backend_config is not None:
            args.append(f"-backend-config={backend_config}")
        self._run(args)

    def validate(self) -> None:
        self._run(["validate", "-no-color"])

    def plan(
        self,
        variables: Mapping[str, Any],
        out: Path,
        *,
        destroy: bool = False,
        targets: tuple[str, ...] = (),
    ) -> PlanSummary:
        """Save a plan to ``out``; ``targets`` limits it to some addresses (a first phase)."""
        args = [
            "plan",
            "-input=false",
            "-no-color",
            "-json",
            "-detailed-exitcode",
            f"-var-file={self._var_file(variables)}",
            f"-out={out}",
        ]
        if destroy:
            args.append("-destroy")
        args.extend(f"-target={address}" for address in targets)
        self._run(args, json_events=True, ok_codes=(0, 2))
        return PlanSummary.from_plan_json(self.show_plan(out))

    def show_plan(self, plan: Path) -> dict[str, Any]:
        _, lines = self._run(["show", "-json", "-no-color", str(plan)])
        result: dict[str, Any] = json.loads("\n".join(lines))
        return result

    def show_state(self) -> dict[str, Any]:
        """The state as ``show -json`` describes it (``{}`` parts when there is none)."""
        _, lines = self._run(["show", "-json", "-no-color"])
        result: dict[str, Any] = json.loads("\n".join(lines) or "{}")
        return result

    def apply(self, plan: Path) -> None:
        self._run(["apply", "-input=false", "-no-color", "-json", str(plan)], json_events=True)

    def output(self) -> dict[str, Any]:
        _, lines = self._run(["output", "-json", "-no-color"])
        raw: dict[str, Any] = json.loads("\n".join(lines) or "{}")
        return {name: entry.get("value") for name, entry in raw.items()}

    def destroy(self, variables: Mapping[str, Any]) -> None:
        self._run(
            [
                "destroy",
                "-input=false",
                "-no-color",
                "-json",
                "-auto-approve",
                f"-var-file={self._var_file(variables)}",
            ],
            json_events=True,
        )

    def state_values(self, address: str) -> dict[str, Any] | None:
        """The attribute values of one resource in the state, or None when it is absent."""
        _, lines = self._run(["show", "-json", "-no-color"])
        state: dict[str, Any] = json.loads("\n".join(lines) or "{}")
        for resource in state_resources(state):
            if resource.get("address") == address:
                values: dict[str, Any] = resource.get("values", {})
                return values
        return None

    def state_push(self, state_file: Path) -> None:
        """Write a state file to the backend; terraform refuses an older serial or another
        lineage than the backend's own."""
        self._run(["state", "push", str(state_file)])

    def force_unlock(self, lock_id: str) -> None:
        """Release the state's lock ``lock_id`` that a killed run left (no prompt)."""
        self._run(["force-unlock", "-force", lock_id])

    def state_resources(self) -> list[str]:
        """Addresses in the state; empty when there is no state yet."""
        _, lines = self._run(["state", "list", "-no-color"], ok_codes=(0, 1))
        return [line for line in lines if line.strip()]


def mirror_cli_config(mirror: Path) -> str:
    """A terraform CLI config that installs providers from a filesystem mirror only."""
    return (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path = {json.dumps(str(mirror))}\n  }}\n"
        "}\n"
    )


def state_resources(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every resource in a ``show -json`` state, child modules included."""
    found: list[dict[str, Any]] = []
    pending = [state.get("values", {}).get("root_module", {})]
    while pending:
        module = pending.pop()
        found.extend(module.get("resources", []))
        pending.extend(module.get("child_modules", []))
    return found


def _parse_event(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None
