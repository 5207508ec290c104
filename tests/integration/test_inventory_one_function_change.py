"""A one-line change to one handler is one planned change on the local cloud (real Terraform).

GIVEN the inventory deployed on a private local cloud from the repository's sources
WHEN one handler changes by one line (in a copy of the sources) and the stack is planned again
THEN the plan updates exactly that function; applied, the function runs its new zip and the
others keep theirs, and a second plan shows no change.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from devtools.inventory_sources import change_one_line, copy_inventory_sources
from orchestrator.deploy import StackRun
from orchestrator.stacks.inventory import inventory_from
from orchestrator.workspace import build_dir
from tests.integration.local_stack import DeployedStack, applied_on_local_cloud

pytestmark = pytest.mark.integration

CHANGED = "notify_low_stock"
ADDRESS = f'module.inventory.aws_lambda_function.this["{CHANGED}"]'


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    home = tmp_path_factory.mktemp("orchestrate-home")
    with applied_on_local_cloud("inventory", "onechange", home) as deployed:
        yield deployed


def code_hashes(stack: DeployedStack) -> dict[str, str]:
    """CodeSha256 of every function of the stack, as the cloud holds it."""
    client = boto3.client(
        "lambda",
        endpoint_url=stack.target.endpoint_url,
        region_name=stack.target.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    names: dict[str, str] = stack.outputs["function_names"]
    return {
        key: client.get_function_configuration(FunctionName=name)["CodeSha256"]
        for key, name in names.items()
    }


def test_a_one_line_change_to_one_handler_updates_that_function_only(
    stack: DeployedStack, tmp_path: Path
) -> None:
    # GIVEN a copy of the sources with one line added to one handler
    sources = copy_inventory_sources(tmp_path / "src")
    change_one_line(sources, CHANGED)
    run = StackRun(inventory_from(sources), stack.target, stack.environment, print)
    before = code_hashes(stack)

    # WHEN the stack is planned from the copy
    _, summary = run.plan({}, out=tmp_path / "one-change.tfplan")

    # THEN exactly one resource changes: that function, in place
    assert (summary.adds, summary.changes, summary.destroys, summary.replaces) == (
        [],
        [ADDRESS],
        [],
        [],
    )

    # WHEN it is deployed
    run.deploy({})

    # THEN that function runs its new zip, the others their old ones, and nothing is left to do
    after = code_hashes(stack)
    new_zip = build_dir() / "inventory" / "functions" / f"{CHANGED}.zip"
    assert (
        after[CHANGED] == base64.b64encode(hashlib.sha256(new_zip.read_bytes()).digest()).decode()
    )
    assert after[CHANGED] != before[CHANGED]
    assert {k: v for k, v in after.items() if k != CHANGED} == {
        k: v for k, v in before.items() if k != CHANGED
    }
    _, again = run.plan({}, out=tmp_path / "again.tfplan")
    assert not again.has_changes, again.render()
