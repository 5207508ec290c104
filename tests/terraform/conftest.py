"""Fixtures for Terraform tests: a moto server, and the stacks initialised against it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, require_component
from tests.terraform.tf_helpers import (
    MIRROR_ENV,
    Stack,
    TerraformFailed,
    emulator_env,
    moto_server,
)

INVENTORY_STACK = REPO_ROOT / "terraform" / "stacks" / "inventory"
TODO_STACK = REPO_ROOT / "terraform" / "stacks" / "todo"


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Terraform's plan needs STS (the account id names the buckets): a moto server answers."""
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


def initialised_stack(config_dir: Path, work_dir: Path, endpoint: str) -> Stack:
    """A root configuration initialised in ``work_dir``, its provider pointed at ``endpoint``."""
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    stack = Stack(config_dir=config_dir, work_dir=work_dir, extra_env=emulator_env(endpoint))
    try:
        stack.init()
    except TerraformFailed as error:
        if os.environ.get(MIRROR_ENV):
            raise
        require_component(
            False,
            "terraform init could not install hashicorp/aws from the public registry; set "
            f"{MIRROR_ENV} to a provider mirror directory to test offline "
            f"(terraform said: {error.output.strip()[-300:]})",
        )
    return stack


@pytest.fixture(scope="module")
def inventory_stack(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Stack:
    return initialised_stack(
        INVENTORY_STACK, tmp_path_factory.mktemp("tf-inventory"), moto_endpoint
    )


@pytest.fixture(scope="module")
def todo_stack(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Stack:
    return initialised_stack(TODO_STACK, tmp_path_factory.mktemp("tf-todo"), moto_endpoint)


INVENTORY_FUNCTIONS = (
    "load_inventory",
    "load_inventory_range",
    "load_range_failed",
    "notify_low_stock",
    "get_inventory_api",
)


@pytest.fixture(scope="module")
def package_vars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Stand-ins for the orchestrator's packages (the plan only hashes them): a zip per
    function, each with different bytes, and the layer's zip."""
    folder = tmp_path_factory.mktemp("packages")
    packages = {}
    for key in (*INVENTORY_FUNCTIONS, "layer"):
        path = folder / f"{key}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"app_inventory/{key}.py", f"# {key}\n")
        packages[key] = str(path)
    layer = packages.pop("layer")
    return {"lambda_packages": packages, "lambda_layer_path": layer}


@pytest.fixture(scope="module")
def web_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Website sources, with a stale config.js that the generated one must replace."""
    site = tmp_path_factory.mktemp("web")
    (site / "index.html").write_text("<!doctype html><title>Inventory</title>\n")
    (site / "app.js").write_text("console.log('inventory');\n")
    (site / "style.css").write_text("body { margin: 0; }\n")
    (site / "config.js").write_text("window.INVENTORY_CONFIG = {};\n")
    return site
