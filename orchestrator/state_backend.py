"""Where a stack's Terraform state lives: a file on this machine, or an S3 bucket a team shares.

``ORCHESTRATE_STATE_BUCKET`` chooses S3 (key ``<prefix>/<target>/<env>/<stack>/terraform.tfstate``,
S3-native locking with ``use_lockfile``, no DynamoDB table). Terraform cannot change a backend's
type through ``-backend-config``, so the choice is an override file that replaces the committed
``backend "local" {}`` by ``backend "s3" {}``. It goes into the generated root terraform runs in
(``generated_root``, under the work dir), never into ``terraform/stacks/``: each target and
environment has its own, so runs with different settings cannot race on one file, and a
reviewer's hand-run plan in the source tree never meets it. The settings themselves are a
``.tfbackend`` file next to the state's data dir. Switching between the two never starts silently
from an empty state: the orchestrator stops and says how to move the state (``--migrate-state``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.errors import OrchestrateError
from orchestrator.generated_root import OVERRIDE_FILE_NAME
from orchestrator.targets import Target
from orchestrator.terraform import Terraform
from orchestrator.workspace import StackWorkspace

BUCKET_ENV = "ORCHESTRATE_STATE_BUCKET"
REGION_ENV = "ORCHESTRATE_STATE_REGION"
PREFIX_ENV = "ORCHESTRATE_STATE_PREFIX"
STATE_ENV_VARS = (BUCKET_ENV, REGION_ENV, PREFIX_ENV)
OVERRIDE_TEXT = (
    "# Written by the orchestrator because ORCHESTRATE_STATE_BUCKET is set: the state goes to\n"
    "# S3. It removes this file again when the variable is unset.\n"
    'terraform {\n  backend "s3" {}\n}\n'
)
MIGRATED_SUFFIX = ".migrated-to-s3"

Say = Callable[[str], None]


class StateBackendError(OrchestrateError):
    """The state cannot be kept where asked (no bucket, no access, a move needed first)."""


@dataclass(frozen=True)
class LocalState:
    path: Path

    def describe(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class S3State:
    bucket: str
    key: str
    region: str
    # The local cloud's endpoint; None on AWS.
    endpoint_url: str | None = None

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def lock_key(self) -> str:
        return f"{self.key}.tflock"

    def backend_config(self) -> str:
        """The settings as a ``.tfbackend`` file for ``init -backend-config=FILE``."""
        settings: dict[str, Any] = {
            "bucket": self.bucket,
            "key": self.key,
            "region": self.region,
            "encrypt": True,
            "use_lockfile": True,
        }
        if self.endpoint_url:
            # The emulator has no per-bucket host names; naming the endpoint here also wins over
            # an AWS_ENDPOINT_URL_S3 the user's shell may hold for some other service.
            settings["use_path_style"] = True
            settings["endpoints"] = {"s3": self.endpoint_url}
        width = max(len(name) for name in settings)
        lines = [f"{name:<{width}} = {_hcl(value)}" for name, value in settings.items()]
        return "\n".join(lines) + "\n"


StateLocation = LocalState | S3State


def _hcl(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # strings and booleans are spelt the same in HCL


def choose(
    workspace: StackWorkspace, target: Target, environ: Mapping[str, str] | None = None
) -> StateLocation:
    """S3 when ``ORCHESTRATE_STATE_BUCKET`` is set, else the file under the work dir."""
    environ = os.environ if environ is None else environ
    bucket = environ.get(BUCKET_ENV, "").strip()
    if not bucket:
        return LocalState(workspace.state_path)
    prefix = environ.get(PREFIX_ENV, "").strip().strip("/")
    parts = [prefix] if prefix else []
    parts += [workspace.target, workspace.environment, workspace.stack, "terraform.tfstate"]
    region = environ.get(REGION_ENV, "").strip() or target.region
    return S3State(bucket, "/".join(parts), region, target.endpoint_url)


def write_override(config_dir: Path, location: StateLocation) -> None:
    """Lay ``backend "s3"`` over the root's ``backend "local"`` for S3; remove it otherwise.
    ``config_dir`` is the generated root under the work dir, not the committed one."""
    override = config_dir / OVERRIDE_FILE_NAME
    if isinstance(location, S3State):
        if not override.exists() or override.read_text() != OVERRIDE_TEXT:
            override.write_text(OVERRIDE_TEXT)
    else:
        override.unlink(missing_ok=True)


# ----------------------------------------------------------------- what is there already
@dataclass(frozen=True)
class RecordedBackend:
    """The backend of the last successful init, as terraform records it in its data dir."""

    kind: str
    config: dict[str, Any]

    def describe(self) -> str:
        if self.kind == "s3":
            return f"s3://{self.config.get('bucket')}/{self.config.get('key')}"
        return str(self.config.get("path") or self.kind)


def record_path(data_dir: Path) -> Path:
    # The wrapper sets TF_DATA_DIR to data_dir/.terraform; terraform keeps its record there.
    return data_dir / ".terraform" / "terraform.tfstate"


def recorded_backend(data_dir: Path) -> RecordedBackend | None:
    try:
        backend = json.loads(record_path(data_dir).read_text()).get("backend") or {}
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(backend, dict) or not backend.get("type"):
        return None
    return RecordedBackend(str(backend["type"]), dict(backend.get("config") or {}))


def holds_resources(state_file: Path) -> bool:
    """A local state file that describes at least one resource."""
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and bool(state.get("resources"))


def might_hold_state(workspace: StackWorkspace, environ: Mapping[str, str] | None = None) -> bool:
    """Whether destroy must look: a bucket is named, a local state exists, or S3 was last used."""
    environ = os.environ if environ is None else environ
    if environ.get(BUCKET_ENV, "").strip() or workspace.state_path.exists():
        return True
    recorded = recorded_backend(workspace.dir)
    return recorded is not None and recorded.kind == "s3"


# --------------------------------------------------------------------------- the bucket
class StateBucket:
    """The S3 bucket named for the state, reached as terraform will reach it."""

    def __init__(self, location: S3State, target: Target) -> None:
        self.location = location
        self.target = target
        if location.endpoint_url:
            self.client: Any = boto3.client(
                "s3",
                region_name=location.region,
                endpoint_url=location.endpoint_url,
                aws_access_key_id=target.env.get("AWS_ACCESS_KEY_ID"),
                aws_secret_access_key=target.env.get("AWS_SECRET_ACCESS_KEY"),
            )
        else:
            self.client = boto3.Session(region_name=location.region).client("s3")

    def check(self, say: Say) -> None:
        """Raise a StateBackendError that says what to do when the bucket cannot hold the state."""
        bucket = self.location.bucket
        try:
            self.client.head_bucket(Bucket=bucket)
        except ClientError as error:
            raise self._bucket_error(error) from error
        except BotoCoreError as error:
            raise StateBackendError(
                f"cannot reach the state bucket {bucket} ({BUCKET_ENV}): {error}"
            ) from error
        try:
            versioning = self.client.get_bucket_versioning(Bucket=bucket).get("Status")
        except (ClientError, BotoCoreError):
            return  # reading the setting may be denied; the state still works
        if versioning != "Enabled":
            say(
                f"warning: the state bucket {bucket} has versioning off, so an overwritten or "
                "deleted state cannot be recovered; turn it on with: "
                f"{self._aws_s3api('put-bucket-versioning')} --bucket {bucket} "
                "--versioning-configuration Status=Enabled"
            )

    def holds_state(self) -> bool:
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self.location.key)
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise StateBackendError(
                f"cannot read {self.location.describe()}: {_message(error)}"
            ) from error
        except BotoCoreError as error:
            raise StateBackendError(f"cannot read {self.location.describe()}: {error}") from error
        return True

    def _bucket_error(self, error: ClientError) -> StateBackendError:
        bucket, region = self.location.bucket, self.location.region
        status = _status(error)
        where = "on the local cloud" if self.location.endpoint_url else f"in region {region}"
        if status == 404:
            # The local cloud checks it as AWS does, now that the command names the region.
            location = (
                ""
                if region == "us-east-1"
                else f"--create-bucket-configuration LocationConstraint={region} "
            )
            return StateBackendError(
                f"the state bucket {bucket} ({BUCKET_ENV}) does not exist {where}. Create it once, "
                "with versioning on so that earlier states can be recovered:\n"
                f"  {self._aws_s3api('create-bucket')} --bucket {bucket} {location}\n"
                f"  {self._aws_s3api('put-bucket-versioning')} --bucket {bucket} "
                "--versioning-configuration Status=Enabled\n"
                f"or unset {BUCKET_ENV} to keep the state on this machine."
            )
        if status == 301:
            actual = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            actual_region = actual.get("x-amz-bucket-region", "another region")
            return StateBackendError(
                f"the state bucket {bucket} is in {actual_region}, not {region}: "
                f"set {REGION_ENV}={actual_region}"
            )
        if status == 403:
            return StateBackendError(
                f"access to the state bucket {bucket} is denied: the credentials in use need "
                "s3:ListBucket on it and s3:GetObject, s3:PutObject, s3:DeleteObject on its keys"
            )
        return StateBackendError(f"cannot use the state bucket {bucket}: {_message(error)}")

    def _aws_s3api(self, operation: str) -> str:
        """The AWS CLI command as the user can paste it: on the local cloud with its endpoint,
        keys and region, which the user's shell does not hold (the CLI would find none)."""
        if not self.location.endpoint_url:
            return f"aws s3api {operation}"
        keys = " ".join(
            f"{name}={self.target.env.get(name, 'test')}"
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        )
        return (
            f"{keys} aws s3api {operation} --endpoint-url {self.location.endpoint_url} "
            f"--region {self.location.region}"
        )


