"""Keep orchestrator tests away from the user's AWS account and work dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.orchestrator.moto_inventory import Clients, clients, inventory_cloud

AWS_CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials, no instance metadata lookups, a private work dir."""
    for name in AWS_CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    # boto3 would otherwise ask the EC2 metadata address, which is off this machine.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    home = tmp_path / "orchestrate-home"
    monkeypatch.setenv("ORCHESTRATE_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server for one test module (its own queues, bucket and functions)."""
    with inventory_cloud(tmp_path_factory.mktemp("moto-inventory")) as url:
        yield url


@pytest.fixture
def aws(endpoint: str) -> Clients:
    return clients(endpoint)
