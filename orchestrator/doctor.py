"""Preflight checks: what a deploy needs from this machine and, on AWS, from the account.

Each check says ok, warn or fail, and what to do about anything but ok. ``deploy --target aws``
runs the same checks first and stops on a fail, before packaging or terraform starts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orchestrator import expired_credentials
from orchestrator.stacks import STACKS, get_stack
from orchestrator.targets import (
    DEFAULT_REGION,
    LabRoleUnknownError,
    Target,
    aws_credentials_available,
)
from orchestrator.terraform import MIRROR_ENV

Status = Literal["ok", "warn", "fail"]

ECS_SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"
REGISTRY_URL = "https://registry.terraform.io/.well-known/terraform.json"
LEARNER_LAB_CREDENTIALS = (
    "Learner Lab: start the lab, open 'AWS Details' and copy the credentials into "
    "~/.aws/credentials (they expire with the session)"
)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        found = [f"[{self.status:<4}] {self.name}: {self.detail}"]
        if self.fix and self.status != "ok":
            found.append(f"       fix: {self.fix}")
        return found


def failed(checks: Iterable[Check]) -> list[Check]:
    return [check for check in checks if check.status == "fail"]


def run_checks(
    target_name: str,
    *,
    stacks: Collection[str] = tuple(STACKS),
    user_vars: dict[str, Any] | None = None,
    target: Target | None = None,
    saved_plan: bool = False,
) -> list[Check]:
    """Every check for deploying ``stacks`` to ``target_name`` (aws: ``target`` or one made).

    ``saved_plan``: a plan's variables are fixed already, so LabRole is not looked for.
    """
    checks = [terraform_check(stacks), provider_source_check(stacks)]
    if "todo" in stacks:
        checks.extend(docker_checks())
    if target_name == "local":
        checks.append(local_cloud_check())
    else:
        checks.extend(
            aws_checks(target, stacks=stacks, user_vars=user_vars or {}, saved_plan=saved_plan)
        )
    return checks


# ------------------------------------------------------------------------------ machine
def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def required_terraform(stacks: Iterable[str]) -> str | None:
    """The highest ``>= X`` floor of the stacks' ``required_version``."""
    floors: list[str] = []
    for stack in stacks:
        versions_tf = get_stack(stack).config_dir / "versions.tf"
        found = re.search(r'required_version\s*=\s*"([^"]+)"', versions_tf.read_text())
        if found:
            floors += re.findall(r">=\s*([\d.]+)", found.group(1))
    return max(floors, key=_version_tuple) if floors else None