def _status(error: ClientError) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def _message(error: ClientError) -> str:
    detail = error.response.get("Error", {})
    return str(detail.get("Message") or detail.get("Code") or error)


# ----------------------------------------------------------------------------- init
def init(
    tf: Terraform,
    workspace: StackWorkspace,
    target: Target,
    *,
    say: Say,
    migrate: bool = False,
) -> StateLocation:
    """Initialise ``tf`` on the chosen state, refusing to start empty where a state exists."""
    location = choose(workspace, target)
    previous = recorded_backend(tf.data_dir)
    if isinstance(location, S3State):
        say(f"  state: {location.describe()}")
        _init_s3(tf, workspace, location, previous, StateBucket(location, target), say, migrate)
    else:
        _init_local(tf, workspace, location, previous, migrate)
    return location


def _init_s3(
    tf: Terraform,
    workspace: StackWorkspace,
    location: S3State,
    previous: RecordedBackend | None,
    bucket: StateBucket,
    say: Say,
    migrate: bool,
) -> None:
    bucket.check(say)
    local_file = workspace.state_path
    push_local = holds_resources(local_file)
    from_other_s3 = (
        not push_local
        and previous is not None
        and previous.kind == "s3"
        and previous.describe() != location.describe()
    )
    in_bucket = bucket.holds_state() if push_local or from_other_s3 else False
    if push_local and not migrate:
        if in_bucket:
            raise StateBackendError(
                f"both {local_file} (local) and {location.describe()} hold a state of this "
                "stack. If the bucket's is the current one, move the local file away; if the "
                "local one is, run again with --migrate-state to push it (terraform refuses "
                "when the bucket's state is newer or from another lineage)."
            )
        raise StateBackendError(
            f"a local state with resources exists at {local_file}, and {location.describe()} "
            "holds none yet: starting from the empty bucket would make terraform create "
            "everything again. Run again with --migrate-state to copy the local state into the "
            f"bucket (the local file is then kept as {local_file.name}{MIGRATED_SUFFIX}), or "
            f"unset {BUCKET_ENV} to keep using the local state."
        )
    native_move = from_other_s3 and not in_bucket
    if native_move and not migrate:
        raise _moved_error(previous, location.describe(), tf.data_dir)
    write_override(tf.config_dir, location)
    config_file = workspace.dir / "s3.tfbackend"
    workspace.dir.mkdir(parents=True, exist_ok=True)
    config_file.write_text(location.backend_config())
    if native_move:
        say(f"Moving the state from {_describe(previous)} to {location.describe()}...")
    tf.init(backend_config=config_file, migrate_state=native_move)
    if push_local:
        say(f"Copying the local state {local_file} to {location.describe()}...")
        tf.state_push(local_file)
        # Kept, not deleted, but renamed so that a later local run cannot mistake it for current.
        local_file.rename(local_file.with_name(local_file.name + MIGRATED_SUFFIX))


def _init_local(
    tf: Terraform,
    workspace: StackWorkspace,
    location: LocalState,
    previous: RecordedBackend | None,
    migrate: bool,
) -> None:
    from_s3 = previous is not None and previous.kind == "s3" and not holds_resources(location.path)
    if from_s3 and not migrate:
        raise _moved_error(previous, location.describe(), tf.data_dir)
    write_override(tf.config_dir, location)
    tf.init(state_path=location.path, migrate_state=from_s3)


def _describe(previous: RecordedBackend | None) -> str:
    return previous.describe() if previous is not None else "the last backend"


def _moved_error(previous: RecordedBackend | None, now: str, data_dir: Path) -> StateBackendError:
    return StateBackendError(
        f"the last init of this stack kept its state in {_describe(previous)}, and the "
        f"settings now name {now}, which holds none: terraform would start empty and create "
        f"everything again. Set {BUCKET_ENV} and {PREFIX_ENV} as they were, or run again with "
        "--migrate-state to copy that state over. To start empty on purpose, delete "
        f"{record_path(data_dir)} (it only records the last backend)."
    )
