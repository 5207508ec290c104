"""The TODO stack's secrets: the local task's settings and the ``token`` command.

GIVEN a moto server holding secrets (a plain-string token, a JSON database secret)
WHEN the orchestrator splits the app container's ``environment`` and ``secrets`` for the local
task (which reads the secrets with the execution role: tests/local_cloud/test_iam_enforcement.py),
reads a ``valueFrom`` as ECS does, or ``token todo`` reads the token the stack's outputs name
THEN plain variables pass as they are, each secret is read whole or by JSON key (and version
stage), the database settings are left to the local runner, the command prints the token alone,
and a secret that cannot be read is an error that names it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import EXIT_FAILED, EXIT_OK, main
from orchestrator.stacks.todo.local_task_common import LocalTaskError, read_secret_value
from orchestrator.stacks.todo.steps import task_environment, task_secrets
from tests.orchestrator.moto_inventory import Clients, use_as_aws


@pytest.fixture
def secrets(aws: Clients) -> Iterator[dict[str, str]]:
    """The ARNs of a plain-string token (two versions) and a JSON database secret."""
    client = aws("secretsmanager")
    token = client.create_secret(Name="todo-test-api-token", SecretString="old-token")["ARN"]
    client.put_secret_value(SecretId=token, SecretString="current-token")
    database = client.create_secret(
        Name="todo-test-db", SecretString=json.dumps({"username": "todo", "password": "pw"})
    )["ARN"]
    yield {"token": token, "database": database}
    for arn in (token, database):
        client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def container(*secrets: tuple[str, str], **environment: str) -> dict[str, Any]:
    return {
        "name": "api",
        "environment": [{"name": key, "value": value} for key, value in environment.items()],
        "secrets": [{"name": name, "valueFrom": value} for name, value in secrets],
    }


def read(aws: Clients, value_from: str) -> str:
    return read_secret_value(aws("secretsmanager"), value_from)


def test_plain_string_secret_is_read_whole_and_plain_variables_pass(
    aws: Clients, secrets: dict[str, str]
) -> None:
    api = container(("API_TOKEN", secrets["token"]), API_AUTH_READS="true")

    assert task_environment(api) == {"API_AUTH_READS": "true"}
    assert task_secrets(api) == {"API_TOKEN": secrets["token"]}
    assert read(aws, secrets["token"]) == "current-token"


def test_json_key_and_version_stage_pick_one_value(aws: Clients, secrets: dict[str, str]) -> None:
    assert read(aws, f"{secrets['token']}::AWSPREVIOUS:") == "old-token"
    assert read(aws, f"{secrets['database']}:username::") == "todo"


def test_database_settings_are_left_to_the_local_runner(secrets: dict[str, str]) -> None:
    api = container(
        ("DB_PASSWORD", f"{secrets['database']}:password::"), DB_HOST="127.0.0.1", DB_PORT="3306"
    )

    assert task_environment(api) == {}
    assert task_secrets(api) == {}


def test_unreadable_secrets_are_errors_that_name_them(
    aws: Clients, secrets: dict[str, str]
) -> None:
    parameter = "arn:aws:ssm:us-east-1:123456789012:parameter/todo/token"
    with pytest.raises(LocalTaskError, match="is not a Secrets Manager secret ARN"):
        read(aws, parameter)
    with pytest.raises(LocalTaskError, match="has no JSON key 'nope'"):
        read(aws, f"{secrets['database']}:nope::")
    with pytest.raises(LocalTaskError, match="has no JSON key"):
        read(aws, f"{secrets['token']}:password::")
    missing = secrets["token"].replace("todo-test-api-token", "todo-gone")
    with pytest.raises(LocalTaskError, match="does not exist"):
        read(aws, missing)


def write_todo_outputs(home: Path, secret_arn: str) -> None:
    """The todo stack's outputs as a deploy with api_auth = token leaves them (target aws)."""
    path = home / "state" / "aws" / "dev" / "todo" / "outputs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_auth": "token", "api_token_secret_arn": secret_arn}))


def test_token_command_prints_the_current_token_alone(
    endpoint: str,
    secrets: dict[str, str],
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, endpoint)
    write_todo_outputs(isolated_environment, secrets["token"])

    assert main(["token", "todo", "--target", "aws"]) == EXIT_OK
    assert capsys.readouterr().out == "current-token\n"


def test_token_command_says_when_the_secret_is_gone(
    endpoint: str,
    secrets: dict[str, str],
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, endpoint)
    gone = secrets["token"].replace("todo-test-api-token", "todo-gone")
    write_todo_outputs(isolated_environment, gone)

    assert main(["token", "todo", "--target", "aws"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"the API token's secret {gone} is gone: deploy the todo stack again" in captured.err
