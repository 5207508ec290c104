"""CRUD routes for tasks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status

from app import crud
from app.api.deps import SessionDep
from app.models import (
    ID_MAX,
    Message,
    Task,
    TaskCreate,
    TaskPublic,
    TaskReplace,
    TasksPublic,
    TaskUpdate,
)

LIMIT_DEFAULT = 20
LIMIT_MAX = 100

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "No such task"}
}

router = APIRouter(
    prefix="/tasks",
    tags=["tasks"],
    responses={503: {"model": Message, "description": "The database is unavailable"}},
)

TaskId = Annotated[int, Path(ge=1, le=ID_MAX, description="The task's id")]


def _get_or_404(session: SessionDep, task_id: int) -> Task:
    task = crud.get_task(session=session, task_id=task_id)
    if task is None:
        raise HTTPException(status_code=404, detail="Task not found")
    return task


@router.get("", response_model=TasksPublic)
def list_tasks(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
) -> Any:
    """List tasks in id order, one page at a time, with the total count."""
    tasks, count = crud.list_tasks(session=session, offset=offset, limit=limit)
    return TasksPublic(data=[TaskPublic.model_validate(t) for t in tasks], count=count)


@router.post("", response_model=TaskPublic, status_code=status.HTTP_201_CREATED)
def create_task(session: SessionDep, task_in: TaskCreate) -> Any:
    """Create a task."""
    return crud.create_task(session=session, task_in=task_in)


@router.get("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND)
def read_task(session: SessionDep, task_id: TaskId) -> Any:
    """Get a task by id."""
    return _get_or_404(session, task_id)


@router.put("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND)
def replace_task(session: SessionDep, task_id: TaskId, task_in: TaskReplace) -> Any:
    """Replace a task: fields left out take their defaults."""
    task = _get_or_404(session, task_id)
    return crud.replace_task(session=session, task=task, task_in=task_in)


@router.patch("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND)
def update_task(session: SessionDep, task_id: TaskId, task_in: TaskUpdate) -> Any:
    """Change only the fields sent."""
    task = _get_or_404(session, task_id)
    return crud.update_task(session=session, task=task, task_in=task_in)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_task(session: SessionDep, task_id: TaskId) -> None:
    """Delete a task."""
    task = _get_or_404(session, task_id)
    crud.delete_task(session=session, task=task)
