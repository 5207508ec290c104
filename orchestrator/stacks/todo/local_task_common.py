"""What the two local runners of the TODO task share: the result, the error, HTTP waiting."""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from orchestrator.errors import OrchestrateError
from orchestrator.workspace import work_root

LineSink = Callable[[str], None]
# The local target publishes the app on 127.0.0.1 only; 4680-4689 are this project's ports.
DEFAULT_PORT = int(os.environ.get("TODO_LOCAL_PORT", "4680"))
DEFAULT_NAME = "todo-local"


def ignore(_line: str) -> None:
    return None


def local_tasks_dir() -> Path:
    return work_root() / "local-tasks"


class LocalTaskError(OrchestrateError):
    """The task's containers (or the uvicorn fallback) did not start or did not get healthy."""


@dataclass(frozen=True)
class LocalTask:
    """A running local copy of the ECS task."""

    base_url: str
    runner: Literal["docker", "uvicorn"]
    database: str  # what the app stores its data in, for the user
    containers: tuple[str, ...] = ()
    pid: int | None = None
    log_path: Path | None = None
    notes: tuple[str, ...] = field(default=())


def config_hash(spec: Mapping[str, object]) -> str:
    """A short digest of how a task was started, to tell whether a running one can be reused
    (it holds no secret in the clear)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def http_ok(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.5,
    failed: Callable[[], str | None] = lambda: None,
) -> bool:
    """Poll ``check`` until it holds (True) or time runs out (False); ``failed`` stops early by
    raising LocalTaskError with the reason it returns."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        reason = failed()
        if reason:
            raise LocalTaskError(reason)
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# -- the task's IAM roles, as ECS uses them -----------------------------------------------------

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@dataclass(frozen=True)
class TaskRoles:
    """The task definition's roles on the local cloud at ``endpoint_url``: ECS reads the task's
    ``secrets`` as the execution role, and the app runs with the task role's credentials."""

    endpoint_url: str
    execution_role_arn: str | None = None
    task_role_arn: str | None = None
    region: str = "us-east-1"


def role_credentials(roles: TaskRoles, role_arn: str) -> dict[str, str]:
    """Temporary credentials of ``role_arn`` as ECS gets them (the local cloud assumes it for
    the ``ecs-tasks`` service), as environment variables."""
    body = json.dumps({"RoleArn": role_arn, "Service": ECS_TASKS_SERVICE, "Region": roles.region})
    request = urllib.request.Request(
        f"{roles.endpoint_url}/_local/sts/service-credentials",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        reason = json.loads(error.read() or b"{}").get("message", str(error))
        raise LocalTaskError(f"ECS could not assume the role {role_arn}: {reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LocalTaskError(
            f"the local cloud at {roles.endpoint_url} gave no credentials for {role_arn}: {error}"
        ) from None
    return {
        "AWS_ACCESS_KEY_ID": str(answer["AccessKeyId"]),
        "AWS_SECRET_ACCESS_KEY": str(answer["SecretAccessKey"]),
        "AWS_SESSION_TOKEN": str(answer["Token"]),
    }


def resolve_secrets(roles: TaskRoles, secrets: Mapping[str, str]) -> dict[str, str]:
    """The task definition's ``secrets`` (name -> valueFrom) read as ECS reads them: with the
    execution role's credentials, so a policy that lacks ``secretsmanager:GetSecretValue``
    stops the task here as it stops it on AWS."""
    if not secrets:
        return {}
    if not roles.execution_role_arn:
        raise LocalTaskError(
            "ResourceInitializationError: the task has secrets but no execution role to read "
            "them with (set the task definition's executionRoleArn)"
        )
    import boto3
    from botocore.exceptions import ClientError

    keys = role_credentials(roles, roles.execution_role_arn)
    client = boto3.client(
        "secretsmanager",
        endpoint_url=roles.endpoint_url,
        region_name=roles.region,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
    )
    values: dict[str, str] = {}
    for name, value_from in secrets.items():
        try:
            values[name] = read_secret_value(client, value_from)
        except ClientError as error:
            # ECS's own words (a stopped task's stoppedReason), then what to change.
            raise LocalTaskError(
                "ResourceInitializationError: unable to pull secrets or registry auth: "
                f"unable to retrieve secret {value_from} with the execution role "
                f"{roles.execution_role_arn}: {error}. The execution role's policy must allow "
                "secretsmanager:GetSecretValue on that secret."
            ) from None
    return values


def read_secret_value(client: object, value_from: str) -> str:
    """A task definition secret's value: ``valueFrom`` is a secret's ARN, whole (the secret
    string), or followed by ``:json-key:version-stage:version-id`` (each may be empty)."""
    parts = value_from.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager":
        raise LocalTaskError(
            f"{value_from!r} is not a Secrets Manager secret ARN (the local run reads secrets "
            "from Secrets Manager only)"
        )
    arn = ":".join(parts[:7])
    json_key, stage, version = (parts[7:] + ["", "", ""])[:3]
    request: dict[str, str] = {"SecretId": arn}
    if stage:
        request["VersionStage"] = stage
    if version:
        request["VersionId"] = version
    try:
        answer = client.get_secret_value(**request)  # type: ignore[attr-defined]
    except client.exceptions.ResourceNotFoundException:  # type: ignore[attr-defined]
        raise LocalTaskError(f"the task's secret {arn} does not exist") from None
    secret = str(answer["SecretString"])
    if not json_key:
        return secret
    try:
        return str(json.loads(secret)[json_key])
    except (json.JSONDecodeError, TypeError, KeyError):
        raise LocalTaskError(f"the secret {arn} has no JSON key {json_key!r}") from None


def task_role_environment(roles: TaskRoles) -> dict[str, str]:
    """What the app's process gets to call AWS with: the task role's credentials, or none."""
    if not roles.task_role_arn:
        return {}
    return {
        **role_credentials(roles, roles.task_role_arn),
        "AWS_REGION": roles.region,
        "AWS_DEFAULT_REGION": roles.region,
    }