def terraform_check(stacks: Iterable[str]) -> Check:
    install = "install Terraform (https://developer.hashicorp.com/terraform/install) onto PATH"
    binary = shutil.which("terraform")
    if binary is None:
        return Check("terraform", "fail", "not found on PATH", install)
    env = dict(os.environ, CHECKPOINT_DISABLE="1")
    if env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).exists():
        del env["TF_CLI_CONFIG_FILE"]
    try:
        done = subprocess.run(
            [binary, "version", "-json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
        )
        version = str(json.loads(done.stdout)["terraform_version"])
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as error:
        return Check("terraform", "fail", f"{binary} does not answer 'version -json' ({error})")
    required = required_terraform(stacks)
    if required and _version_tuple(version) < _version_tuple(required):
        return Check(
            "terraform",
            "fail",
            f"{version} at {binary}, the stacks need >= {required}",
            f"upgrade Terraform to {required} or later",
        )
    need = f" (the stacks need >= {required})" if required else ""
    return Check("terraform", "ok", f"{version} at {binary}{need}")


def _locked_aws_versions(stacks: Iterable[str]) -> set[str]:
    versions: set[str] = set()
    for stack in stacks:
        lock = get_stack(stack).config_dir / ".terraform.lock.hcl"
        if lock.exists():
            block = re.search(
                r'provider "registry\.terraform\.io/hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"',
                lock.read_text(),
            )
            if block:
                versions.add(block.group(1))
    return versions


def _mirrored_versions(mirror: Path) -> set[str]:
    """Versions of hashicorp/aws in a filesystem mirror (unpacked or packed layout)."""
    provider = mirror / "registry.terraform.io" / "hashicorp" / "aws"
    if not provider.is_dir():
        return set()
    found = {entry.name for entry in provider.iterdir() if entry.is_dir()}
    for archive in provider.glob("terraform-provider-aws_*_*.zip"):
        found.add(archive.name.split("_")[1])
    return found


def provider_source_check(stacks: Iterable[str], *, timeout: float = 5) -> Check:
    locked = _locked_aws_versions(stacks)
    wanted = ", ".join(sorted(locked)) or "any"
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        mirrored = _mirrored_versions(Path(mirror))
        if locked and locked <= mirrored:
            return Check("providers", "ok", f"hashicorp/aws {wanted} in the mirror {mirror}")
        return Check(
            "providers",
            "warn",
            f"{MIRROR_ENV}={mirror} holds hashicorp/aws {', '.join(sorted(mirrored)) or 'none'}, "
            f"the lock files want {wanted}",
            f"point {MIRROR_ENV} at a mirror made with 'terraform providers mirror DIR', or "
            "unset it to install from the public registry",
        )
    try:
        with urllib.request.urlopen(REGISTRY_URL, timeout=timeout):
            pass
    except OSError as error:
        return Check(
            "providers",
            "warn",
            f"the Terraform registry is out of reach ({error})",
            f"check the network or proxy, or set {MIRROR_ENV} to a filesystem mirror of "
            f"hashicorp/aws {wanted} ('terraform providers mirror DIR' on a connected machine)",
        )
    return Check("providers", "ok", f"registry.terraform.io reachable (hashicorp/aws {wanted})")


def docker_checks() -> list[Check]:
    """Docker builds the TODO image; nothing else needs it, so these only warn."""
    from orchestrator.stacks.todo import images

    why = "only the todo stack needs it, to build its image"
    try:
        images.docker_client(timeout=10).close()
    except images.ImageError as error:
        engine = Check("docker engine", "warn", f"{error}", f"start Docker ({why})")
    else:
        engine = Check("docker engine", "ok", "reachable")
    try:
        argv, extra_env = images.buildkit_command()
    except images.ImageError as error:
        return [engine, Check("docker buildkit", "warn", str(error), f"install buildx ({why})")]
    how = " ".join(argv[1:]) + (" with DOCKER_BUILDKIT=1" if extra_env else "")
    return [engine, Check("docker buildkit", "ok", f"'{how}' ({argv[0]})")]


def local_cloud_check() -> Check:
    from orchestrator.local_cloud import control
    from orchestrator.workspace import local_cloud_dir

    try:
        version = metadata.version("moto")
    except metadata.PackageNotFoundError:
        return Check(
            "local cloud",
            "fail",
            "moto is not installed",
            "pip install -e '.[local]' (moto is pinned to the version the local cloud extends)",
        )
    running = control.status(local_cloud_dir())
    where = f"running at {running.endpoint_url}" if running else "not running (deploy starts it)"
    return Check("local cloud", "ok", f"moto {version}, {where}")


# ---------------------------------------------------------------------------------- aws
def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "error")


