"""The image's files, checked without a Docker engine (the engine tests build and run it).

The files the build context lets in are enough to migrate and serve; the Dockerfile keeps its
promises (base image argument, non-root, health check, optional CA secret); requirements.txt is
the `todo` dependency group; compose.yaml runs the app after a healthy MySQL 8.4.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import yaml

from tests.app_todo.test_prestart import run_prestart
from tests.conftest import REPO_ROOT

APP_DIR = REPO_ROOT / "app_todo"
DOCKERFILE = (APP_DIR / "Dockerfile").read_text()


def build_context_entries() -> list[str]:
    """The top-level entries .dockerignore lets through (it ignores `*`, then allows some)."""
    lines = [line.strip() for line in (APP_DIR / ".dockerignore").read_text().splitlines()]
    assert "*" in lines, "the context is an allow list"
    return [line[1:].rstrip("/") for line in lines if line.startswith("!")]


def copied_sources() -> set[str]:
    sources: set[str] = set()
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources.update(line.split()[1:-1])
    return sources


def test_every_copied_file_is_in_the_build_context() -> None:
    assert copied_sources() <= set(build_context_entries())


def test_the_runtime_files_alone_migrate_a_database(tmp_path: Path) -> None:
    # GIVEN only what the runtime stage copies, laid out as /app is
    for name in copied_sources() - {"requirements.txt"}:
        source = APP_DIR / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)

    # WHEN the prestart step runs there
    result = run_prestart(tmp_path, tmp_path / "todo.db")

    # THEN it migrates (alembic/ found next to app/, nothing else needed)
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> 0001" in result.stderr


def test_the_dockerfile_keeps_its_promises() -> None:
    assert re.search(r"^ARG BASE_IMAGE=python:3\.12-slim$", DOCKERFILE, re.M)
    assert DOCKERFILE.count("FROM ${BASE_IMAGE}") == 2  # builder and runtime
    assert "--mount=type=secret,id=ca_bundle,required=false" in DOCKERFILE
    assert "PIP_CERT=/run/secrets/ca_bundle" in DOCKERFILE
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert user and user[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in DOCKERFILE and "http://127.0.0.1:8000/" in DOCKERFILE
    assert '"uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"' in DOCKERFILE
    assert '"--no-server-header"' in DOCKERFILE  # no banner naming the server and its version


def test_requirements_txt_is_the_todo_dependency_group() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    group = pyproject["project"]["optional-dependencies"]["todo"]
    requirements = [
        line.strip()
        for line in (APP_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    assert sorted(requirements) == sorted(group)


def test_compose_runs_the_app_after_a_healthy_mysql_8_4() -> None:
    compose: dict[str, Any] = yaml.safe_load((APP_DIR / "compose.yaml").read_text())
    db, api = compose["services"]["db"], compose["services"]["api"]

    assert db["image"] == "public.ecr.aws/docker/library/mysql:8.4"
    assert "healthcheck" in db
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME"} <= set(api["environment"])
    assert api["environment"]["DB_HOST"] == "db"
    assert api["ports"] == ["127.0.0.1:8000:8000"]
