"""A hung database (SIGSTOP: connections open, nothing answers) while clients keep writing.

Every endpoint that needs the database answers 503 within 5 s, liveness stays up, and after
SIGCONT the same app process serves again by itself; no acknowledged write is lost.
"""

from __future__ import annotations

import threading
import time

import requests

from tests.app_todo.app_process import AppProcess, app_process
from tests.app_todo.private_mariadb import PrivateMariaDB

BOUND_S = 5.0
WRITERS = 8


class Writers:
    """Threads that create tasks without pause; each answer is kept with its duration."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: list[tuple[float, int, int | None, float]] = []  # start, status, id, s
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, args=(n,)) for n in range(WRITERS)]

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _write(self, n: int) -> None:
        with requests.Session() as session:
            count = 0
            while not self._stop.is_set():
                count += 1
                started = time.monotonic()
                response = session.post(
                    f"{self.base}/tasks", json={"title": f"writer {n} #{count}"}, timeout=60
                )
                task_id = response.json()["id"] if response.status_code == 201 else None
                self.answers.append(
                    (started, response.status_code, task_id, time.monotonic() - started)
                )
                time.sleep(0.05)


def timed(method: str, url: str, **kwargs: object) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.request(method, url, timeout=60, **kwargs)  # type: ignore[arg-type]
    return response.status_code, time.monotonic() - started


def test_a_hung_database_gives_fast_503s_and_the_app_recovers_by_itself(
    private_mariadb: PrivateMariaDB,
) -> None:
    with app_process(private_mariadb.url) as app:
        base = app.base_url
        task_url = f"{base}/tasks/{_create(app)}"
        with Writers(base) as writers:
            time.sleep(0.5)  # the writers fill the pool with live connections

            # WHEN the database hangs
            private_mariadb.freeze()
            frozen_at = time.monotonic()
            try:
                time.sleep(0.5)  # requests in flight now hang on their sockets
                # THEN every endpoint that needs it answers 503 within the bound, twice over
                # (first while the breaker opens, then once it is open); liveness stays up
                answers = {}
                for attempt in range(2):
                    for method, url, body in [
                        ("GET", f"{base}/health/ready", None),
                        ("GET", task_url, None),
                        ("GET", f"{base}/tasks", None),
                        ("POST", f"{base}/tasks", {"title": "while frozen"}),
                        ("PATCH", task_url, {"completed": True}),
                        ("PUT", task_url, {"title": "replaced while frozen"}),
                        ("DELETE", task_url, None),
                    ]:
                        answers[(attempt, method, url)] = timed(method, url, json=body)
                    live_status, live_seconds = timed("GET", f"{base}/")
                    assert live_status == 200 and live_seconds < 1.0
                thawed_at = time.monotonic()
            finally:
                private_mariadb.thaw()

            # THEN, with the database back, the same process serves again within seconds
            deadline = time.monotonic() + 30
            while requests.get(f"{base}/health/ready", timeout=30).status_code != 200:
                assert time.monotonic() < deadline, "not ready 30 s after the database came back"
                time.sleep(0.2)
            recovered = requests.get(task_url, timeout=30)
            time.sleep(0.5)  # the writers succeed again too
        # No acknowledged write is lost.
        acknowledged = [task_id for _, status, task_id, _ in writers.answers if status == 201]
        lost = [
            task_id
            for task_id in acknowledged
            if requests.get(f"{base}/tasks/{task_id}", timeout=30).status_code != 200
        ]

    slow = {key: answer for key, answer in answers.items() if answer[1] >= BOUND_S}
    assert not slow, slow
    assert {status for status, _ in answers.values()} == {503}, answers
    assert recovered.status_code == 200
    # Writers: while the database hung, each request ended within the bound (503), and
    # afterwards they were served again.
    during = [a for a in writers.answers if frozen_at <= a[0] <= thawed_at]
    assert during and max(seconds for *_, seconds in during) < BOUND_S
    assert {status for _, status, _, _ in writers.answers} <= {201, 503}
    assert writers.answers[-1][1] == 201
    assert acknowledged and not lost


def _create(app: AppProcess) -> int:
    response = requests.post(f"{app.base_url}/tasks", json={"title": "before"}, timeout=30)
    assert response.status_code == 201, response.text
    task_id: int = response.json()["id"]
    return task_id
