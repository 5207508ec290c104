"""LabRole detection and the doctor's preflight, against a moto server that enforces IAM.

The server starts open (moto's ``INITIAL_NO_AUTH_ACTION_COUNT`` is infinite by default) so the
fixture can make its users; then ``/moto-api/reset-auth`` with 0 makes every later request go
through IAM access control, as on AWS: unknown keys are refused, and a user's policies decide.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.moto_server import moto_server
from devtools.ports import free_port
from orchestrator.cli import main
from orchestrator.targets import LabRoleUnknownError, Target

PORTS = range(4740, 4750)
REGION = "us-east-1"
ACCOUNT = "123456789012"
LAB_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/LabRole"
# Everything a deploy's preflight reads, except IAM: like credentials that may not read roles.
NO_IAM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["sts:*", "s3:*", "lambda:*", "ecs:*"], "Resource": "*"}
    ],
}
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class GuardedCloud:
    endpoint: str
    admin: Keys
    no_iam: Keys

    def client(self, service: str, keys: Keys) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
        )

    def target(self, keys: Keys) -> Target:
        env = {
            "AWS_ACCESS_KEY_ID": keys.access_key_id,
            "AWS_SECRET_ACCESS_KEY": keys.secret_access_key,
            "AWS_REGION": REGION,
        }
        return Target(name="aws", region=REGION, env=env, endpoint_url=self.endpoint)


def _user(iam: Any, name: str, policy: dict[str, Any]) -> Keys:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Keys(key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuardedCloud]:
    log = tmp_path_factory.mktemp("moto-iam") / "moto.log"
    with moto_server(free_port(PORTS), log) as endpoint:
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        admin = _user(iam, "admin", ADMIN_POLICY)
        no_iam = _user(iam, "no-iam-reader", NO_IAM_POLICY)
        # A form content type (urllib's default) would hide the body from moto.
        request = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
        yield GuardedCloud(endpoint, admin, no_iam)


@pytest.fixture
def lab_role(guarded: GuardedCloud) -> Iterator[str]:
    iam = guarded.client("iam", guarded.admin)
    trust = {"Version": "2012-10-17", "Statement": []}
    role = iam.create_role(RoleName="LabRole", AssumeRolePolicyDocument=json.dumps(trust))
    yield str(role["Role"]["Arn"])
    iam.delete_role(RoleName="LabRole")


@pytest.fixture
def provider_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror holding the locked provider version, so no check reaches the registry."""
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(
        parents=True
    )
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    return mirror


def use_as_aws(monkeypatch: pytest.MonkeyPatch, guarded: GuardedCloud, keys: Keys) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", guarded.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


# ------------------------------------------------------------------------- LabRole detection
def test_no_such_entity_means_no_lab_role(guarded: GuardedCloud) -> None:
    # GIVEN credentials that may read IAM, in an account without LabRole
    target = guarded.target(guarded.admin)

    # WHEN / THEN the modules are told to create their roles
    assert target.lab_role_arn() is None


def test_lab_role_is_found_when_present(guarded: GuardedCloud, lab_role: str) -> None:
    assert guarded.target(guarded.admin).lab_role_arn() == lab_role


def test_access_denied_on_get_role_stops_with_the_variable_to_pass(
    guarded: GuardedCloud, lab_role: str
) -> None:
    # GIVEN credentials whose policy lacks iam:GetRole (the role exists, they cannot see it)
    target = guarded.target(guarded.no_iam)

    # WHEN the orchestrator looks for LabRole
    with pytest.raises(LabRoleUnknownError) as raised:
        target.lab_role_arn()

    # THEN it does not guess "no LabRole": it says why and what to pass
    message = str(raised.value)
    assert "AccessDenied" in message
    assert "may not read IAM roles" in message
    assert f"--var lab_role_arn={LAB_ROLE_ARN}" in message
    assert "--var lab_role_arn=none" in message


def test_unknown_keys_are_a_refusal_too(guarded: GuardedCloud) -> None:
    target = guarded.target(Keys("AKIAUNKNOWNKEY000000", "nope"))

    with pytest.raises(LabRoleUnknownError, match="InvalidClientTokenId"):
        target.lab_role_arn()


# ----------------------------------------------------------------------------------- doctor
def test_doctor_on_the_local_target_checks_the_machine(
    provider_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "--target", "local"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "[ok  ] terraform: " in out
    assert f"[ok  ] providers: hashicorp/aws 5.100.0 in the mirror {provider_mirror}" in out
    assert "docker engine:" in out  # ok or warn: the TODO image is the only user
    assert "local cloud: moto " in out
    assert "aws credentials" not in out


def test_doctor_warns_when_the_mirror_lacks_the_locked_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(tmp_path / "empty-mirror"))

    main(["doctor", "--target", "local"])

    out = capsys.readouterr().out
    assert "[warn] providers: " in out
    assert "terraform providers mirror DIR" in out


def test_doctor_without_credentials_fails_with_what_to_do(
    provider_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "--target", "aws"])

    out = capsys.readouterr().out
    assert code == 1
    assert "[fail] aws credentials: none found" in out
    assert "aws configure" in out and "AWS Details" in out


