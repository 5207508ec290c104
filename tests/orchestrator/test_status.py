"""`status`: every stack deployed from this workspace, from the files the orchestrator keeps."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator.cli import EXIT_OK, main
from orchestrator.workspace import StackWorkspace

APPLIED = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def deployed(home: Path, target: str, env: str, stack: str, outputs: dict[str, object]) -> Path:
    workspace = StackWorkspace(home, target, env, stack)
    workspace.dir.mkdir(parents=True)
    workspace.outputs_path.write_text(json.dumps(outputs))
    os.utime(workspace.outputs_path, (APPLIED.timestamp(), APPLIED.timestamp()))
    return workspace.dir


@pytest.fixture
def workspace(isolated_environment: Path) -> Path:
    """A local inventory (its local cloud is not running) and a todo on AWS with S3 state."""
    deployed(
        isolated_environment,
        "local",
        "dev",
        "inventory",
        {
            "website_url": "http://127.0.0.1:4566/_website/site/",
            "api_endpoint": "http://127.0.0.1:4566/_api/abc",
            "table_name": "Inventory-dev",
        },
    )
    todo = deployed(
        isolated_environment,
        "aws",
        "prod",
        "todo",
        {
            "api_base_url": "http://todo-prod-123.us-east-1.elb.amazonaws.com",
            "alb_dns_name": "todo-prod-123.us-east-1.elb.amazonaws.com",
            "database": "managed",
        },
    )
    # As terraform records the backend of the last init (here: team state in S3).
    record = {"backend": {"type": "s3", "config": {"bucket": "team", "key": "aws/prod/todo/t"}}}
    (todo / ".terraform").mkdir()
    (todo / ".terraform" / "terraform.tfstate").write_text(json.dumps(record))
    # A stack whose deploy never finished has no outputs: not listed.
    StackWorkspace(isolated_environment, "local", "dev", "todo").dir.mkdir(parents=True)
    return isolated_environment


def test_status_lists_every_deployed_stack_as_json(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--json"]) == EXIT_OK

    found = json.loads(capsys.readouterr().out)
    assert found["local_cloud"] == {"running": False, "endpoint_url": None}
    by_place = {(s["target"], s["environment"], s["stack"]): s for s in found["stacks"]}
    assert sorted(by_place) == [("aws", "prod", "todo"), ("local", "dev", "inventory")]
    todo = by_place["aws", "prod", "todo"]
    assert todo["urls"] == {
        "alb_dns_name": "todo-prod-123.us-east-1.elb.amazonaws.com",
        "api_base_url": "http://todo-prod-123.us-east-1.elb.amazonaws.com",
    }
    assert todo["state"] == "s3://team/aws/prod/todo/t"
    assert todo["applied_at"] == "2026-03-01T12:30:00+00:00"
    assert todo["gone"] is False
    inventory = by_place["local", "dev", "inventory"]
    assert set(inventory["urls"]) == {"website_url", "api_endpoint"}
    assert inventory["state"] == str(workspace / "state/local/dev/inventory/terraform.tfstate")
    # The local cloud is not running: what it held is gone
    assert inventory["gone"] is True


def test_status_says_local_environments_are_gone(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == EXIT_OK

    out = capsys.readouterr().out
    assert "Local cloud: not running" in out
    assert "local cloud not running: these local environments are gone" in out
    assert "inventory  target local, env dev, applied 2026-03-01T12:30:00+00:00  [gone" in out
    assert "todo  target aws, env prod, applied 2026-03-01T12:30:00+00:00\n" in out
    assert "website_url:        http://127.0.0.1:4566/_website/site/" in out


def test_status_of_an_empty_workspace(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "No stack is deployed from this workspace." in out
    assert "gone" not in out
