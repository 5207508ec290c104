"""One test per failure family through main([...]): the exit code, ``error: ...`` on stderr and
never a traceback. Real components fail for real: terraform, the Docker engine, the local cloud
and its S3. The tests that reach the local cloud share one per module, on ports of their own."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.ports import free_port
from orchestrator.cli import EXIT_FAILED, EXIT_USAGE, main
from orchestrator.errors import OrchestrateError, UsageError
from orchestrator.local_cloud import control
from orchestrator.local_cloud.monkeypatch import MOTO_VERSION
from orchestrator.stacks.todo.images import ImageError, engine_available
from orchestrator.state_backend import BUCKET_ENV, StateBackendError
from orchestrator.terraform import MIRROR_ENV, TerraformError
from orchestrator.var_check import InvalidVariableError, UnknownVariableError
from tests.conftest import require_component

PORTS = range(4820, 4830)


def failed_cleanly(
    capsys: pytest.CaptureFixture[str], exit_code: int, expected: int = EXIT_FAILED
) -> str:
    """Assert the command failed with ``expected`` and an ``error:`` line, no traceback; the
    error output, for the test's own checks."""
    captured = capsys.readouterr()
    assert exit_code == expected, captured.err
    assert any(line.startswith("error: ") for line in captured.err.splitlines()), captured.err
    assert "Traceback" not in captured.out + captured.err
    return captured.err


@pytest.fixture(scope="module")
def shared_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """A work dir and port whose local cloud the module's tests share (the first one starts it;
    each test still works alone)."""
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )
    home = tmp_path_factory.mktemp("orchestrate-home")
    try:
        yield home, free_port(PORTS)
    finally:
        control.down(home / "local-cloud")


