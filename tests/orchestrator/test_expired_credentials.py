"""Keys AWS refuses (an ended Learner Lab session, or wrong keys) end in one message, no traceback.

The local cloud enforces IAM as AWS does: a key id it does not know is refused with
InvalidClientTokenId (S3: InvalidAccessKeyId). Commands run through `main` against it as
`--target aws`, with AWS_ENDPOINT_URL pointing there and unknown keys in the environment.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.ports import free_port
from orchestrator import expired_credentials
from orchestrator.cli import EXIT_FAILED, main
from orchestrator.terraform import TerraformError
from orchestrator.workspace import StackWorkspace
from tests.conftest import require_component

PORTS = range(4850, 4860)
ONE_MESSAGE = "AWS refused the credentials (InvalidClientTokenId"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_component(importlib.util.find_spec("moto") is not None, "moto is not installed")
    from orchestrator.local_cloud import control

    work_dir = tmp_path_factory.mktemp("expired-cloud")
    cloud = control.up(work_dir, port=free_port(PORTS))
    try:
        yield cloud.endpoint_url
    finally:
        control.down(work_dir)


@pytest.fixture
def unknown_keys(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAENDEDSESSION0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "no-longer-valid")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "ended")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("ORCHESTRATE_DOTENV", "off")


def assert_one_message(err: str, detail: str = ONE_MESSAGE) -> None:
    assert f"error: {detail}" in err
    assert "the AWS session has ended (Learner Lab keys last about 4 hours)" in err
    assert "hint: paste fresh keys from the Learner Lab's 'AWS Details'" in err
    assert "into .env" in err and "run the same command again" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("unknown_keys")
def test_sweep_with_refused_keys(capsys: pytest.CaptureFixture[str]) -> None:
    # A refusal the sweep wraps in its own error (raised from botocore's).
    assert main(["sweep", "inventory", "--target", "aws"]) == EXIT_FAILED
    # The tagging API's code for an unknown key
    assert_one_message(capsys.readouterr().err, "AWS refused the credentials (Unrecognized")


@pytest.mark.usefixtures("unknown_keys")
def test_deploy_stops_at_the_preflight_with_the_one_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "inventory", "--target", "aws"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert_one_message(captured.err)
    assert "sts:GetCallerIdentity refused them (InvalidClientTokenId" in captured.out


@pytest.mark.usefixtures("unknown_keys")
def test_doctor_says_how_to_renew_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "inventory", "--target", "aws"]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "[fail] aws credentials: sts:GetCallerIdentity refused them (InvalidClientTokenId" in out
    assert "fix: paste fresh keys from the Learner Lab's 'AWS Details'" in out


@pytest.mark.usefixtures("unknown_keys")
def test_a_botocore_error_no_command_wraps(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN outputs of an inventory deployed on AWS, as the work dir caches them
    workspace = StackWorkspace(isolated_environment, "aws", "dev", "inventory")
    workspace.dir.mkdir(parents=True)
    outputs = {"log_group_names": {"load_inventory": "/aws/lambda/inventory-dev-load"}}
    workspace.outputs_path.write_text(json.dumps(outputs))

    # WHEN its logs are asked for: CloudWatch Logs refuses the keys
    assert main(["logs", "load_inventory", "--target", "aws"]) == EXIT_FAILED

    # THEN the same one message (the code is CloudWatch's own)
    err = capsys.readouterr().err
    assert_one_message(err, "AWS refused the credentials (")
    assert any(code in err for code in expired_credentials.CODES)


def test_terraforms_provider_refusal_is_recognized() -> None:
    diagnostics = (
        "Error: validating provider credentials: retrieving caller identity from STS: "
        "operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
        "RequestID: 1b2c, api error ExpiredToken: The security token included in the request "
        "is expired"
    )
    error = TerraformError(["terraform", "plan"], 1, diagnostics)

    found = expired_credentials.recognize(error)

    assert found is not None and "(ExpiredToken)" in str(found)
    assert expired_credentials.recognize(TerraformError(["terraform"], 1, "Error: boom")) is None
    assert expired_credentials.recognize(ValueError("AccessDenied: not allowed")) is None
