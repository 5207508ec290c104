"""`local down` after a TODO deploy on the local cloud stops the task it started.

GIVEN the TODO stack deployed on the local cloud, its task running as containers
WHEN the user runs `local down` (what `make local-down` does)
THEN the task's containers, network and data volumes are gone, its port is free, and a later
`destroy all` has nothing left to fail on.

On the way, the deploy's summary says which database really runs: the MySQL sidecar, then
SQLite once ``TODO_LOCAL_MYSQL_IMAGE=none`` asks for it (and no image is said to be missing).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devtools.ports import free_port
from orchestrator.stacks.todo import images
from tests.conftest import require_component
from tests.integration.local_stack import applied_on_local_cloud, run_cli

pytestmark = pytest.mark.integration

ENVIRONMENT = "downtest"
TASK = f"todo-{ENVIRONMENT}-local"


def answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_local_down_after_a_todo_deploy_leaves_nothing_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_component(images.engine_available(), "no Docker engine answers (DOCKER_HOST)")
    import docker

    for name in ("TODO_LOCAL_MYSQL_IMAGE", "TODO_LOCAL_RUNNER"):
        monkeypatch.delenv(name, raising=False)
    port = free_port(range(4750, 4760))
    monkeypatch.setenv("TODO_LOCAL_PORT", str(port))
    client = docker.from_env()
    try:
        with applied_on_local_cloud("todo", ENVIRONMENT, tmp_path / "home") as deployed:
            # GIVEN the task running as containers, on a MySQL sidecar with its volume
            assert deployed.outputs["local_runner"] == "docker"
            running = {c.name for c in client.containers.list(filters={"name": TASK})}
            assert {f"{TASK}-app", f"{TASK}-db"} <= running
            assert client.volumes.list(filters={"name": f"{TASK}-mysql"})
            assert answers(port)
            assert f"Database:        MySQL container {TASK}-db (" in deployed.deploy_output

            # and, asked for SQLite, the summary says SQLite and why
            monkeypatch.setenv("TODO_LOCAL_MYSQL_IMAGE", "none")
            code, out = deployed.cli("deploy", "todo")
            assert code == 0, out
            database = next(line for line in out.splitlines() if "Database:" in line)
            assert database.split(":", 1)[1].strip() == (
                f"SQLite in volume {TASK}-data (not the sidecar MySQL: TODO_LOCAL_MYSQL_IMAGE=none)"
            )
            assert "could be pulled" not in out
            assert client.volumes.list(filters={"name": f"{TASK}-data"})

            # WHEN the local cloud is stopped
            code, out = run_cli("local", "down")

            # THEN nothing of the task is left
            assert code == 0, out
            assert f"removed container {TASK}-app" in out
            assert client.containers.list(all=True, filters={"name": TASK}) == []
            assert client.volumes.list(filters={"name": TASK}) == []
            assert client.networks.list(names=[f"{TASK}-net"]) == []
            assert not answers(port)
            # and destroying afterwards finds nothing to fail on
            code, out = run_cli("destroy", "all", "--target", "local", "--env", ENVIRONMENT)
            assert code == 0, out
    finally:
        client.close()
