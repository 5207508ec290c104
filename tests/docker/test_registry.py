"""Pushing to the local registry (the local target's ECR), pulling back by digest, and
skipping build and push when the registry already has the context's tag."""

from __future__ import annotations

import json
import urllib.request

from orchestrator.stacks.todo.images import (
    ImageRef,
    docker_client,
    image_exists_in_registry,
    publish_image,
    push_image,
)
from tests.docker.conftest import APP_DIR


def test_push_then_pull_back_by_digest(todo_image: ImageRef, local_registry: str) -> None:
    lines: list[str] = []
    digest = push_image(todo_image, on_line=lines.append)
    assert digest.startswith("sha256:")
    assert image_exists_in_registry(todo_image)

    name = todo_image.repository.removeprefix(f"{local_registry}/")
    request = urllib.request.Request(
        f"http://{local_registry}/v2/{name}/manifests/{digest}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Docker-Content-Digest"] == digest
        assert json.loads(response.read())["config"]["digest"]

    client = docker_client()
    try:
        pulled = client.images.pull(todo_image.by_digest(digest))
        assert pulled.id == client.images.get(str(todo_image)).id
    finally:
        client.close()


def test_unknown_tag_is_not_in_the_registry(todo_image: ImageRef, local_registry: str) -> None:
    assert not image_exists_in_registry(ImageRef(todo_image.repository, "0" * 16))
    assert not image_exists_in_registry(ImageRef(f"{local_registry}/never-pushed", "x"))


def test_publish_skips_build_and_push_when_the_tag_exists(
    todo_image: ImageRef, base_image: str | None, local_registry: str
) -> None:
    push_image(todo_image)
    lines: list[str] = []
    published = publish_image(
        APP_DIR, todo_image.repository, base_image=base_image, on_line=lines.append
    )
    assert published == todo_image
    assert lines == [f"{todo_image} is already in the registry: build and push skipped"]

    asked: list[str] = []
    lines.clear()

    def tag_exists(tag: str) -> bool:
        asked.append(tag)
        return True

    publish_image(
        APP_DIR,
        f"{local_registry}/elsewhere",
        base_image=base_image,
        tag_exists=tag_exists,
        on_line=lines.append,
    )
    assert asked == [todo_image.tag]
    assert "skipped" in lines[0]
