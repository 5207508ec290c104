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
from typing import Any

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
# Run as it is, the app has no token (as by default). With API_TOKEN (and API_AUTH_READS) in the
# environment its task routes need one: calls then carry it (but for the cases that leave it
# out on purpose), and Schemathesis' auth check makes sure a call without it, or with a wrong
# one, is refused.
_TOKEN = _APP.state.settings.API_TOKEN
if _TOKEN is not None:

    @schema.auth(retry_on=[])  # a 401 is an answer to check, not a token to fetch again
    class _BearerToken:
        def get(self, case: schemathesis.Case, context: Any) -> str:
            assert _TOKEN is not None
            return _TOKEN.get_secret_value()

        def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
            case.headers["Authorization"] = f"Bearer {data}"


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
