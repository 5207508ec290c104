"""The task model family: table, inputs (create, full replace, partial update) and outputs.

Input rules, the same for every write: ``title`` is trimmed, then must be 1-200 characters;
``description`` is at most 2,000 characters or null; ``completed`` is a JSON boolean (no
"yes"/1 coercion); ``id``, ``created_at`` and ``updated_at`` belong to the server, and any
field not listed here is rejected with 422 (``extra_forbidden``) rather than silently ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import ConfigDict, Strict, StringConstraints, field_validator
from sqlalchemy import DateTime
from sqlalchemy.dialects import mysql
from sqlmodel import Field, SQLModel

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
# Ids are MySQL INT (signed): anything above cannot exist, so it is refused before a query.
ID_MAX = 2**31 - 1

# Microseconds on MySQL too (DATETIME(6)): its default DATETIME rounds to the nearest second.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


# ``pattern`` documents in the schema that a whitespace-only title is not a title. Python and
# JavaScript (JSON Schema's regex dialect) disagree on what \s is: Python's also holds \x1c-\x1f
# and \x85, JavaScript's also \ufeff. The class names the union, so clients and the server agree.
TITLE_PATTERN = r"[^\s\x1c-\x1f\x85\ufeff]"
Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=TITLE_MAX, pattern=TITLE_PATTERN
    ),
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]
Completed = Annotated[bool, Strict()]


def utc_now() -> datetime:
    """Naive UTC, the way it is stored (neither MySQL DATETIME nor SQLite keeps a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


class TaskBase(SQLModel):
    title: str = Field(max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    completed: bool = False


class Task(TaskBase, table=True):
    __tablename__ = "tasks"
    # utf8mb4 whatever the server's default: MariaDB's is still latin1 on some installs.
    __table_args__ = {"mysql_charset": "utf8mb4"}

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=Timestamp, nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=Timestamp, nullable=False)


class TaskCreate(TaskBase):
    """Body of ``POST /tasks``."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    title: Title
    description: Description | None = None
    completed: Completed = False


class TaskReplace(TaskCreate):
    """Body of ``PUT /tasks/{id}``: the whole task; an omitted field takes its default."""


class TaskUpdate(SQLModel):
    """Body of ``PATCH /tasks/{id}``: only the fields sent change. ``title`` and ``completed``
    may be omitted but not null; ``description`` may be null to clear it."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    # Typed without None so an explicit null is a 422, while omitting the field stays allowed.
    title: Title = Field(default=None)
    description: Description | None = None
    completed: Completed = Field(default=None)


class TaskPublic(TaskBase):
    id: int
    created_at: datetime
    updated_at: datetime

    @field_validator("created_at", "updated_at")
    @classmethod
    def _as_utc(cls, value: datetime) -> datetime:
        # Stored naive in UTC; say so in the output.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TasksPublic(SQLModel):
    data: list[TaskPublic]
    count: int = Field(description="Total number of tasks, whatever the page")


class Message(SQLModel):
    detail: str


class Liveness(SQLModel):
    message: str


class Readiness(SQLModel):
    status: str
    detail: str | None = None