def test_doctor_on_aws_reports_account_lab_role_and_ecs_role(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN an account without LabRole, Block Public Access or the ECS service-linked role
    use_as_aws(monkeypatch, guarded, guarded.admin)

    # WHEN
    code = main(["doctor", "--target", "aws"])

    # THEN nothing fails; the missing ECS role is a warning with the command that makes it
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"[ok  ] aws credentials: account {ACCOUNT} as arn:aws:iam::{ACCOUNT}:user/admin" in out
    assert f"region {REGION}" in out
    assert "[ok  ] LabRole: absent: the modules create least-privilege roles" in out
    assert "[ok  ] s3 block public access: no account-level block" in out
    assert "[warn] ecs service-linked role: AWSServiceRoleForECS is absent" in out
    assert "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com" in out


def test_doctor_fails_when_the_account_blocks_public_bucket_policies(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, guarded, guarded.admin)
    from orchestrator.doctor import s3control_client

    s3control = s3control_client(guarded.target(guarded.admin))
    s3control.put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    try:
        code = main(["doctor", "--target", "aws"])
    finally:
        s3control.delete_public_access_block(AccountId=ACCOUNT)

    out = capsys.readouterr().out
    assert code == 1
    assert "[fail] s3 block public access: the account blocks public bucket policies" in out
    assert "BlockPublicPolicy=false" in out


def test_doctor_fails_when_iam_refuses_get_role_and_passes_with_the_role_given(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, guarded, guarded.no_iam)

    refused = main(["doctor", "--target", "aws"])
    refused_out = capsys.readouterr().out
    given = main(["doctor", "--target", "aws", "--var", f"lab_role_arn={LAB_ROLE_ARN}"])
    given_out = capsys.readouterr().out

    assert refused == 1
    assert "[fail] LabRole: cannot tell whether this account has" in refused_out
    assert given == 0, given_out
    assert f"[ok  ] LabRole: given with --var lab_role_arn={LAB_ROLE_ARN}" in given_out
    assert "[warn] ecs service-linked role: could not check (AccessDenied" in given_out


def test_doctor_with_refused_keys_fails_on_the_credentials(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, guarded, Keys("AKIAEXPIREDKEY000000", "nope"))

    code = main(["doctor", "--target", "aws"])

    out = capsys.readouterr().out
    assert code == 1
    assert "[fail] aws credentials: sts:GetCallerIdentity refused them (InvalidClientTokenId" in out
    assert "LabRole" not in out


def test_deploy_to_aws_stops_on_a_failed_preflight_before_packaging(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN credentials that may not read IAM roles
    use_as_aws(monkeypatch, guarded, guarded.no_iam)

    # WHEN deploying to AWS
    code = main(["deploy", "inventory", "--target", "aws"])

    # THEN the preflight stops it: nothing is packaged, terraform never runs
    captured = capsys.readouterr()
    assert code == 1
    assert "Preflight checks" in captured.out
    assert f"--var lab_role_arn={LAB_ROLE_ARN}" in captured.out
    assert "a preflight check failed" in captured.err
    assert "Packaging" not in captured.out
    assert "terraform init" not in captured.out


def test_deploy_of_a_saved_plan_does_not_look_for_lab_role(
    guarded: GuardedCloud,
    provider_mirror: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN credentials that may not read IAM roles, and a saved plan (its variables are fixed)
    use_as_aws(monkeypatch, guarded, guarded.no_iam)

    # WHEN applying it
    code = main(["deploy", "inventory", "--target", "aws", "--plan", str(tmp_path / "p.tfplan")])

    # THEN the preflight passes without LabRole, and the deploy goes on to read the plan
    captured = capsys.readouterr()
    assert code == 1
    assert "LabRole" not in captured.out
    assert "does not exist" in captured.err


# ------------------------------------------------------------------------ doctor for one stack
def test_doctor_for_the_inventory_checks_no_docker_and_no_ecs_role(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN an account without the ECS service-linked role (a warning for the todo stack)
    use_as_aws(monkeypatch, guarded, guarded.admin)

    # WHEN only the inventory's needs are checked
    code = main(["doctor", "inventory", "--target", "aws"])

    # THEN its website's Block Public Access is checked; Docker and the ECS role are not
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[ok  ] s3 block public access: " in out
    assert "docker" not in out
    assert "ecs service-linked role" not in out
    assert "Ready to deploy to aws (0 warned)." in out


def test_doctor_for_the_todo_checks_docker_and_the_ecs_role_not_public_access(
    guarded: GuardedCloud,
    provider_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN an account that blocks public bucket policies (only the inventory's website cares)
    use_as_aws(monkeypatch, guarded, guarded.admin)
    from orchestrator.doctor import s3control_client

    s3control = s3control_client(guarded.target(guarded.admin))
    s3control.put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    try:
        # WHEN only the todo stack's needs are checked
        todo = main(["doctor", "todo", "--target", "aws"])
        todo_out = capsys.readouterr().out
        every = main(["doctor", "--target", "aws"])
        every_out = capsys.readouterr().out
    finally:
        s3control.delete_public_access_block(AccountId=ACCOUNT)

    # THEN the block does not fail the todo stack, which gets its own checks; all stacks fail
    assert todo == 0, todo_out
    assert "s3 block public access" not in todo_out
    assert "docker engine:" in todo_out
    assert "[warn] ecs service-linked role: AWSServiceRoleForECS is absent" in todo_out
    assert every == 1
    assert "[fail] s3 block public access" in every_out


def test_doctor_for_one_stack_on_the_local_target(
    provider_mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "inventory", "--target", "local"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "[ok  ] terraform: " in out
    assert "local cloud: moto " in out
    assert "docker" not in out


def test_doctor_refuses_an_unknown_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "website", "--target", "local"]) == 2
    assert "invalid choice: 'website'" in capsys.readouterr().err
