"""Database operations on tasks: one asyncio connection in, plain statements on the SQLModel
table.

Statements, not ORM identity tracking: every write is one statement keyed on the id, so a
write that races a delete finds no row (404) instead of failing to flush a vanished object
(500), and of several concurrent deletes of one task exactly one deletes a row. Reads skip
the ORM's per-object bookkeeping, which is most of the cost of a request under load.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import Task, TaskCreate, TaskPublic, TaskReplace, TaskUpdate, utc_now

TASKS: Table = Task.__table__  # type: ignore[attr-defined]


async def create_task(connection: AsyncConnection, task_in: TaskCreate) -> TaskPublic:
    now = utc_now()
    values = {**task_in.model_dump(), "created_at": now, "updated_at": now}
    result = await connection.execute(insert(TASKS).values(**values))
    (task_id,) = result.inserted_primary_key or (None,)
    return TaskPublic.model_validate({**values, "id": task_id})


async def get_task(connection: AsyncConnection, task_id: int) -> TaskPublic | None:
    result = await connection.execute(select(TASKS).where(TASKS.c.id == task_id))
    row = result.mappings().first()
    return None if row is None else TaskPublic.model_validate(dict(row))


async def list_tasks(
    connection: AsyncConnection, *, offset: int, limit: int
) -> tuple[list[TaskPublic], int]:
    """One page of tasks in id order, and the total count (one snapshot for both on InnoDB)."""
    count = (await connection.execute(select(func.count()).select_from(TASKS))).scalar_one()
    page = select(TASKS).order_by(TASKS.c.id).offset(offset).limit(limit)
    rows = (await connection.execute(page)).mappings().all()
    return [TaskPublic.model_validate(dict(row)) for row in rows], count


async def replace_task(
    connection: AsyncConnection, task_id: int, task_in: TaskReplace
) -> TaskPublic | None:
    return await _update(connection, task_id, task_in.model_dump())


async def update_task(
    connection: AsyncConnection, task_id: int, task_in: TaskUpdate
) -> TaskPublic | None:
    return await _update(connection, task_id, task_in.model_dump(exclude_unset=True))


async def delete_task(connection: AsyncConnection, task_id: int) -> bool:
    """True when this call deleted the task; False when there was none (any more)."""
    result = await connection.execute(delete(TASKS).where(TASKS.c.id == task_id))
    return result.rowcount == 1


async def _update(
    connection: AsyncConnection, task_id: int, changes: dict[str, Any]
) -> TaskPublic | None:
    # One UPDATE keyed on the id: it matches no row when the task is gone, and on InnoDB it
    # locks the row until commit, so the read that follows sees exactly this write.
    statement = update(TASKS).where(TASKS.c.id == task_id).values(**changes, updated_at=utc_now())
    if (await connection.execute(statement)).rowcount == 0:
        return None
    return await get_task(connection, task_id)
