"""Image helpers that need no Docker engine: ECR login and tag checks (on moto), the choice of
BuildKit client, and what happens when no engine answers."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestrator.stacks.todo import images
from orchestrator.stacks.todo.local_tasks import run_local_task, stop_local_task

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
)


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("ecr", region_name="us-east-1")


def test_ecr_login_decodes_the_authorization_token(ecr: Any) -> None:
    auth = images.ecr_login(ecr)
    assert auth.username == "AWS"
    assert auth.password and ":" not in auth.password
    assert auth.registry.startswith("https://") and ".dkr.ecr." in auth.registry
    assert auth.password not in repr(auth)  # never printed by accident
    assert auth.auth_config()["serveraddress"] == auth.registry


def test_image_exists_in_ecr_by_tag(ecr: Any) -> None:
    assert not images.image_exists_in_ecr(ecr, "todo-dev", "abc")  # no repository yet
    ecr.create_repository(repositoryName="todo-dev")
    assert not images.image_exists_in_ecr(ecr, "todo-dev", "abc")
    ecr.put_image(repositoryName="todo-dev", imageManifest=MANIFEST, imageTag="abc")
    assert images.image_exists_in_ecr(ecr, "todo-dev", "abc")


def test_local_registry_image_keeps_the_repository_name() -> None:
    image = images.local_registry_image("todo-dev", "0123456789abcdef")
    assert str(image) == f"{images.LOCAL_REGISTRY}/todo-dev:0123456789abcdef"
    assert image.by_digest("sha256:x") == f"{images.LOCAL_REGISTRY}/todo-dev@sha256:x"


def _fake_docker(directory: Path, *, version: str, buildx: bool) -> Path:
    directory.mkdir()
    script = directory / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = buildx ]; then exit {0 if buildx else 1}; fi\n'
        f'if [ "$1" = version ]; then echo {version}; exit 0; fi\n'
        "exit 2\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_buildkit_prefers_buildx_then_an_old_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORCHESTRATE_DOCKER_CLI", raising=False)
    new = _fake_docker(tmp_path / "new", version="28.2.2", buildx=False)
    old = _fake_docker(tmp_path / "old", version="20.10.24+dfsg1", buildx=False)
    monkeypatch.setenv("PATH", f"{new.parent}:{old.parent}")
    assert images.buildkit_command() == ([str(old), "build"], {"DOCKER_BUILDKIT": "1"})

    with_buildx = _fake_docker(tmp_path / "buildx", version="28.2.2", buildx=True)
    monkeypatch.setenv("PATH", f"{new.parent}:{with_buildx.parent}:{old.parent}")
    assert images.buildkit_command() == ([str(with_buildx), "buildx", "build", "--load"], {})

    monkeypatch.setenv("PATH", str(new.parent))
    with pytest.raises(images.ImageError, match="install the buildx plugin"):
        images.buildkit_command()


def test_ca_bundle_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (images.CA_BUNDLE_ENV, "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert images.resolve_ca_bundle() is None
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert images.resolve_ca_bundle() == bundle
    monkeypatch.setenv(images.CA_BUNDLE_ENV, str(tmp_path / "missing.pem"))
    assert images.resolve_ca_bundle() == bundle  # a named file that is not there is skipped


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")


def test_an_unreachable_engine_says_what_to_do(no_engine: None, tmp_path: Path) -> None:
    assert not images.engine_available()
    with pytest.raises(images.EngineUnreachableError, match="Start Docker"):
        images.build_image(tmp_path, "local/x", ca_bundle=None)


def test_without_an_engine_the_local_task_runs_under_uvicorn(
    no_engine: None, tmp_path: Path, task_name: str, port: int
) -> None:
    lines: list[str] = []
    task = run_local_task(
        "local/todo:never-built",
        port=port,
        name=task_name,
        work_dir=tmp_path,
        on_line=lines.append,
    )
    try:
        assert task.runner == "uvicorn"
        assert any("no Docker engine" in line for line in lines)
    finally:
        assert stop_local_task(name=task_name, work_dir=tmp_path)
