"""Shared test fixtures and the rule for missing components.

A test that needs a component this machine lacks (terraform, Chromium, a Docker engine, MariaDB)
calls ``require_component``: on a user's machine it skips with the reason; in CI (``CI=true``)
it fails, so a missing install step in ``.ci/run`` can never hide behind a skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The longest module (over ten minutes of 200k-row loads); started first when run in parallel.
LONGEST_MODULES = ("tests/integration/test_inventory_at_scale.py",)
EVENTS_DIR = Path(__file__).resolve().parent / "events"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_component(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) when a component the test needs is missing."""
    if available:
        return
    if in_ci():
        pytest.fail(f"required component missing in CI: {reason}")
    pytest.skip(reason)


def load_event(name: str) -> dict[str, Any]:
    """Load a recorded event shape from tests/events/NAME.json."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist (``make test``), modules go to the workers in collection order, whole
    (``--dist loadfile``). Modules that apply stacks onto the local cloud take minutes each: put
    them first, so that none starts last and runs alone while the other workers idle. A module's
    tests keep their order (some build on the one before)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def module_of(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    slow = {module_of(item) for item in items if item.get_closest_marker("integration")}

    def rank(module: str) -> int:
        if module in LONGEST_MODULES:
            return 0
        return 1 if module in slow else 2

    first_seen = {module: n for n, module in enumerate(dict.fromkeys(map(module_of, items)))}
    items.sort(key=lambda item: (rank(module_of(item)), first_seen[module_of(item)]))


@pytest.fixture(scope="session", autouse=True)
def state_on_this_machine() -> Iterator[None]:
    """A team's ORCHESTRATE_STATE_BUCKET must not send test states to S3; tests that want a
    bucket name their own."""
    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "ORCHESTRATE_STATE_BUCKET",
            "ORCHESTRATE_STATE_REGION",
            "ORCHESTRATE_STATE_PREFIX",
        ):
            patch.delenv(name, raising=False)
        # Nor may a developer's .env (Learner Lab keys) reach the tests' commands.
        patch.setenv("ORCHESTRATE_DOTENV", "off")
        yield


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
