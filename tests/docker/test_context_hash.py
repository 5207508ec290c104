"""The image tag is a hash of the build context: stable, and sensitive to what is sent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator.stacks.todo.dockerignore import context_files, is_excluded, parse
from orchestrator.stacks.todo.images import ImageError, context_hash, image_tag, platform_for
from tests.conftest import REPO_ROOT

APP_DIR = REPO_ROOT / "app_todo"


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('hi')\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text("**/__pycache__\n*.md\n!KEEP.md\n.venv\n")
    return tmp_path


def test_hash_is_stable_and_hex(context: Path) -> None:
    first = context_hash(context)
    assert first == context_hash(context)
    assert len(first) == 16 and int(first, 16) >= 0


def test_hash_changes_with_a_file_content_name_or_build_arg(context: Path) -> None:
    before = context_hash(context)
    (context / "app" / "main.py").write_text("print('bye')\n")
    changed = context_hash(context)
    assert changed != before
    (context / "app" / "main.py").rename(context / "app" / "other.py")
    assert context_hash(context) != changed
    assert context_hash(context, {"BASE_IMAGE": "a"}) != context_hash(context, {"BASE_IMAGE": "b"})


def test_hash_ignores_what_dockerignore_excludes(context: Path) -> None:
    before = context_hash(context)
    (context / "app" / "__pycache__").mkdir()
    (context / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (context / "README.md").write_text("notes")
    (context / ".venv" / "lib").mkdir(parents=True)
    (context / ".venv" / "lib" / "x.py").write_text("x")
    assert context_hash(context) == before
    (context / "KEEP.md").write_text("re-included by !KEEP.md")
    assert context_hash(context) != before


def test_the_app_context_hash_is_stable_and_follows_a_change(tmp_path: Path) -> None:
    assert context_hash(APP_DIR) == context_hash(APP_DIR)
    copy = tmp_path / "app_todo"
    shutil.copytree(APP_DIR, copy, symlinks=True)
    assert context_hash(copy) == context_hash(APP_DIR)
    (copy / "app" / "main.py").write_text((copy / "app" / "main.py").read_text() + "\n# x\n")
    assert context_hash(copy) != context_hash(APP_DIR)


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("*.pyc", "a.pyc", True),
        ("*.pyc", "dir/a.pyc", False),  # "*" stays in one segment, as in Docker
        ("**/*.pyc", "dir/sub/a.pyc", True),
        ("**/*.pyc", "a.pyc", True),
        ("/tests", "tests/test_x.py", True),  # a matched directory takes its contents
        ("tests\n!tests/keep.py", "tests/keep.py", False),
        ("tests\n!tests/keep.py", "tests/drop.py", True),
        ("a?c", "abc", True),
        ("[a-c]x", "bx", True),
        ("# comment\n\n", "x", False),
        ("docs/**", "docs/a/b.md", True),
    ],
)
def test_dockerignore_rules(patterns: str, path: str, excluded: bool) -> None:
    assert is_excluded(parse(patterns), path) is excluded


def test_dockerfile_and_dockerignore_are_always_sent(context: Path) -> None:
    (context / ".dockerignore").write_text("Dockerfile\n.dockerignore\napp\n")
    assert list(context_files(context)) == [".dockerignore", "Dockerfile"]


def test_the_tag_ends_with_the_architecture_so_platforms_never_share_one(context: Path) -> None:
    amd64 = image_tag(context, {"BASE_IMAGE": "a"}, "linux/amd64")
    arm64 = image_tag(context, {"BASE_IMAGE": "a"}, "linux/arm64")
    assert amd64 == f"{context_hash(context, {'BASE_IMAGE': 'a'})}-amd64"
    assert arm64.endswith("-arm64")
    assert amd64 != arm64
    assert image_tag(context).endswith("-amd64"), "X86_64 is Fargate's default"


def test_the_platform_follows_the_task_cpu_architecture() -> None:
    assert platform_for("X86_64") == "linux/amd64"
    assert platform_for("ARM64") == "linux/arm64"
    with pytest.raises(ImageError, match="'X86_64' or 'ARM64'"):
        platform_for("arm64")
    with pytest.raises(ImageError, match="linux/amd64 or linux/arm64"):
        image_tag(APP_DIR, platform="linux/riscv64")
