"""Temporary credentials of IAM roles for the code the local cloud runs, as AWS services get them.

Lambda assumes a function's execution role, and ECS a task's execution and task roles, on the
service's behalf: the role must trust the service (``Principal.Service``), and the code runs
with that session's keys, so its role's policies decide what it may call. Sessions come from
moto's STS backend directly (an ``AssumeRole`` API call would be made by a principal, and
moto cannot evaluate a ``Service`` principal) and are reused per role until close to expiry.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from orchestrator.errors import OrchestrateError

SESSION_SECONDS = 3600
# A session is renewed when it has less than this left: long enough for a 15-minute invocation.
RENEW_BEFORE_SECONDS = 20 * 60


class RoleSessionError(OrchestrateError):
    """The role does not exist, or does not trust the service that would assume it."""


@dataclass(frozen=True)
class RoleCredentials:
    role_arn: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float  # time.time()

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }

    def fresh(self, now: float | None = None) -> bool:
        return self.expires_at - (now or time.time()) > RENEW_BEFORE_SECONDS

    def as_json(self) -> dict[str, Any]:
        return {
            "RoleArn": self.role_arn,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Token": self.session_token,
            "Expiration": self.expires_at,
        }


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def trusts(trust_policy: str | dict[str, Any], service: str) -> bool:
    """Whether a role's trust policy lets ``service`` (``lambda.amazonaws.com``) assume it."""
    document = json.loads(trust_policy) if isinstance(trust_policy, str) else trust_policy
    statements = document.get("Statement", [])
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") or {}
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if service not in services and principal != "*":
            continue
        if not any(fnmatchcase("sts:AssumeRole", a) for a in _as_list(statement.get("Action"))):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


class RoleSessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], RoleCredentials] = {}

    def credentials(self, role_arn: str, service: str, region: str) -> RoleCredentials:
        """Credentials of ``role_arn`` for ``service``, reused until close to their expiry."""
        key = (role_arn, service)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.fresh() and _role_exists(role_arn):
                return cached
            fresh = _assume(role_arn, service, region)
            self._cache[key] = fresh
            return fresh


def _role(role_arn: str) -> Any:
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    parts = role_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[1] not in PARTITION_NAMES:
        raise RoleSessionError(f"{role_arn!r} is not an IAM role ARN")
    try:
        return iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
    except NotFoundException:
        raise RoleSessionError(f"the role {role_arn} does not exist") from None


def _role_exists(role_arn: str) -> bool:
    try:
        _role(role_arn)
    except RoleSessionError:
        return False  # deleted (or reset) since: assume again, which says why it fails
    return True


def _assume(role_arn: str, service: str, region: str) -> RoleCredentials:
    from moto.sts.models import sts_backends

    role = _role(role_arn)
    if not trusts(role.assume_role_policy_document, service):
        raise RoleSessionError(
            f"{service} cannot assume the role {role_arn}: its trust policy does not name "
            f"the service principal {service}"
        )
    partition = role_arn.split(":")[1]
    account = role_arn.split(":")[4]
    session_name = service.split(".", 1)[0] + "-" + str(int(time.time()))
    assumed = sts_backends[account][partition].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=None,  # type: ignore[arg-type]
        duration=SESSION_SECONDS,
        external_id=None,  # type: ignore[arg-type]
    )
    return RoleCredentials(
        role_arn=role_arn,
        access_key_id=assumed.access_key_id,
        secret_access_key=assumed.secret_access_key,
        session_token=assumed.session_token,
        expires_at=time.time() + SESSION_SECONDS,
    )
