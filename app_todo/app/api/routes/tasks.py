"""CRUD routes for tasks.

Each route hands its whole database work to the gate (app/core/gate.py) as one coroutine on
one connection, committed before it returns.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.ext.asyncio import AsyncEngine

from app import crud
from app.api.deps import GateDep
from app.api.params import TaskId
from app.models import (
    ID_MAX,
    Message,
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


def _found(task: TaskPublic | None) -> TaskPublic:
    if task is None:
        raise HTTPException(status_code=404, detail="Task not found")
    return task


@router.get("", response_model=TasksPublic)
async def list_tasks(
    gate: GateDep,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=ID_MAX)] = 0,
) -> Any:
    """List tasks in id order, one page at a time, with the total count."""

    async def work(engine: AsyncEngine) -> tuple[list[TaskPublic], int]:
        async with engine.begin() as connection:
            return await crud.list_tasks(connection, offset=offset, limit=limit)

    tasks, count = await gate.run(work)
    return TasksPublic(data=tasks, count=count)


@router.post("", response_model=TaskPublic, status_code=status.HTTP_201_CREATED)
async def create_task(gate: GateDep, task_in: TaskCreate) -> Any:
    """Create a task."""

    async def work(engine: AsyncEngine) -> TaskPublic:
        async with engine.begin() as connection:
            return await crud.create_task(connection, task_in)

    return await gate.run(work)


@router.get("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND)
async def read_task(gate: GateDep, task_id: TaskId) -> Any:
    """Get a task by id."""

    async def work(engine: AsyncEngine) -> TaskPublic | None:
        async with engine.connect() as connection:
            return await crud.get_task(connection, task_id)

    return _found(await gate.run(work))


@router.put("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND)
async def replace_task(gate: GateDep, task_id: TaskId, task_in: TaskReplace) -> Any:
    """Replace a task: fields left out take their defaults."""

    async def work(engine: AsyncEngine) -> TaskPublic | None:
        async with engine.begin() as connection:
            return await crud.replace_task(connection, task_id, task_in)

    return _found(await gate.run(work))


@router.patch("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND)
async def update_task(gate: GateDep, task_id: TaskId, task_in: TaskUpdate) -> Any:
    """Change only the fields sent."""

    async def work(engine: AsyncEngine) -> TaskPublic | None:
        async with engine.begin() as connection:
            return await crud.update_task(connection, task_id, task_in)

    return _found(await gate.run(work))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_task(gate: GateDep, task_id: TaskId) -> None:
    """Delete a task."""

    async def work(engine: AsyncEngine) -> bool:
        async with engine.begin() as connection:
            return await crud.delete_task(connection, task_id)

    if not await gate.run(work):
        raise HTTPException(status_code=404, detail="Task not found")
