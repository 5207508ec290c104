"""The root configuration terraform runs in: a copy of a stack's root under the work dir.

Terraform cannot switch a backend from ``local`` to ``s3`` through ``-backend-config``, so team
state needs an override file laid over the committed ``backend "local" {}``. Written into
``terraform/stacks/<stack>/`` (as earlier versions did), two runs with different settings raced on
it and a left-over one broke a reviewer's hand-run plan; ``init`` there could also rewrite the
committed lock file. So the orchestrator never runs terraform in the source tree: each target,
environment and stack gets ``<work dir>/roots/<target>/<env>/<stack>/``, holding

- the stack's ``*.tf`` files, with local module sources and ``path.root`` pointed back at the
  committed tree (a relative path, which terraform requires for local modules; a copy of the
  module when no relative path exists, as between two Windows drives);
- the committed ``.terraform.lock.hcl``, copied in before every init and compared after it;
- the backend override when the state is in S3 (``state_backend``).

The module calls keep their names, so resource addresses and existing states are unchanged.
Weighed and left: a root that calls the stack as a module (every address would move under a new
``module.`` prefix); symlinks (``../../modules`` would resolve from the link, not the target).
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shlex
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.workspace import REPO_ROOT

Say = Callable[[str], None]

LOCK_FILE_NAME = ".terraform.lock.hcl"
# What earlier versions wrote into the source tree; the state backend now writes it here.
OVERRIDE_FILE_NAME = "backend_override.tf"
_OWN_OVERRIDE_MARK = "Written by the orchestrator"
_LOCAL_SOURCE = re.compile(r'^(\s*source\s*=\s*)"(\.\.?/[^"]*)"', re.MULTILINE)
_PATH_INTERPOLATION = re.compile(r"\$\{\s*path\.(?:root|module)\s*\}")
# A bare reference where an expression starts (prose that names path.root is left alone).
_PATH_REFERENCE = re.compile(r"([(=,\[{?:]\s*)path\.(?:root|module)\b")
_SECRET_NAMES = frozenset({"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"})


@dataclass(frozen=True)
class GeneratedRoot:
    """``source`` (a committed root configuration) as terraform sees it from ``dir``."""

    source: Path
    dir: Path

    @property
    def lock_file(self) -> Path:
        return self.dir / LOCK_FILE_NAME

    @property
    def source_lock_file(self) -> Path:
        return self.source / LOCK_FILE_NAME

    def write(self, say: Say) -> Path:
        """Bring ``dir`` up to date with ``source``; return it. The override file is left to
        the state backend, and ``.terraform.lock.hcl`` to :meth:`copy_lock_in`."""
        self._remove_leftover_override(say)
        self.dir.mkdir(parents=True, exist_ok=True)
        files = {
            path.name: self._rewrite(path.read_text(encoding="utf-8"))
            for path in sorted(self.source.glob("*.tf"))
            if path.name != OVERRIDE_FILE_NAME
        }
        for stale in self.dir.glob("*.tf"):
            if stale.name not in files and stale.name != OVERRIDE_FILE_NAME:
                stale.unlink()
        for name, text in files.items():
            _write_if_changed(self.dir / name, text)
        return self.dir

    def copy_lock_in(self) -> None:
        """Start every init from the committed lock file (or none, for a provider-free root)."""
        if self.source_lock_file.exists():
            shutil.copyfile(self.source_lock_file, self.lock_file)
        else:
            self.lock_file.unlink(missing_ok=True)

    def check_lock(self, say: Say) -> None:
        """Say so when init changed the lock file: the committed one is never written."""
        if not self.source_lock_file.exists() or not self.lock_file.exists():
            return
        if filecmp.cmp(self.source_lock_file, self.lock_file, shallow=False):
            return
        say(
            f"note: terraform init changed the provider lock file (now {self.lock_file}); the "
            f"committed {_shown(self.source_lock_file)} is unchanged, so this run uses providers "
            "it does not pin. If the change is meant (a provider upgrade), run 'make lock' and "
            "commit the result; otherwise check the provider version constraints."
        )

    # ------------------------------------------------------------------ rewriting
    def _rewrite(self, text: str) -> str:
        text = _LOCAL_SOURCE.sub(lambda m: f'{m.group(1)}"{self._module_source(m.group(2))}"', text)
        here = self._path_to(self.source)
        text = _PATH_INTERPOLATION.sub(lambda _m: here, text)
        return _PATH_REFERENCE.sub(lambda m: m.group(1) + json.dumps(here), text)

    def _module_source(self, source: str) -> str:
        module = (self.source / source).resolve()
        relative = _relative(module, self.dir)
        if relative is not None:
            return relative
        # No relative path (another drive): terraform takes local modules by relative path only.
        copy = self.dir / "modules" / module.name
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(module, copy, ignore=shutil.ignore_patterns(".terraform"))
        return f"./modules/{module.name}"

    def _path_to(self, directory: Path) -> str:
        return _relative(directory.resolve(), self.dir) or directory.resolve().as_posix()

    def _remove_leftover_override(self, say: Say) -> None:
        leftover = self.source / OVERRIDE_FILE_NAME
        if not leftover.exists():
            return
        if _OWN_OVERRIDE_MARK in leftover.read_text(encoding="utf-8", errors="replace"):
            leftover.unlink()
            say(
                f"note: removed {_shown(leftover)}, left by an earlier version of the "
                f"orchestrator (git-ignored); the backend settings now live in {self.dir}"
            )
        else:
            say(
                f"warning: {_shown(leftover)} is not the orchestrator's; the orchestrator ignores "
                "it, but a hand-run terraform in that folder uses it"
            )


def hand_run_plan_lines(
    source: Path,
    var_file: Path,
    env: Mapping[str, str],
    *,
    data_dir: Path,
    emulated: bool,
    mirror_config: Path | None = None,
) -> list[str]:
    """Shell lines that plan the committed root ``source`` by hand with ``var_file``, from an
    empty state (nothing is read or locked), so a reviewer sees everything it would make.
    ``data_dir`` (``TF_DATA_DIR``) keeps terraform's ``.terraform/`` out of the source tree too.
    ``env`` is the target's; only an emulator's (test) keys are printed, never real ones."""
    settings = {name: value for name, value in env.items() if emulated or name not in _SECRET_NAMES}
    settings["TF_DATA_DIR"] = str(data_dir)
    if mirror_config is not None:
        settings["TF_CLI_CONFIG_FILE"] = str(mirror_config)
    lines = [f"cd {shlex.quote(str(source.resolve()))}"]
    lines.append(
        "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in settings.items())
    )
    lines.append("terraform init -input=false")
    lines.append(f"terraform plan -input=false -var-file={shlex.quote(str(var_file.resolve()))}")
    return lines


def _relative(path: Path, start: Path) -> str | None:
    """``path`` from ``start`` as terraform wants a local path (``../`` or ``./`` first)."""
    try:
        relative = Path(os.path.relpath(path, start.resolve())).as_posix()
    except ValueError:  # Windows: another drive
        return None
    return relative if relative.startswith("../") else f"./{relative}"


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    # Replaced whole, so a concurrent reader sees the old file or the new one.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
