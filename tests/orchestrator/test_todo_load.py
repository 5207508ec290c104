"""``smoke todo --clients N``'s load round against the real app on MariaDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from devtools.ports import free_port
from orchestrator.stacks.todo.load import run_clients
from tests.app_todo.app_process import AppProcess, app_process
from tests.app_todo.databases import fresh_mysql_database, require_mariadb


@pytest.fixture(scope="module")
def database() -> Iterator[URL]:
    with fresh_mysql_database(require_mariadb(), prefix="todo_smoke_load") as url:
        yield url


@pytest.fixture(scope="module")
def app(database: URL) -> Iterator[AppProcess]:
    with app_process(database) as served:
        yield served


def test_every_request_of_128_clients_is_counted_and_answered(app: AppProcess) -> None:
    report = run_clients(app.base_url, clients=128, seconds=2, token=None)

    assert report.all_answered_2xx, report.summary()
    assert set(report.statuses) == {200, 201, 204}
    # Each round creates, lists, gets, updates and deletes: as many 201s as 204s.
    assert report.statuses[201] == report.statuses[204] >= 128
    assert report.requests == len(report.latencies_ms)
    assert report.summary()[0].startswith("128 clients for ")


def test_refusals_and_unreachable_servers_are_reported(database: URL) -> None:
    with app_process(database, DB_POOL_SIZE="1", DB_MAX_WAITING="0") as small:
        overloaded = run_clients(small.base_url, clients=64, seconds=1, token=None)
    unreachable = run_clients(
        f"http://127.0.0.1:{free_port(range(4690, 4699))}", clients=2, seconds=1, token=None
    )

    assert not overloaded.all_answered_2xx
    assert overloaded.statuses[503] > 0
    assert "503 x" in overloaded.summary()[1]
    assert not unreachable.all_answered_2xx
    assert unreachable.failures["ConnectionRefusedError"] > 0
    assert unreachable.summary()[2].startswith("no answer: ConnectionRefusedError x")
