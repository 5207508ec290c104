"""The local task without Docker: the app under uvicorn on SQLite (needs no engine)."""

from __future__ import annotations

from pathlib import Path

import requests

from orchestrator.stacks.todo.local_tasks import run_local_task, stop_local_task
from orchestrator.stacks.todo.uvicorn_task import run_uvicorn_task, stop_uvicorn_task
from tests.docker.crud import exercise_crud


def test_uvicorn_task_serves_crud_on_sqlite_and_stops(
    tmp_path: Path, task_name: str, port: int
) -> None:
    lines: list[str] = []
    task = run_uvicorn_task(port=port, name=task_name, work_dir=tmp_path, on_line=lines.append)
    try:
        assert task.runner == "uvicorn"
        assert task.base_url == f"http://127.0.0.1:{port}"
        assert "SQLite" in task.database
        exercise_crud(task.base_url)

        again = run_uvicorn_task(port=port, name=task_name, work_dir=tmp_path)
        assert again.pid == task.pid  # reused, not restarted
    finally:
        assert stop_uvicorn_task(name=task_name, work_dir=tmp_path, remove_data=True)
    assert not stop_uvicorn_task(name=task_name, work_dir=tmp_path)  # safe twice
    try:
        requests.get(f"{task.base_url}/", timeout=2)
        raise AssertionError("the app still answers after stop")
    except requests.ConnectionError:
        pass
    assert not (tmp_path / task_name / "todo.sqlite3").exists()


def test_local_task_without_image_falls_back_to_uvicorn(
    tmp_path: Path, task_name: str, port: int
) -> None:
    lines: list[str] = []
    task = run_local_task(None, port=port, name=task_name, work_dir=tmp_path, on_line=lines.append)
    try:
        assert task.runner == "uvicorn"
        assert any("uvicorn" in line for line in lines)
        assert requests.get(f"{task.base_url}/tasks", timeout=5).json()["count"] == 0
    finally:
        assert stop_local_task(name=task_name, work_dir=tmp_path)
    assert not stop_local_task(name=task_name, work_dir=tmp_path)


def test_uvicorn_task_runs_with_the_task_settings_and_restarts_when_they_change(
    tmp_path: Path, task_name: str, port: int
) -> None:
    lines: list[str] = []
    first = {"API_TOKEN": "first-token", "API_AUTH_READS": "false"}
    task = run_uvicorn_task(port=port, name=task_name, work_dir=tmp_path, environment=first)
    try:
        tasks = f"{task.base_url}/tasks"
        assert requests.post(tasks, json={"title": "no token"}, timeout=5).status_code == 401
        with_token = {"Authorization": "Bearer first-token"}
        assert requests.post(tasks, json={"title": "t"}, headers=with_token, timeout=5).ok
        assert requests.get(tasks, timeout=5).status_code == 200  # reads stay open

        again = run_uvicorn_task(port=port, name=task_name, work_dir=tmp_path, environment=first)
        assert again.pid == task.pid  # same settings: reused

        second = {"API_TOKEN": "second-token", "API_AUTH_READS": "true"}
        changed = run_uvicorn_task(
            port=port, name=task_name, work_dir=tmp_path, environment=second, on_line=lines.append
        )
        assert changed.pid != task.pid
        assert "the app's settings changed: restarting uvicorn" in lines
        assert requests.get(tasks, headers=with_token, timeout=5).status_code == 401
        assert (
            requests.get(tasks, headers={"Authorization": "Bearer second-token"}, timeout=5).json()[
                "count"
            ]
            == 1
        )
    finally:
        assert stop_uvicorn_task(name=task_name, work_dir=tmp_path, remove_data=True)
    assert not (tmp_path / task_name / "uvicorn.config").exists()
