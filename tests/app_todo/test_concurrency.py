"""200 creates at once (200 clients) over real HTTP give exactly 200 rows, 200 distinct ids."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from app.main import create_app
from app.models import Task
from tests.app_todo.conftest import BACKENDS, make_settings
from tests.app_todo.databases import fresh_mysql_database, sqlite_url
from tests.app_todo.live_server import serve

# Many clients against one app process, with its queue's time limits: a claim about the app on a
# machine of its own, so make test runs it after the parallel part.
pytestmark = pytest.mark.alone

CREATES = 200
CLIENT_THREADS = CREATES  # every create in flight at once


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_creates_give_exactly_one_row_each(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if backend == "sqlite":
        database = sqlite_url(tmp_path_factory.mktemp("concurrency") / "todo.db")
        _run_creates(database)
        return
    server: URL = request.getfixturevalue("mariadb_server")
    with fresh_mysql_database(server, prefix="todo_concurrency") as database:
        _run_creates(database)


def _run_creates(database: URL) -> None:
    app = create_app(make_settings(database))

    def create(n: int) -> tuple[int, int]:
        response = requests.post(f"{base_url}/tasks", json={"title": f"task {n}"}, timeout=60)
        return response.status_code, response.json().get("id", -1)

    with serve(app) as base_url, ThreadPoolExecutor(CLIENT_THREADS) as pool:
        results = list(pool.map(create, range(CREATES)))
        listed = requests.get(f"{base_url}/tasks", params={"limit": 1}, timeout=30).json()

    assert [status for status, _ in results] == [201] * CREATES
    assert len({task_id for _, task_id in results}) == CREATES
    assert listed["count"] == CREATES
    with app.state.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Task)).scalar() == CREATES
    app.state.engine.dispose()
