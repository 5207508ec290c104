"""Schemathesis against the app's own OpenAPI schema: no 5xx, responses as documented.

Every operation gets generated valid and invalid requests (bounded so the run stays short);
all of Schemathesis' default checks apply: no server error, documented status codes, content
types and headers, response bodies matching their schemas, valid data accepted and invalid data
rejected. Then sequences (create, read, replace, update, delete, along the links Schemathesis
infers) check that a created task can be read and a deleted one is gone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import delete

from app.main import create_app
from app.models import Task
from app.prestart import migrate
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url

EXAMPLES_PER_OPERATION = 100
SCENARIOS = 50
STEPS_PER_SCENARIO = 6

# Loaded at import: Schemathesis' fixture-based loader does not work with pytest 9. Nothing
# connects until the first generated request, which starts the lifespan (wait, migrate).
_DATABASE_DIR = Path(tempfile.mkdtemp(prefix="todo-schemathesis-"))
_APP = create_app(make_settings(sqlite_url(_DATABASE_DIR / "todo.db")))
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _database() -> Iterator[None]:
    migrate(_APP.state.engine)  # before the first scenario empties the table
    yield
    _APP.state.engine.dispose()
    shutil.rmtree(_DATABASE_DIR, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()


def test_the_schema_documents_every_route() -> None:
    paths = schema.raw_schema["paths"]

    assert set(paths) == {"/", "/health/ready", "/tasks", "/tasks/{task_id}"}
    assert set(paths["/tasks/{task_id}"]) == {"get", "put", "patch", "delete"}


class TaskWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        # Each scenario starts empty, so ids (and so the generated data) repeat from run to run.
        with _APP.state.engine.begin() as connection:
            connection.execute(delete(Task))


TestTaskWorkflow = TaskWorkflow.TestCase
TestTaskWorkflow.settings = settings(
    max_examples=SCENARIOS,
    stateful_step_count=STEPS_PER_SCENARIO,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
