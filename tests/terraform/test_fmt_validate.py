"""Every Terraform file is formatted, and both root configurations validate."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT, require_component
from tests.terraform.tf_helpers import Stack


def test_terraform_files_are_formatted() -> None:
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(REPO_ROOT / "terraform")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run 'terraform fmt -recursive terraform':\n{result.stdout}"


@pytest.mark.parametrize("stack_fixture", ["inventory_stack", "todo_stack"])
def test_root_configuration_validates(stack_fixture: str, request: pytest.FixtureRequest) -> None:
    stack: Stack = request.getfixturevalue(stack_fixture)
    assert "The configuration is valid." in stack.run("validate", "-no-color")
