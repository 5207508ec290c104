"""The database gate on its own: bounded waiting, the time limit, and the breaker's cycle.

The work is coroutines on a real SQLite database (aiosqlite); one raises the error SQLAlchemy
raises when a database does not answer, another never finishes, as on a hung database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.db import DatabaseBusy, DatabaseDown, DatabaseTimeout
from app.core.gate import DatabaseGate

pytestmark = pytest.mark.anyio


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    yield engine
    await engine.dispose()


def gate_on(engine: AsyncEngine, **limits: float) -> DatabaseGate:
    settings = {"connections": 2, "max_waiting": 10, "queue_timeout": 1.0, "timeout": 5.0}
    settings.update(limits)
    return DatabaseGate(
        engine,
        connections=int(settings["connections"]),
        max_waiting=int(settings["max_waiting"]),
        queue_timeout=settings["queue_timeout"],
        timeout=settings["timeout"],
    )


async def select_one(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT 1"))).scalar_one())


async def unreachable(_: AsyncEngine) -> int:
    raise OperationalError("SELECT 1", {}, Exception("2003: can't connect"))


def held_until(release: anyio.Event) -> Callable[[AsyncEngine], Awaitable[int]]:
    async def held(engine: AsyncEngine) -> int:
        await release.wait()
        return await select_one(engine)

    return held


async def test_runs_the_work_and_returns_its_result(engine: AsyncEngine) -> None:
    assert await gate_on(engine).run(select_one) == 1


async def test_refuses_at_once_when_the_queue_is_full(engine: AsyncEngine) -> None:
    gate = gate_on(engine, connections=1, max_waiting=1, queue_timeout=5)
    release = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(gate.run, held_until(release))  # holds the one slot
        await anyio.sleep(0.05)
        group.start_soon(gate.run, select_one)  # waits: the queue is now full
        await anyio.sleep(0.05)
        assert gate.waiting == 1
        started = anyio.current_time()
        with pytest.raises(DatabaseBusy):
            await gate.run(select_one)
        refused_after = anyio.current_time() - started
        release.set()

    assert refused_after < 0.5


async def test_gives_up_waiting_after_the_queue_timeout(engine: AsyncEngine) -> None:
    gate = gate_on(engine, connections=1, queue_timeout=0.2)
    release = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(gate.run, held_until(release))
        await anyio.sleep(0.05)
        with pytest.raises(DatabaseBusy):
            await gate.run(select_one)
        release.set()


async def test_work_that_never_ends_is_cut_at_the_time_limit_and_opens_the_breaker(
    engine: AsyncEngine,
) -> None:
    gate = gate_on(engine, timeout=0.3)
    started = anyio.current_time()
    with pytest.raises(DatabaseTimeout):
        await gate.run(held_until(anyio.Event()))  # never set: a database that hangs

    assert 0.3 <= anyio.current_time() - started < 1.0
    assert gate.down
    assert await gate.run(select_one) == 1  # the next request probes, and closes it
    assert not gate.down


async def test_the_time_limit_counts_the_wait_in_the_queue(engine: AsyncEngine) -> None:
    gate = DatabaseGate(
        engine, connections=1, max_waiting=10, queue_timeout=5, timeout=0.6, min_work=0.1
    )
    release = anyio.Event()

    async def hold_then_release(_: AsyncEngine) -> int:
        await anyio.sleep(0.4)
        release.set()
        return 1

    async with anyio.create_task_group() as group:
        group.start_soon(gate.run, hold_then_release)
        await anyio.sleep(0.01)
        started = anyio.current_time()
        with pytest.raises(DatabaseTimeout):
            await gate.run(held_until(anyio.Event()))  # waits 0.4 s, then hangs
        elapsed = anyio.current_time() - started

    # 0.4 s in the queue and only the 0.2 s left of the limit for the work, not 0.6 more.
    assert 0.55 <= elapsed < 0.8


async def test_breaker_admits_one_probe_at_a_time_and_closes_on_success(
    engine: AsyncEngine,
) -> None:
    gate = gate_on(engine, connections=4)
    with pytest.raises(OperationalError):
        await gate.run(unreachable)
    assert gate.down

    release = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(gate.run, held_until(release))  # the probe
        await anyio.sleep(0.05)
        # While the probe is out, everyone else is refused at once.
        with pytest.raises(DatabaseDown):
            await gate.run(select_one)
        release.set()

    assert not gate.down
    assert await gate.run(select_one) == 1


async def test_a_failed_probe_keeps_the_breaker_open_for_the_next_probe(
    engine: AsyncEngine,
) -> None:
    gate = gate_on(engine)
    for _ in range(3):
        with pytest.raises(OperationalError):
            await gate.run(unreachable)
        assert gate.down
    assert await gate.run(select_one) == 1
    assert not gate.down
