"""The app on MariaDB under hundreds of concurrent clients, racing writes and overload.

One app process (as in a task) on a fresh MariaDB database; the clients are threads of the
test, released together by a barrier so the requests really overlap.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL

from app.models import Task
from tests.app_todo.app_process import AppProcess, app_process
from tests.app_todo.databases import fresh_mysql_database

# Its claims (every one of 256 clients answered 2xx, liveness under a second) are about the app on
# a machine of its own: make test runs it after the parallel part, not beside other modules.
pytestmark = pytest.mark.alone

T = TypeVar("T")

CLIENTS = 256


@pytest.fixture(scope="module")
def database(mariadb_server: URL) -> Iterator[URL]:
    with fresh_mysql_database(mariadb_server, prefix="todo_load") as url:
        yield url


@pytest.fixture(scope="module")
def app(database: URL) -> Iterator[AppProcess]:
    with app_process(database) as served:
        yield served


def together(clients: int, call: Callable[[requests.Session, int], T]) -> list[T]:
    """Run ``call(session, n)`` for n in 0..clients-1, each on its own thread and connection,
    all released at once."""
    barrier = threading.Barrier(clients)

    def client(n: int) -> T:
        with requests.Session() as session:
            barrier.wait(timeout=60)
            return call(session, n)

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(client, range(clients)))


def create(base: str, title: str = "task") -> int:
    response = requests.post(f"{base}/tasks", json={"title": title}, timeout=30)
    assert response.status_code == 201, response.text
    task_id: int = response.json()["id"]
    return task_id


def test_256_clients_each_doing_every_operation_all_get_2xx(app: AppProcess, database: URL) -> None:
    base = app.base_url
    before = requests.get(f"{base}/tasks", params={"limit": 1}, timeout=30).json()["count"]

    def crud_round(session: requests.Session, n: int) -> list[int]:
        statuses = []
        created = session.post(f"{base}/tasks", json={"title": f"client {n}"}, timeout=60)
        statuses.append(created.status_code)
        url = f"{base}/tasks/{created.json()['id']}"
        statuses.append(session.get(url, timeout=60).status_code)
        statuses.append(session.get(f"{base}/tasks", params={"limit": 20}, timeout=60).status_code)
        statuses.append(session.patch(url, json={"completed": True}, timeout=60).status_code)
        statuses.append(
            session.put(url, json={"title": f"client {n} again"}, timeout=60).status_code
        )
        return statuses

    results = together(CLIENTS, crud_round)

    assert results == [[201, 200, 200, 200, 200]] * CLIENTS
    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(Task)).scalar_one()
    engine.dispose()
    assert rows == before + CLIENTS


def test_writes_racing_a_delete_get_404_never_500(app: AppProcess) -> None:
    base = app.base_url
    for round_number in range(20):
        url = f"{base}/tasks/{create(base, f'raced {round_number}')}"

        results = together(16, partial(_write_or_delete, url))

        assert results[0] == ("DELETE", 204)
        assert {status for _, status in results[1:]} <= {200, 404}, results
        assert requests.get(url, timeout=30).status_code == 404


def test_of_many_concurrent_deletes_of_one_task_exactly_one_answers_204(app: AppProcess) -> None:
    base = app.base_url
    for round_number in range(10):
        url = f"{base}/tasks/{create(base, f'deleted {round_number}')}"

        statuses = together(32, partial(_delete, url))

        assert sorted(statuses) == [204] + [404] * 31


def _write_or_delete(url: str, session: requests.Session, n: int) -> tuple[str, int]:
    if n == 0:
        return "DELETE", session.delete(url, timeout=30).status_code
    if n % 2:
        return "PUT", session.put(url, json={"title": f"put {n}"}, timeout=30).status_code
    return "PATCH", session.patch(url, json={"completed": True}, timeout=30).status_code


def _delete(url: str, session: requests.Session, _: int) -> int:
    return session.delete(url, timeout=30).status_code


def test_liveness_answers_at_once_while_256_clients_saturate_the_database(
    app: AppProcess,
) -> None:
    base = app.base_url
    stop = threading.Event()
    probes: list[float] = []

    def probe() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                started = time.perf_counter()
                assert session.get(f"{base}/", timeout=30).status_code == 200
                probes.append(time.perf_counter() - started)
                stop.wait(0.02)

    def busy_client(session: requests.Session, n: int) -> set[int]:
        statuses = set()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            created = session.post(f"{base}/tasks", json={"title": f"busy {n}"}, timeout=60)
            statuses.add(created.status_code)
            listed = session.get(f"{base}/tasks", params={"limit": 50}, timeout=60)
            statuses.add(listed.status_code)
        return statuses

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        statuses = together(CLIENTS, busy_client)
    finally:
        stop.set()
        prober.join()

    assert set().union(*statuses) == {200, 201}
    assert len(probes) >= 20
    # The load balancer's health check times out after 5 s; before the gate, one took 10.5 s.
    # The bound is generous for a loaded 2-core machine; bench/todo.py measures the real p99.
    assert max(probes) < 1.0, f"max {max(probes):.3f} s, median {statistics.median(probes):.3f} s"


def test_a_full_queue_answers_503_at_once_with_retry_after(database: URL) -> None:
    with app_process(database, DB_POOL_SIZE="1", DB_MAX_WAITING="2") as small:
        base = small.base_url
        task_url = f"{base}/tasks/{create(base)}"

        def timed_get(session: requests.Session, _: int) -> tuple[int, float, str | None]:
            started = time.perf_counter()
            response = session.get(task_url, timeout=30)
            elapsed = time.perf_counter() - started
            return response.status_code, elapsed, response.headers.get("retry-after")

        results = together(64, timed_get)

    refused = [r for r in results if r[0] == 503]
    assert {status for status, _, _ in results} == {200, 503}
    assert refused and all(retry for _, _, retry in refused)
    # Refused at once, not after a queue timeout: well under DB_QUEUE_TIMEOUT (2 s).
    assert max(elapsed for _, elapsed, _ in refused) < 1.0
