"""A request the local cloud does not answer is logged with where its thread is stuck."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from orchestrator.local_cloud.slow_requests import SlowRequestWatch


def _blocking_app(release: threading.Event) -> Callable[..., Iterable[bytes]]:
    def wait_for_the_release(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [])
        return [b"done"]

    return wait_for_the_release


def _request(app: SlowRequestWatch, results: list[list[bytes]]) -> threading.Thread:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/2015-03-31/functions",
        "HTTP_USER_AGENT": "APN/1.0 HashiCorp/1.0 Terraform/1.9",
    }
    thread = threading.Thread(target=lambda: results.append(app(environ, lambda *a: None)))
    thread.start()
    return thread


def test_a_stuck_request_is_logged_once_with_its_stack(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    now = [0.0]
    watch = SlowRequestWatch(_blocking_app(release), slow_after=30, clock=lambda: now[0])
    results: list[list[bytes]] = []
    thread = _request(watch, results)
    try:
        # GIVEN a request 29 s old: nothing is said
        now[0] = 29
        assert watch.check() == []
        # WHEN it passes 30 s
        now[0] = 31
        logged = watch.check()
        # THEN it is logged once, with the request and the function it is stuck in
        assert len(logged) == 1
        assert "POST /2015-03-31/functions" in logged[0]
        assert "Terraform" in logged[0]
        assert "wait_for_the_release" in logged[0]
        assert watch.check() == []
    finally:
        release.set()
        thread.join(10)
    # AND its end is logged too, and the answer is unchanged
    assert results == [[b"done"]]
    assert any("slow request finished after" in r.getMessage() for r in caplog.records)


def test_a_quick_request_leaves_nothing_behind() -> None:
    release = threading.Event()
    release.set()
    watch = SlowRequestWatch(_blocking_app(release), slow_after=0)
    results: list[list[bytes]] = []
    _request(watch, results).join(10)
    assert results == [[b"done"]]
    assert watch.check() == []
