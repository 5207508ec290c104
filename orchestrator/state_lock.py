"""A held state lock, explained, and released on request (``orchestrate.py unlock STACK``).

Terraform locks a stack's state while it plans or applies: with team state in S3 that lock is an
object next to the state (``<key>.tflock``, ``use_lockfile``), which stays when a deploy is killed.
Terraform's own error then suggests ``-lock=false``, which would let two runs write one state.
Here its "Error acquiring the state lock" becomes :class:`StateLockedError`: who holds the lock,
since when, and the command that releases it (``terraform force-unlock`` in the stack's generated
root). A local state's lock is held by the terraform process itself and ends with it; the file
it leaves (``.terraform.tfstate.lock.info``) only describes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator import state_backend, sweep
from orchestrator.deploy import StackRun
from orchestrator.stack_spec import StackError
from orchestrator.terraform import TerraformError

LOCK_ERROR = "Error acquiring the state lock"
_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created):[ \t]*(.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class LockInfo:
    """What terraform records about a lock (the ``.tflock`` object's JSON, or its error text)."""

    id: str
    who: str = ""
    created: str = ""
    operation: str = ""
    path: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LockInfo:
        return cls(
            id=str(data.get("ID") or ""),
            who=str(data.get("Who") or ""),
            created=str(data.get("Created") or ""),
            operation=str(data.get("Operation") or ""),
            path=str(data.get("Path") or ""),
        )

    @property
    def local(self) -> bool:
        """A local state file's lock (its path is a file on this machine, not bucket/key)."""
        return Path(self.path).is_absolute()

    def where(self) -> tuple[str, str, str] | None:
        """(target, environment, stack) from the path ``.../<t>/<e>/<s>/terraform.tfstate``."""
        parts = self.path.replace("\\", "/").split("/")
        if len(parts) < 4:
            return None
        target, environment, stack = parts[-4:-1]
        return target, environment, stack

    def describe(self) -> str:
        """``held by WHO since WHEN (OPERATION, lock ID ID)``."""
        operation = self.operation.removeprefix("OperationType").lower() or "a run"
        since = f" since {_when(self.created)}" if self.created else ""
        return f"held by {self.who or 'an unknown user'}{since} ({operation}, lock ID {self.id})"


def _when(created: str) -> str:
    """Terraform's time (RFC 3339, or Go's ``2006-01-02 15:04:05 +0000 UTC``) with its age."""
    text = re.sub(r" \+0000 UTC$", "+00:00", created.strip()).replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # Go keeps nanoseconds, Python microseconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return created
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    minutes = int((datetime.now(UTC) - moment).total_seconds() // 60)
    if minutes < 0:
        return created
    if minutes < 120:
        age = f"{minutes} min"
    elif minutes < 48 * 60:
        age = f"{minutes // 60} h"
    else:
        age = f"{minutes // (24 * 60)} days"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {age} ago"


class StateLockedError(TerraformError):
    """Terraform could not take the state's lock: a run holds it, or a killed one left it."""

    def __init__(self, error: TerraformError, lock: LockInfo) -> None:
        super().__init__(error.command, error.returncode, error.diagnostics)
        self.lock = lock
        where = lock.where()
        target, environment, stack = where or ("TARGET", "ENV", "STACK")
        what = f"the state of {stack} (target {target}, env {environment})"
        if lock.local:
            self.args = (
                f"{what} is locked, {lock.describe()}: another terraform run on this machine is "
                "using it",
            )
            self.hint = "wait for that run to finish (its lock ends with it), then run again"
            return
        self.args = (
            f"{what} is locked, {lock.describe()}: a deploy is running there, or one was killed "
            "and left its lock behind",
        )
        options = f"--target {target} --env {environment}"
        self.hint = (
            f"if no deploy is running, release the lock with: python orchestrate.py unlock "
            f"{stack} {options}\n      then, if the killed deploy had created resources, remove "
            f"those its state does not hold with: python orchestrate.py sweep {stack} {options} "
            "(add --delete --yes), and deploy again"
        )


def recognize(error: TerraformError) -> StateLockedError | None:
    """The explained error for terraform's lock error, or None for any other failure."""
    if isinstance(error, StateLockedError):
        return error
    if LOCK_ERROR not in error.diagnostics:
        return None
    fields = dict(_FIELD.findall(error.diagnostics))
    return StateLockedError(error, LockInfo.from_json(fields))


# ------------------------------------------------------------------------------ unlocking
def held_lock(run: StackRun) -> tuple[str, LockInfo | None] | None:
    """Where the stack's state is locked and what the lock says; None when it is not locked."""
    where = sweep.lock_on_state(run)
    if where is None:
        return None
    location = state_backend.choose(run.workspace, run.target)
    try:
        if isinstance(location, state_backend.S3State):
            client = state_backend.StateBucket(location, run.target).client
            body = client.get_object(Bucket=location.bucket, Key=location.lock_key)["Body"].read()
        else:
            body = Path(where).read_bytes()
        data = json.loads(body)
    except ClientError as error:
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None  # released between the two reads
        raise StackError(f"cannot read the lock {where}: {error}") from error
    except (BotoCoreError, OSError) as error:
        raise StackError(f"cannot read the lock {where}: {error}") from error
    except ValueError:
        return where, None  # not terraform's JSON: shown, but its ID is unknown
    return where, LockInfo.from_json(data) if isinstance(data, dict) else None


def force_unlock(run: StackRun, lock: LockInfo, say: Callable[[str], None]) -> None:
    """``terraform force-unlock -force ID`` in the stack's generated root, on its state."""
    tf = run.terraform()
    run.root.copy_lock_in()
    state_backend.init(tf, run.workspace, run.target, say=say)
    tf.force_unlock(lock.id)


def local_lock_is_stale(info_file: Path) -> bool:
    """A local state's lock file whose terraform process has ended (terraform leaves it when
    killed): the state file itself is not locked any more."""
    try:
        import fcntl  # terraform's local lock is an fcntl lock on the state file
    except ImportError:  # Windows: terraform locks with LockFileEx, which Python cannot probe
        raise StackError(
            f"cannot tell on this system whether a terraform run holds {info_file}: once none "
            "runs, delete that file by hand"
        ) from None

    state_file = info_file.with_name(info_file.name.removeprefix(".").removesuffix(".lock.info"))
    if not state_file.exists():
        return True
    with state_file.open("r+b") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.lockf(handle, fcntl.LOCK_UN)
    return True


def release_local(info_file: Path) -> None:
    """Remove the lock file a killed local run left; refuse while a run still holds the state."""
    if not local_lock_is_stale(info_file):
        raise StackError(
            f"a terraform run on this machine still holds the state's lock ({info_file}): wait "
            "for it to finish, or stop it; its lock ends with it"
        )
    info_file.unlink(missing_ok=True)
