"""Database operations on tasks; keyword-only arguments, the session passed in."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from app.models import Task, TaskCreate, TaskReplace, TaskUpdate, utc_now


def create_task(*, session: Session, task_in: TaskCreate) -> Task:
    task = Task.model_validate(task_in)
    session.add(task)
    session.commit()
    session.refresh(task)
    return task


def get_task(*, session: Session, task_id: int) -> Task | None:
    return session.get(Task, task_id)


def list_tasks(*, session: Session, offset: int, limit: int) -> tuple[list[Task], int]:
    """One page of tasks in id order, and the total count."""
    count = session.exec(select(func.count()).select_from(Task)).one()
    tasks = session.exec(select(Task).order_by(col(Task.id)).offset(offset).limit(limit)).all()
    return list(tasks), count


def replace_task(*, session: Session, task: Task, task_in: TaskReplace) -> Task:
    return _apply(session=session, task=task, changes=task_in.model_dump())


def update_task(*, session: Session, task: Task, task_in: TaskUpdate) -> Task:
    return _apply(session=session, task=task, changes=task_in.model_dump(exclude_unset=True))


def delete_task(*, session: Session, task: Task) -> None:
    session.delete(task)
    session.commit()


def _apply(*, session: Session, task: Task, changes: dict[str, Any]) -> Task:
    task.sqlmodel_update(changes)
    task.updated_at = utc_now()
    session.add(task)
    session.commit()
    session.refresh(task)
    return task
