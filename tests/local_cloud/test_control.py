"""Starting, finding and stopping the local cloud process."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from orchestrator.local_cloud import control
from tests.local_cloud.conftest import free_port


def test_up_is_idempotent_and_status_finds_the_running_cloud(cloud: control.LocalCloud) -> None:
    pid = json.loads(cloud.pid_file.read_text())["pid"]

    again = control.up(cloud.work_dir, port=cloud.port)

    assert again == cloud
    assert json.loads(cloud.pid_file.read_text())["pid"] == pid  # no second server
    assert control.status(cloud.work_dir) == cloud
    health = cloud.health()
    assert health is not None and health["pid"] == pid and "moto/5.2.5" in health["version"]


def test_up_on_another_port_while_running_says_what_to_do(cloud: control.LocalCloud) -> None:
    other = free_port(exclude={cloud.port})

    with pytest.raises(control.LocalCloudError, match=f"already runs on port {cloud.port}"):
        control.up(cloud.work_dir, port=other)


def test_env_and_urls_point_at_the_cloud(cloud: control.LocalCloud) -> None:
    assert cloud.endpoint_url == f"http://127.0.0.1:{cloud.port}"
    assert cloud.env() == {
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    assert cloud.api_url("abc123") == f"{cloud.endpoint_url}/_api/abc123"
    assert cloud.pid_file.name == "local-cloud.pid"
    assert cloud.log_file.name == "local-cloud.log"


def test_down_stops_it_and_is_safe_twice(tmp_work_dir: Path, cloud: control.LocalCloud) -> None:
    second = control.up(tmp_work_dir, port=free_port(exclude={cloud.port}))
    assert second.health() is not None

    assert control.down(tmp_work_dir) is True
    assert control.down(tmp_work_dir) is False
    assert control.status(tmp_work_dir) is None
    assert second.health() is None
    assert not second.pid_file.exists()
    assert "stopping" in second.log_file.read_text()  # SIGTERM made a clean exit


def test_a_port_in_use_gives_a_clear_error(tmp_work_dir: Path, cloud: control.LocalCloud) -> None:
    port = free_port(exclude={cloud.port})
    with socket.socket() as squatter:
        # As free_port probes: a recent server on this port may have left TIME_WAIT connections.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()

        with pytest.raises(control.LocalCloudError, match=f"Port {port} .* already in use"):
            control.up(tmp_work_dir, port=port)

    assert control.status(tmp_work_dir) is None


def test_a_server_that_does_not_answer_in_time_is_stopped_with_its_log(
    tmp_work_dir: Path, cloud: control.LocalCloud
) -> None:
    with pytest.raises(control.LocalCloudError, match="did not answer .* Last lines of"):
        control.up(tmp_work_dir, port=free_port(exclude={cloud.port}), timeout=0.01)

    assert control.status(tmp_work_dir) is None
    assert not (tmp_work_dir / control.PID_FILE_NAME).exists()


def test_a_stale_pid_file_is_ignored(tmp_work_dir: Path) -> None:
    tmp_work_dir.mkdir(parents=True)
    (tmp_work_dir / control.PID_FILE_NAME).write_text(
        json.dumps({"pid": 2**22 + 12345, "host": "127.0.0.1", "port": 4649})
    )

    assert control.status(tmp_work_dir) is None
    assert control.down(tmp_work_dir) is False


def test_the_port_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(control.PORT_ENV, raising=False)
    assert control.default_port() == control.DEFAULT_PORT == 4580
    monkeypatch.setenv(control.PORT_ENV, "4641")
    assert control.default_port() == 4641
    monkeypatch.setenv(control.PORT_ENV, "not-a-port")
    with pytest.raises(control.LocalCloudError, match="not a port number"):
        control.default_port()
