"""The stack says which variables name the files it builds: a destroy reuses the remembered
variables only while those files exist (no guessing from a ``.zip`` suffix).

GIVEN the variables remembered by a plan
WHEN one of the declared package files (a map value or a plain path) is gone
THEN they are not reused (the stack prepares its packages again); other strings never count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.deploy import StackRun
from orchestrator.stacks.inventory import STACK as INVENTORY
from orchestrator.stacks.inventory.stack import INVENTORY_PACKAGE_VARS
from orchestrator.targets import Target


def remembered_run(variables: dict[str, Any]) -> StackRun:
    run = StackRun(INVENTORY, Target(name="local", region="us-east-1"), "dev", print)
    run.workspace.dir.mkdir(parents=True, exist_ok=True)
    run.workspace.meta_path.write_text(json.dumps(variables))
    return run


def package_variables(folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("api.zip", "loader.zip", "layer.zip"):
        (folder / name).write_bytes(b"zip")
    return {
        "lambda_packages": {"api": str(folder / "api.zip"), "loader": str(folder / "loader.zip")},
        "lambda_layer_path": str(folder / "layer.zip"),
        # Not a package variable: a missing path here does not matter.
        "website_source_dir": str(folder / "gone-website.zip"),
    }


def test_the_inventory_declares_its_package_variables() -> None:
    assert (
        INVENTORY.package_vars == INVENTORY_PACKAGE_VARS == ("lambda_packages", "lambda_layer_path")
    )


def test_remembered_variables_are_reused_while_their_packages_exist(tmp_path: Path) -> None:
    variables = package_variables(tmp_path / "build")

    assert remembered_run(variables)._remembered() == variables


def test_a_missing_function_zip_or_layer_means_packaging_again(tmp_path: Path) -> None:
    variables = package_variables(tmp_path / "build")
    Path(variables["lambda_packages"]["loader"]).unlink()
    assert remembered_run(variables)._remembered() is None

    variables = package_variables(tmp_path / "build")
    Path(variables["lambda_layer_path"]).unlink()
    assert remembered_run(variables)._remembered() is None


def test_variables_from_before_the_layer_mean_packaging_again(tmp_path: Path) -> None:
    # What an older orchestrator remembered: one zip for every function
    (tmp_path / "inventory-lambda.zip").write_bytes(b"zip")
    old = {"lambda_package_path": str(tmp_path / "inventory-lambda.zip")}

    assert remembered_run(old)._remembered() is None
