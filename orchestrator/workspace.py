"""Where the orchestrator keeps its files: state, plans, zips, outputs, the local cloud."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HOME_ENV = "ORCHESTRATE_HOME"


def work_root() -> Path:
    """The work dir: ``$ORCHESTRATE_HOME`` or ``.orchestrate/`` in the repository (git-ignored)."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).resolve() if configured else REPO_ROOT / ".orchestrate"


@dataclass(frozen=True)
class StackWorkspace:
    """One Terraform state per target, environment and stack."""

    root: Path
    target: str
    environment: str
    stack: str

    @property
    def dir(self) -> Path:
        return state_root(self.root) / self.target / self.environment / self.stack

    @property
    def config_dir(self) -> Path:
        """The root configuration terraform runs in, generated from the committed one (see
        ``generated_root``): nothing is written into ``terraform/stacks/``."""
        return self.root / "roots" / self.target / self.environment / self.stack

    @property
    def hand_run_data_dir(self) -> Path:
        """``TF_DATA_DIR`` of the hand-run plan that ``plan`` prints (apart from the real one)."""
        return self.root / "hand-run" / self.target / self.environment / self.stack / ".terraform"

    @property
    def state_path(self) -> Path:
        return self.dir / "terraform.tfstate"

    @property
    def plan_path(self) -> Path:
        return self.dir / "last.tfplan"

    @property
    def outputs_path(self) -> Path:
        return self.dir / "outputs.json"

    @property
    def logs_dir(self) -> Path:
        """Terraform's full event logs of this stack's runs, one file per command."""
        return self.root / "logs" / self.target / self.environment / self.stack

    def new_log_path(self, command: str) -> Path:
        """``<timestamp>-<command>.log``: sorted by time, a later run never overwrites."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.logs_dir / f"{stamp}-{command}.log"
        count = 1
        while path.exists():
            count += 1
            path = self.logs_dir / f"{stamp}-{command}-{count}.log"
        return path

    @property
    def meta_path(self) -> Path:
        """Remembers the variables of the last apply, so destroy can reuse them."""
        return self.dir / "variables.json"


def build_dir() -> Path:
    return work_root() / "build"


def local_cloud_dir() -> Path:
    return work_root() / "local-cloud"


def state_root(root: Path) -> Path:
    return root / "state"


def local_state_dir() -> Path:
    """The states of every local deploy: they describe resources held in the emulator's memory."""
    return state_root(work_root()) / "local"


def local_environments_with(stack: str) -> list[str]:
    """Environments that have a local state of ``stack`` (deployed onto the local cloud)."""
    # The layout is <env>/<stack>: the environment is the parent folder's name.
    return sorted(
        path.parent.name for path in local_state_dir().glob(f"*/{stack}") if path.is_dir()
    )