@pytest.fixture
def on_local_cloud(shared_cloud: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> Path:
    home, port = shared_cloud
    monkeypatch.setenv("ORCHESTRATE_HOME", str(home))
    monkeypatch.setenv(control.PORT_ENV, str(port))
    return home


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", free_port(PORTS)))
        other.listen()
        yield other.getsockname()[1]


def test_every_family_derives_from_the_one_base() -> None:
    for family in (TerraformError, ImageError, control.LocalCloudError, StateBackendError):
        assert issubclass(family, OrchestrateError) and family.exit_code == EXIT_FAILED
    for bad_usage in (UsageError, UnknownVariableError, InvalidVariableError):
        assert issubclass(bad_usage, OrchestrateError) and bad_usage.exit_code == EXIT_USAGE


# --------------------------------------------------------------------------- terraform
def test_terraform_missing_from_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a PATH without terraform
    monkeypatch.setenv("PATH", str(tmp_path))
    # WHEN a stack is deployed
    exit_code = main(["deploy", "inventory", "--target", "local"])
    # THEN it fails at once and says what is missing
    err = failed_cleanly(capsys, exit_code)
    assert "terraform" in err


def test_terraform_init_with_a_provider_mirror_that_has_no_provider(
    on_local_cloud: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a provider mirror that holds nothing, and a saved plan to estimate
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    monkeypatch.setenv(MIRROR_ENV, str(empty_mirror))
    plan = tmp_path / "saved.tfplan"
    plan.write_bytes(b"")
    # WHEN terraform init runs for real
    exit_code = main(["cost", "inventory", "--target", "local", "--plan", str(plan)])
    # THEN terraform's own diagnostic reaches the user, naming the mirror it searched
    err = failed_cleanly(capsys, exit_code)
    assert "error: terraform init failed" in err
    assert str(empty_mirror) in err


# --------------------------------------------------------------------------- image build
def test_no_docker_engine_stops_a_todo_deploy_early(
    on_local_cloud: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN DOCKER_HOST naming a port nothing listens on
    closed = free_port(PORTS, exclude={int(os.environ[control.PORT_ENV])})
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{closed}")
    # WHEN the TODO stack is deployed on the local target
    exit_code = main(["deploy", "todo", "--target", "local"])
    # THEN it stops before building anything, and says how to go on
    err = failed_cleanly(capsys, exit_code)
    assert f"no Docker engine answers (tcp://127.0.0.1:{closed})" in err
    assert "--no-docker" in err


def test_an_image_build_that_fails_on_its_base_image(
    on_local_cloud: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require_component(engine_available(), "no Docker engine answers (start Docker)")
    # GIVEN a base image on a registry port of this machine where nothing listens
    closed = free_port(PORTS, exclude={int(os.environ[control.PORT_ENV])})
    monkeypatch.setenv("TODO_BASE_IMAGE", f"127.0.0.1:{closed}/does-not-exist:1")
    # WHEN the TODO stack is deployed on the local target (the real engine builds)
    exit_code = main(["deploy", "todo", "--target", "local"])
    # THEN the build's own failure is the error
    err = failed_cleanly(capsys, exit_code)
    assert "error: docker build failed" in err
    assert f"127.0.0.1:{closed}/does-not-exist" in err


# --------------------------------------------------------------------------- local cloud
def test_local_cloud_port_taken_by_another_program(
    taken_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(control.PORT_ENV, str(taken_port))

    exit_code = main(["local", "up"])

    err = failed_cleanly(capsys, exit_code)
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in err


def test_debug_shows_the_traceback_and_keeps_the_exit_code(
    taken_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(control.PORT_ENV, str(taken_port))

    exit_code = main(["-d", "local", "up"])

    captured = capsys.readouterr()
    assert exit_code == EXIT_FAILED
    assert "Traceback" in captured.err and "LocalCloudError" in captured.err
    assert captured.err.rstrip().splitlines()[-1].startswith("error: Port")


def test_local_cloud_refuses_another_moto_and_says_which_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )
    # GIVEN pip's record of another moto first on the server's import path
    record = tmp_path / "site-packages" / "moto-5.0.0.dist-info"
    record.mkdir(parents=True)
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: moto\nVersion: 5.0.0\n")
    search_path = [str(record.parent), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, search_path)))
    monkeypatch.setenv(control.PORT_ENV, str(free_port(PORTS)))
    # WHEN the local cloud is started
    exit_code = main(["local", "up"])
    # THEN the server's reason is the error: both versions and the command that fixes it
    err = failed_cleanly(capsys, exit_code)
    assert "error: moto 5.0.0 is installed" in err
    assert f"pip install 'moto[server]=={MOTO_VERSION}'" in err


# --------------------------------------------------------------------------- state backend
def test_state_bucket_that_does_not_exist(
    on_local_cloud: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN team state in a bucket the local cloud does not have
    bucket = f"missing-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(BUCKET_ENV, bucket)
    # WHEN a stack is destroyed (the state would be read from the bucket)
    exit_code = main(["destroy", "inventory", "--target", "local"])
    # THEN it stops before terraform touches anything, and says how to make the bucket
    err = failed_cleanly(capsys, exit_code)
    assert f"the state bucket {bucket} ({BUCKET_ENV}) does not exist" in err
    assert "create-bucket" in err


# --------------------------------------------------------------------------- bad usage
@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["deploy", "nope"], "'nope'"),
        (["deploy", "inventory", "--bogus"], "--bogus"),
        (["deploy", "inventory", "--target", "local", "--var", "no_such=1"], "'no_such'"),
    ],
    ids=["unknown-stack", "unknown-option", "unknown-variable"],
)
def test_bad_usage(argv: list[str], named: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = failed_cleanly(capsys, main(argv), expected=EXIT_USAGE)
    assert named in err


def test_a_value_the_stack_refuses_is_bad_usage(
    on_local_cloud: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a threshold the module's validation refuses
    # WHEN it is planned
    exit_code = main(["plan", "inventory", "--target", "local", "--var", "low_stock_threshold=-1"])
    # THEN terraform's validation message is the error, with the bad-usage exit code
    err = failed_cleanly(capsys, exit_code, expected=EXIT_USAGE)
    assert "low_stock_threshold must be a whole number" in err
