"""Start-up leaves the garbage collector tuned: its objects frozen, collections spaced out
(bench/todo.py shows what that does to liveness latency under load)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.garbage_collection import THRESHOLDS
from app.main import create_app
from tests.app_todo.conftest import make_settings
from tests.app_todo.databases import sqlite_url


@pytest.fixture
def default_collector() -> Iterator[None]:
    before = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("default_collector")
def test_the_app_freezes_start_up_objects_and_spaces_out_collections(tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url(tmp_path / "todo.db")))
    assert gc.get_freeze_count() == 0

    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        assert gc.get_threshold() == THRESHOLDS
        # The app's modules, routes and models are among the frozen objects.
        assert gc.get_freeze_count() > 10_000
