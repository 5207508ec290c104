"""Deployment targets: a real AWS account, or the local cloud on this machine."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.errors import OrchestrateError
from orchestrator.workspace import local_cloud_dir, local_state_dir

TargetName = Literal["local", "aws"]
TARGET_CHOICES = ("auto", "local", "aws")
DEFAULT_REGION = "us-east-1"
LAB_ROLE_NAME = "LabRole"


class TargetError(OrchestrateError):
    """The requested target cannot be used (no credentials, local cloud will not start...)."""


@dataclass
class Target:
    """Where a stack goes, with the environment terraform and boto3 need to reach it."""

    name: TargetName
    region: str
    env: dict[str, str] = field(default_factory=dict)
    endpoint_url: str | None = None
    reason: str = ""

    def client(self, service: str) -> Any:
        if self.endpoint_url:
            return boto3.client(
                service,  # type: ignore[call-overload]
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            )
        return boto3.Session(region_name=self.region).client(service)  # type: ignore[call-overload]

    def account_id(self) -> str:
        identity = self.client("sts").get_caller_identity()
        return str(identity["Account"])

    def lab_role_arn(self) -> str | None:
        """The Learner Lab's pre-made role, or None when IAM says this account has none.

        Only NoSuchEntity means "no LabRole". A refusal (AccessDenied, expired credentials...)
        says nothing about the role: guessing "none" would make the modules create roles, which
        Learner Lab forbids, so it raises ``LabRoleUnknownError`` instead.
        """
        if self.name == "local":
            return None
        try:
            role = self.client("iam").get_role(RoleName=LAB_ROLE_NAME)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return None
            raise LabRoleUnknownError(self._lab_role_hint(_client_error_text(error))) from error
        except BotoCoreError as error:
            raise LabRoleUnknownError(self._lab_role_hint(str(error))) from error
        return str(role["Role"]["Arn"])

    def _lab_role_hint(self, why: str) -> str:
        try:
            account = self.account_id()
        except (ClientError, BotoCoreError):
            account = "<account>"
        return (
            f"cannot tell whether this account has Learner Lab's {LAB_ROLE_NAME}: iam:GetRole "
            f"was refused ({why}). These credentials may not read IAM roles, so the orchestrator "
            "will not guess (creating roles fails on Learner Lab). Either pass the role: "
            f"--var lab_role_arn=arn:aws:iam::{account}:role/{LAB_ROLE_NAME}, or, in an account "
            "where you may create IAM roles, --var lab_role_arn=none; or use credentials that "
            "can read IAM roles (iam:GetRole)."
        )


class LabRoleUnknownError(TargetError):
    """IAM refused to say whether LabRole exists (AccessDenied, expired credentials...)."""


def _client_error_text(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code = details.get("Code") or "error"
    message = details.get("Message") or ""
    return f"{code}: {message}" if message else code


def forget_local_state() -> bool:
    """Drop the Terraform state of every local deploy; True if there was some."""
    state = local_state_dir()
    if not state.exists():
        return False
    shutil.rmtree(state)
    return True


def aws_credentials_available() -> bool:
    try:
        return boto3.Session().get_credentials() is not None
    except BotoCoreError:
        return False


def _aws_target(reason: str) -> Target:
    session = boto3.Session()
    region = session.region_name or DEFAULT_REGION
    return Target(name="aws", region=region, env={"AWS_REGION": region}, reason=reason)


def _local_target(reason: str, *, start: bool) -> Target:
    from orchestrator.local_cloud import control

    work_dir = local_cloud_dir()
    if start:
        if control.status(work_dir) is None and forget_local_state():
            print(
                "The local cloud was not running, so the resources of earlier local deploys are "
                "gone (it keeps them in memory): starting from an empty local state.",
                flush=True,
            )
        try:
            cloud = control.up(work_dir)
        except control.LocalCloudError as error:
            raise TargetError(f"the local cloud did not start: {error}") from error
    else:
        found = control.status(work_dir)
        if found is None:
            raise TargetError(
                "the local cloud is not running: start it with "
                "'python orchestrate.py local up' or deploy a stack with --target local"
            )
        cloud = found
    env = cloud.env()
    return Target(
        name="local",
        region=env.get("AWS_REGION", DEFAULT_REGION),
        env=env,
        endpoint_url=cloud.endpoint_url,
        reason=reason,
    )


def resolve_target(requested: str, *, start_local: bool = True) -> Target:
    """Pick the target: ``auto`` means AWS when credentials resolve, else the local cloud."""
    if requested == "aws":
        if not aws_credentials_available():
            raise TargetError(
                "--target aws needs AWS credentials, and none were found. Configure them "
                "(aws configure, AWS_PROFILE, or the Learner Lab's 'AWS Details' credentials "
                "in ~/.aws/credentials), or use --target local to run on the local cloud."
            )
        return _aws_target("requested with --target aws")
    if requested == "local":
        return _local_target("requested with --target local", start=start_local)
    if requested == "auto":
        if aws_credentials_available():
            return _aws_target("AWS credentials found (use --target local to stay local)")
        return _local_target("no AWS credentials found", start=start_local)
    raise TargetError(f"unknown target {requested!r}: choose one of {', '.join(TARGET_CHOICES)}")


def named_target(requested: str) -> Target:
    """The target by name only, for reading files the orchestrator keeps (outputs)."""
    if requested == "auto":
        requested = "aws" if aws_credentials_available() else "local"
    if requested not in ("aws", "local"):
        raise TargetError(f"unknown target {requested!r}")
    return Target(name=requested, region=DEFAULT_REGION)  # type: ignore[arg-type]
