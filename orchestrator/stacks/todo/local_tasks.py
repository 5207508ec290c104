"""Run the TODO task locally after the local apply (moto stores the ECS service, runs nothing).

With a Docker engine: the task's containers (``container_task``). Without one, or with no
image: the app under uvicorn on SQLite (``uvicorn_task``). Either way the app answers on
127.0.0.1:<port>; both are idempotent, and ``stop_local_task`` stops whichever runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orchestrator.stacks.todo.container_task import run_container_task, stop_container_task
from orchestrator.stacks.todo.images import DEFAULT_CPU_ARCHITECTURE, engine_available
from orchestrator.stacks.todo.local_task_common import (
    DEFAULT_NAME,
    DEFAULT_PORT,
    LineSink,
    LocalTask,
    LocalTaskError,
    TaskRoles,
    ignore,
    resolve_secrets,
    task_role_environment,
)
from orchestrator.stacks.todo.uvicorn_task import run_uvicorn_task, stop_uvicorn_task

__all__ = [
    "DEFAULT_PORT",
    "LocalTask",
    "LocalTaskError",
    "TaskRoles",
    "run_local_task",
    "stop_local_task",
]


def run_local_task(
    image: str | None,
    *,
    port: int = DEFAULT_PORT,
    name: str = DEFAULT_NAME,
    db_mode: str = "sidecar",
    mysql_image: str | None = None,
    work_dir: Path | None = None,
    use_docker: bool | None = None,
    environment: Mapping[str, str] | None = None,
    cpu_architecture: str = DEFAULT_CPU_ARCHITECTURE,
    roles: TaskRoles | None = None,
    secrets: Mapping[str, str] | None = None,
    log_labels: Mapping[str, Mapping[str, str]] | None = None,
    on_line: LineSink = ignore,
) -> LocalTask:
    """Start (or reuse) the local task; return once the app is healthy on 127.0.0.1:``port``.

    ``use_docker=None`` decides by whether an image was given and an engine answers.
    ``environment``: the app container's settings other than the database's (the task
    definition's environment and resolved secrets); the local database is wired here.
    ``cpu_architecture``: the task definition's; the containers refuse an image of another.
    ``roles``: the task's roles on the local cloud, as ECS uses them: ``secrets`` (name ->
    valueFrom) are read with the execution role (a role that may not read one stops the task
    before it starts, with ECS's reason), and the app gets the task role's credentials and no
    others.
    ``log_labels``: the containers' labels for the local cloud's awslogs stand-in (containers
    only).
    """
    if roles is not None:
        environment = {
            **(environment or {}),
            **resolve_secrets(roles, secrets or {}),
            **task_role_environment(roles),
        }
    elif secrets:
        raise LocalTaskError("the task's secrets need its roles to be read with")
    engine = engine_available()
    if use_docker is None:
        use_docker = image is not None and engine
    if use_docker:
        if image is None:
            raise LocalTaskError("running the task's containers needs an image")
        # Switching from the fallback frees the port (and the other way round below).
        stop_uvicorn_task(name=name, work_dir=work_dir, on_line=on_line)
        return run_container_task(
            image,
            port=port,
            name=name,
            db_mode=db_mode,
            mysql_image=mysql_image,
            environment=environment,
            cpu_architecture=cpu_architecture,
            log_labels=log_labels,
            on_line=on_line,
        )
    if image is None:
        on_line("no image to run: the app runs directly with uvicorn instead of in containers")
    elif engine:
        on_line("Docker not used: the app runs directly with uvicorn instead of in containers")
    else:
        on_line("no Docker engine answers: the app runs directly with uvicorn instead")
    if engine:
        stop_container_task(name=name, remove_data=False, on_line=on_line)
    return run_uvicorn_task(
        port=port,
        name=name,
        work_dir=work_dir,
        environment=environment,
        isolate_credentials=roles is not None,
        on_line=on_line,
    )


def stop_local_task(
    *,
    name: str = DEFAULT_NAME,
    work_dir: Path | None = None,
    remove_data: bool = True,
    on_line: LineSink = ignore,
) -> bool:
    """Stop the local task, however it runs; safe when nothing runs. True if something did."""
    stopped = stop_uvicorn_task(
        name=name, work_dir=work_dir, remove_data=remove_data, on_line=on_line
    )
    if engine_available():
        stopped = (
            stop_container_task(name=name, remove_data=remove_data, on_line=on_line) or stopped
        )
    return stopped
