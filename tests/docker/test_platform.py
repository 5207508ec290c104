"""Images are built for the task's CPU architecture, tagged with it, and the local task refuses
an image of the other one as Fargate does.

An image of a foreign architecture is made without emulation: FROM scratch with COPY and LABEL
only (no RUN executes a binary), built for that platform with BuildKit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.stacks.todo import images
from orchestrator.stacks.todo.images import (
    ImageError,
    ImageRef,
    build_image,
    docker_client,
    image_architecture,
    image_exists_locally,
    image_tag,
)
from orchestrator.stacks.todo.local_task_common import LocalTaskError
from orchestrator.stacks.todo.local_tasks import run_local_task
from tests.docker.conftest import APP_DIR, TEST_REPOSITORY

PROBE_REPOSITORY = "local/todo-arch-probe"


def _engine_arch() -> str:
    client = docker_client()
    try:
        return str(client.version()["Arch"])
    finally:
        client.close()


def _other_arch(arch: str) -> str:
    return "arm64" if arch == "amd64" else "amd64"


@pytest.fixture(scope="module")
def foreign_image(
    docker_engine: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ImageRef]:
    """An image for the architecture the engine does not run, built with no emulation."""
    context: Path = tmp_path_factory.mktemp("foreign")
    (context / "hello.txt").write_text("hello\n")
    (context / "Dockerfile").write_text(
        "FROM scratch\nCOPY hello.txt /hello.txt\nLABEL purpose=architecture-probe\n"
    )
    arch = _other_arch(_engine_arch())
    image = build_image(context, PROBE_REPOSITORY, ca_bundle=None, platform=f"linux/{arch}")
    yield image
    client = docker_client()
    try:
        client.images.remove(str(image), force=True)
    finally:
        client.close()


def test_a_foreign_platform_build_is_tagged_and_made_for_it(foreign_image: ImageRef) -> None:
    arch = _other_arch(_engine_arch())
    assert foreign_image.tag.endswith(f"-{arch}")
    client = docker_client()
    try:
        assert image_architecture(client, str(foreign_image)) == arch
    finally:
        client.close()


def test_the_todo_image_is_built_for_fargates_default(todo_image: ImageRef) -> None:
    assert todo_image.tag.endswith("-amd64")
    client = docker_client()
    try:
        assert image_architecture(client, str(todo_image)) == "amd64"
    finally:
        client.close()


def test_the_local_task_refuses_an_image_of_another_architecture(
    foreign_image: ImageRef, task_name: str, port: int
) -> None:
    arch = _other_arch(_engine_arch())
    task_arch = "X86_64" if arch == "arm64" else "ARM64"
    with pytest.raises(LocalTaskError) as refused:
        run_local_task(
            str(foreign_image),
            port=port,
            name=task_name,
            use_docker=True,
            cpu_architecture=task_arch,
        )
    message = str(refused.value)
    assert f"built for linux/{arch}" in message
    assert f"cpu_architecture is {task_arch}" in message
    assert "CannotPullContainerError" in message and "exec format error" in message
    client = docker_client()
    try:
        assert not client.containers.list(all=True, filters={"name": task_name})
    finally:
        client.close()


def test_an_arm64_task_refuses_the_amd64_todo_image(todo_image: ImageRef, task_name: str) -> None:
    with pytest.raises(LocalTaskError, match=r"linux/amd64.*ARM64 \(linux/arm64\)"):
        run_local_task(str(todo_image), name=task_name, use_docker=True, cpu_architecture="ARM64")


def test_building_for_an_architecture_the_engine_cannot_run_says_what_to_do(
    base_image: str | None,
) -> None:
    arch = _other_arch(_engine_arch())
    if not images._engine_is_this_machine() or arch in images._emulators():
        pytest.skip(f"this engine can run linux/{arch} (emulation installed, or a remote engine)")
    with pytest.raises(ImageError) as refused:
        build_image(APP_DIR, TEST_REPOSITORY, base_image=base_image, platform=f"linux/{arch}")
    message = str(refused.value)
    assert f"cannot build the image for linux/{arch}" in message
    assert "qemu" in message and "binfmt" in message and "cpu_architecture=" in message
    tag = image_tag(APP_DIR, images.build_args_for(base_image), f"linux/{arch}")
    client = docker_client()
    try:
        assert not image_exists_locally(client, f"{TEST_REPOSITORY}:{tag}")
    finally:
        client.close()