def _refusal(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message") or ""
        return f"{_code(error)}: {message}" if message else _code(error)
    return str(error)


def aws_checks(
    target: Target | None,
    *,
    stacks: Collection[str],
    user_vars: dict[str, Any],
    saved_plan: bool = False,
) -> list[Check]:
    if not aws_credentials_available():
        return [
            Check(
                "aws credentials",
                "fail",
                "none found (environment, AWS_PROFILE, ~/.aws/credentials)",
                f"run 'aws configure' or set AWS_PROFILE; {LEARNER_LAB_CREDENTIALS}",
            )
        ]
    configured_region = boto3.Session().region_name
    if target is None:
        region = configured_region or DEFAULT_REGION
        target = Target(name="aws", region=region, env={"AWS_REGION": region})
    try:
        identity = target.client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        expired = expired_credentials.recognize(error)
        fix = f"renew or fix the credentials; {LEARNER_LAB_CREDENTIALS}"
        if expired is not None and expired.hint:
            fix = expired.hint  # the session ended: fresh keys, then the same command again
        detail = f"sts:GetCallerIdentity refused them ({_refusal(error)})"
        return [Check("aws credentials", "fail", detail, fix)]
    account = str(identity["Account"])
    region_note = "" if configured_region else " (none configured: the default)"
    checks = [
        Check(
            "aws credentials",
            "ok",
            f"account {account} as {identity.get('Arn', '?')}, region {target.region}{region_note}",
        ),
    ]
    if not saved_plan:
        checks.append(lab_role_check(target, user_vars))
    if "inventory" in stacks:
        checks.append(public_access_block_check(target, account))
    if "todo" in stacks:
        checks.append(ecs_service_linked_role_check(target))
    return checks


def lab_role_check(target: Target, user_vars: dict[str, Any]) -> Check:
    if "lab_role_arn" in user_vars:
        forced = user_vars["lab_role_arn"]
        if forced in (None, "", "none", "null"):
            return Check("LabRole", "ok", "not used (--var lab_role_arn=none): roles are created")
        return Check("LabRole", "ok", f"given with --var lab_role_arn={forced}")
    try:
        arn = target.lab_role_arn()
    except LabRoleUnknownError as error:
        return Check("LabRole", "fail", str(error))
    if arn:
        return Check("LabRole", "ok", f"{arn}: every function and task will run with it")
    return Check(
        "LabRole", "ok", "absent: the modules create least-privilege roles (needs iam:CreateRole)"
    )


def _without_account_host(request: Any, **_: Any) -> None:
    parts = urlsplit(request.url)
    request.url = urlunsplit(parts._replace(netloc=re.sub(r"^\d{12}\.", "", parts.netloc)))


def s3control_client(target: Target) -> Any:
    """S3 Control names the account in its host; an emulator endpoint has no such hosts."""
    client = target.client("s3control")
    if target.endpoint_url or os.environ.get("AWS_ENDPOINT_URL"):
        client.meta.events.register("before-sign.s3-control.*", _without_account_host)
    return client


def public_access_block_check(target: Target, account: str) -> Check:
    name = "s3 block public access"
    try:
        block = s3control_client(target).get_public_access_block(AccountId=account)
    except ClientError as error:
        if _code(error) == "NoSuchPublicAccessBlockConfiguration":
            return Check(name, "ok", "no account-level block: the website bucket may be public")
        return Check(
            name,
            "warn",
            f"could not read the account's setting ({_refusal(error)})",
            "if the inventory deploy fails on its website bucket policy, see the account's "
            "S3 'Block Public Access settings for this account'",
        )
    except BotoCoreError as error:
        return Check(name, "warn", f"could not read the account's setting ({error})")
    config = block.get("PublicAccessBlockConfiguration", {})
    turned_on = [key for key in ("BlockPublicPolicy", "RestrictPublicBuckets") if config.get(key)]
    if not turned_on:
        return Check(name, "ok", "the account does not block public bucket policies")
    fix = (
        "turn them off for this account (S3 console > 'Block Public Access settings for this "
        f"account', or 'aws s3control put-public-access-block --account-id {account} "
        "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
        "BlockPublicPolicy=false,RestrictPublicBuckets=false'), or deploy only the todo stack"
    )
    if config.get("BlockPublicPolicy"):
        return Check(
            name,
            "fail",
            "the account blocks public bucket policies (BlockPublicPolicy): S3 will refuse the "
            "inventory website's public-read policy",
            fix,
        )
    return Check(
        name,
        "warn",
        "the account restricts public buckets (RestrictPublicBuckets): the inventory website "
        "will answer 403 to browsers",
        fix,
    )


def ecs_service_linked_role_check(target: Target) -> Check:
    name = "ecs service-linked role"
    try:
        target.client("iam").get_role(RoleName=ECS_SERVICE_LINKED_ROLE)
    except ClientError as error:
        if _code(error) == "NoSuchEntity":
            return Check(
                name,
                "warn",
                f"{ECS_SERVICE_LINKED_ROLE} is absent: creating the todo stack's ECS service "
                "may fail until it exists",
                "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com",
            )
        return Check(name, "warn", f"could not check ({_refusal(error)})")
    except BotoCoreError as error:
        return Check(name, "warn", f"could not check ({error})")
    return Check(name, "ok", f"{ECS_SERVICE_LINKED_ROLE} exists")
