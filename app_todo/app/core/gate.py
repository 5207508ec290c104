"""How requests reach the database: a bounded queue, a time limit, and a breaker.

Why this shape (see the README, "Under load"): at most as many requests use the database at
once as there are pooled connections, so none ever waits inside the pool. The others wait
here, on the event loop, at most ``max_waiting`` of them and for at most ``queue_timeout``
seconds, after which they get a fast 503 instead of a long stall. A request's whole database
work must end within ``timeout`` seconds of its arrival, queueing included, with at least a
second of work once admitted (a hung database answers nothing, and only a cancel ends the
wait). Routes that need no database (liveness) never queue. When the database fails,
the breaker lets one request at a time try it and answers the others 503 at once, so a hung
database costs each request at most one timeout, not a queue of them, and the first request
that succeeds closes the breaker again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import (
    UNAVAILABLE_ERRORS,
    DatabaseBusy,
    DatabaseDown,
    DatabaseTimeout,
    describe_error,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIN_WORK_S = 1.0


class DatabaseGate:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        connections: int,
        max_waiting: int,
        queue_timeout: float,
        timeout: float,
        min_work: float = MIN_WORK_S,
    ) -> None:
        self.engine = engine
        self.connections = connections
        self.max_waiting = max_waiting
        self.queue_timeout = queue_timeout
        self.timeout = timeout
        self.min_work = min(min_work, timeout)
        # asyncio's own primitives: the app runs on asyncio (uvicorn), and they cost about a
        # fifth of anyio's per request, which shows at a thousand requests a second.
        self._slots = asyncio.Semaphore(connections)
        self._waiting = 0
        self._down_since: float | None = None
        self._probing = False

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def down(self) -> bool:
        return self._down_since is not None

    async def run(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        """Await ``work(engine)`` within the time limit, after a bounded wait for a free slot."""
        if self._down_since is not None and self._probing:
            raise DatabaseDown
        arrived = time.monotonic()
        await self._acquire()
        # The time limit counts from arrival, so waiting and working together stay within it
        # (a hung database: 503 within about DB_TIMEOUT whatever the queue), but work once
        # admitted always gets at least a second.
        limit = max(self.timeout - (time.monotonic() - arrived), self.min_work)
        try:
            # Checked again after the wait: what queued before the breaker opened is refused too.
            probe = self._admit_while_down()
            try:
                result = await self._within_timeout(work, limit)
            except UNAVAILABLE_ERRORS as exc:
                self._trip(exc)
                raise
            finally:
                if probe:
                    self._probing = False
            self._close()
            return result
        finally:
            self._slots.release()

    async def _within_timeout(self, work: Callable[[AsyncEngine], Awaitable[T]], limit: float) -> T:
        try:
            async with asyncio.timeout(limit):
                return await work(self.engine)
        except TimeoutError:
            # The cancel interrupted a checkout, ping or statement: SQLAlchemy closes that
            # connection rather than pooling it, so no half-read answer is ever reused.
            raise DatabaseTimeout(f"no answer within {limit:.1f} s") from None

    def _admit_while_down(self) -> bool:
        """While the breaker is open, admit one request at a time (a probe); refuse others."""
        if self._down_since is None:
            return False
        if self._probing:
            raise DatabaseDown
        self._probing = True
        return True

    async def _acquire(self) -> None:
        slots = self._slots
        if not slots.locked():
            await slots.acquire()  # a free slot: returns at once
            return
        if self._waiting >= self.max_waiting:
            raise DatabaseBusy
        self._waiting += 1
        try:
            async with asyncio.timeout(self.queue_timeout):
                await slots.acquire()
        except TimeoutError:
            raise DatabaseBusy from None
        finally:
            self._waiting -= 1

    def _trip(self, exc: BaseException) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            logger.warning(
                "database unavailable; probing it", extra={"reason": describe_error(exc)}
            )

    def _close(self) -> None:
        if self._down_since is not None:
            seconds = round(time.monotonic() - self._down_since, 1)
            self._down_since = None
            logger.info("database available again", extra={"down_s": seconds})
