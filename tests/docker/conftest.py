"""Fixtures for tests on a real Docker engine: the engine, the base image, the built TODO image,
the local registry, and a private MariaDB database the container reaches through the socket.

``.ci/setup_docker.sh`` provides the engine, the local base image and the registry; a user's
machine with Docker and Docker Hub needs none of it (the Dockerfile's default base is pulled).
"""

from __future__ import annotations

import fcntl
import os
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from orchestrator.stacks.todo.container_task import DEFAULT_MYSQL_IMAGE, LOCAL_SIDECAR_IMAGE
from orchestrator.stacks.todo.images import (
    LOCAL_BASE_IMAGE,
    LOCAL_REGISTRY,
    ImageRef,
    build_image,
    docker_client,
    engine_available,
    image_exists_locally,
    resolve_base_image,
    resolve_ca_bundle,
)
from tests.app_todo.databases import fresh_mysql_database, require_mariadb
from tests.conftest import REPO_ROOT, in_ci, require_component

# The build context; another one can be tried with $TODO_IMAGE_CONTEXT.
APP_DIR = Path(os.environ.get("TODO_IMAGE_CONTEXT") or REPO_ROOT / "app_todo")
TEST_REPOSITORY = f"{LOCAL_REGISTRY}/todo-test"
SETUP_HINT = "run .ci/setup_docker.sh (or start Docker)"
# This project's loopback ports; 4680 is the local deploy's default, so tests take the others.
TEST_PORTS = range(4681, 4690)


@pytest.fixture
def port() -> Iterator[int]:
    """A port of TEST_PORTS that nothing listens on and no other test holds.

    Two test sessions may run at once on one machine: a lock file per port, held for the
    test, keeps them from picking the same one in the seconds before a container binds it.
    """
    for candidate in TEST_PORTS:
        lock = open(f"/tmp/cloud-reference-stacks-port-{candidate}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                lock.close()
                continue
        try:
            yield candidate
        finally:
            lock.close()
        return
    pytest.fail(f"no free port in {TEST_PORTS.start}-{TEST_PORTS.stop - 1}")


@pytest.fixture
def task_name(request: pytest.FixtureRequest) -> str:
    """Names the test's containers, volumes and files, unique to this test and session."""
    short = request.node.name.removeprefix("test_")[:20].rstrip("_")
    return f"t-{short}-{os.getpid()}"


@pytest.fixture(scope="session")
def docker_engine() -> None:
    require_component(engine_available(), f"no Docker engine answers: {SETUP_HINT}")


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str | None:
    """The base image to build on: $TODO_BASE_IMAGE, else the local one, else the default."""
    client = docker_client()
    try:
        base = resolve_base_image(client)
        if in_ci():
            # Docker Hub is out of reach in CI: the locally made base image must be there.
            require_component(
                base is not None and image_exists_locally(client, base),
                f"base image {base or LOCAL_BASE_IMAGE} missing: {SETUP_HINT}",
            )
    finally:
        client.close()
    return base


@pytest.fixture(scope="session")
def sidecar_image(docker_engine: None) -> str:
    """The MySQL image the local task would pick without pulling: MySQL 8.4 or the stand-in."""
    client = docker_client()
    try:
        present = [
            image
            for image in (DEFAULT_MYSQL_IMAGE, LOCAL_SIDECAR_IMAGE)
            if image_exists_locally(client, image)
        ]
    finally:
        client.close()
    require_component(
        bool(present), f"neither {DEFAULT_MYSQL_IMAGE} nor {LOCAL_SIDECAR_IMAGE}: {SETUP_HINT}"
    )
    return present[0]


@pytest.fixture(scope="session")
def build_log() -> list[str]:
    return []


@pytest.fixture(scope="session")
def todo_image(base_image: str | None, build_log: list[str]) -> ImageRef:
    """The TODO image, built once per session (instantly when the tag already exists)."""
    return build_image(
        APP_DIR,
        TEST_REPOSITORY,
        base_image=base_image,
        ca_bundle=resolve_ca_bundle(),
        on_line=build_log.append,
    )


@pytest.fixture(scope="session")
def local_registry(docker_engine: None) -> str:
    try:
        with urllib.request.urlopen(f"http://{LOCAL_REGISTRY}/v2/", timeout=3) as response:
            up = response.status == 200
    except OSError:
        up = False
    require_component(up, f"no registry answers on {LOCAL_REGISTRY}: {SETUP_HINT}")
    return LOCAL_REGISTRY


def _socket_path(server: URL) -> Path:
    engine = create_engine(server)
    try:
        with engine.connect() as connection:
            return Path(str(connection.execute(text("SELECT @@socket")).scalar()))
    finally:
        engine.dispose()


@pytest.fixture
def mariadb_over_socket() -> Iterator[tuple[str, Path]]:
    """A fresh database on the host's MariaDB, as a URL through its Unix socket, and the
    socket's directory to mount.

    Why the socket: MariaDB listens on 127.0.0.1 only, which a container on a bridge network
    cannot reach, and host networking would put the app on the host's ports; a bind-mounted
    socket keeps the container on its own network exactly as the local target runs it.
    """
    server = require_mariadb()
    socket = _socket_path(server)
    with fresh_mysql_database(server, prefix="todo_docker") as url:
        inside = url.set(host="localhost", port=None, query={"unix_socket": str(socket)})
        yield inside.render_as_string(hide_password=False), socket.parent
