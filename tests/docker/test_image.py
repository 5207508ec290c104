"""The TODO image on a real engine: it builds from the local base, runs as non-root, is
healthy, answers CRUD against MariaDB as the local target runs it, and is not rebuilt."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.stacks.todo.container_task import run_container_task, stop_container_task
from orchestrator.stacks.todo.images import (
    ImageRef,
    build_args_for,
    build_image,
    context_hash,
    docker_client,
    format_size,
    image_size,
    resolve_ca_bundle,
)
from orchestrator.stacks.todo.local_task_common import LocalTaskError
from tests.docker.conftest import APP_DIR
from tests.docker.crud import exercise_crud


def _health(container_name: str) -> str:
    client = docker_client()
    try:
        state = client.containers.get(container_name).attrs["State"]
        return str(state["Health"]["Status"])
    finally:
        client.close()


def test_image_is_tagged_by_its_context_and_has_a_size(
    todo_image: ImageRef, base_image: str | None
) -> None:
    assert todo_image.tag == f"{context_hash(APP_DIR, build_args_for(base_image))}-amd64"
    size = image_size(todo_image)
    assert size > 0
    print(f"\nTODO image {todo_image}: {format_size(size)}")


def test_runs_as_non_root(todo_image: ImageRef) -> None:
    client = docker_client()
    try:
        config = client.images.get(str(todo_image)).attrs["Config"]
        assert config.get("User") not in (None, "", "root", "0", "0:0")
        assert config.get("Healthcheck", {}).get("Test"), "the image has no HEALTHCHECK"
        output = client.containers.run(str(todo_image), entrypoint=["id", "-u"], remove=True)
    finally:
        client.close()
    assert int(output.decode().strip()) != 0


def test_build_is_skipped_when_the_tag_exists(
    todo_image: ImageRef, base_image: str | None, tmp_path: Path
) -> None:
    lines: list[str] = []
    started = time.monotonic()
    again = build_image(
        APP_DIR,
        todo_image.repository,
        base_image=base_image,
        ca_bundle=resolve_ca_bundle(),
        on_line=lines.append,
    )
    assert again == todo_image
    assert any("build skipped" in line for line in lines)
    assert time.monotonic() - started < 10


@pytest.fixture
def stopped_after() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        stop_container_task(name=name)


def test_runs_as_the_local_target_against_mariadb_and_is_healthy(
    todo_image: ImageRef,
    mariadb_over_socket: tuple[str, Path],
    stopped_after: list[str],
    task_name: str,
    port: int,
) -> None:
    database_url, socket_dir = mariadb_over_socket
    stopped_after.append(task_name)
    task = run_container_task(
        str(todo_image),
        port=port,
        name=task_name,
        database_url=database_url,
        host_mounts={socket_dir: str(socket_dir)},
    )
    assert task.runner == "docker"
    assert task.base_url == f"http://127.0.0.1:{port}"
    assert _health(f"{task_name}-app") == "healthy"
    exercise_crud(task.base_url)


def test_runs_on_sqlite_in_a_volume_when_no_mysql_image(
    todo_image: ImageRef, stopped_after: list[str], task_name: str, port: int
) -> None:
    stopped_after.append(task_name)
    lines: list[str] = []
    task = run_container_task(
        str(todo_image),
        port=port,
        name=task_name,
        mysql_image="none",
        on_line=lines.append,
    )
    assert "SQLite" in task.database
    assert task.containers == (f"{task_name}-app",)
    assert _health(f"{task_name}-app") == "healthy"
    exercise_crud(task.base_url)

    client = docker_client()
    try:
        first_id = client.containers.get(f"{task_name}-app").id
        again = run_container_task(str(todo_image), port=port, name=task_name, mysql_image="none")
        assert again.base_url == task.base_url
        assert client.containers.get(f"{task_name}-app").id == first_id  # reused

        assert stop_container_task(name=task_name)
        assert not stop_container_task(name=task_name)  # safe twice
        assert not client.containers.list(all=True, filters={"name": task_name})
        assert not client.volumes.list(filters={"name": task_name})
    finally:
        client.close()


def test_runs_as_the_local_target_with_a_database_sidecar(
    todo_image: ImageRef, sidecar_image: str, stopped_after: list[str], task_name: str, port: int
) -> None:
    stopped_after.append(task_name)
    task = run_container_task(str(todo_image), port=port, name=task_name)
    assert task.containers == (f"{task_name}-app", f"{task_name}-db")
    assert sidecar_image in task.database
    assert _health(f"{task_name}-db") == "healthy"
    assert _health(f"{task_name}-app") == "healthy"
    exercise_crud(task.base_url)


def test_a_taken_port_is_a_clear_error(todo_image: ImageRef, task_name: str, port: int) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        with pytest.raises(LocalTaskError, match=f"127.0.0.1:{port} is taken"):
            run_container_task(str(todo_image), port=port, name=task_name, mysql_image="none")
    client = docker_client()
    try:
        assert not client.containers.list(all=True, filters={"name": task_name})
    finally:
        client.close()
        stop_container_task(name=task_name)
