"""The real-AWS acceptance suite runs only when asked: ``make test-aws`` sets the opt-in variable
and selects the ``aws`` marker. Anything else (``make test``, ``make test-fast``, CI) deselects
those tests, so they neither run nor count as skipped."""

from __future__ import annotations

import os

import pytest

from tests.aws.acceptance import OPT_IN


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(OPT_IN) == "1":
        return
    chosen = [item for item in items if item.get_closest_marker("aws") is None]
    left_out = [item for item in items if item.get_closest_marker("aws") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = chosen
