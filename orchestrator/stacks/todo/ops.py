"""Operations on a deployed TODO API: its bearer token, and a smoke test over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.stack_spec import Say, StackError
from orchestrator.targets import Target


def api_token(target: Target, outputs: dict[str, Any]) -> str | None:
    """The API's bearer token from Secrets Manager; None when the stack has none (api_auth =
    none). It is read on demand and never written next to the outputs."""
    secret_arn = outputs.get("api_token_secret_arn")
    if not secret_arn:
        return None
    try:
        value = target.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise StackError(
                f"the API token's secret {secret_arn} is gone: deploy the todo stack again"
            ) from None
        raise StackError(f"cannot read the API token's secret {secret_arn}: {error}") from None
    return str(value["SecretString"])


def curl_example(outputs: dict[str, Any], token: str) -> str:
    """A command line that creates a task with the token, for the user to copy."""
    url = outputs.get("tasks_url") or f"{str(outputs['api_base_url']).rstrip('/')}/tasks"
    return (
        f'curl -H "Authorization: Bearer {token}" -H "Content-Type: application/json" '
        f'-d \'{{"title": "my first task"}}\' {url}'
    )


def _call(
    method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return error.code, raw.decode(errors="replace")
    except (urllib.error.URLError, OSError) as error:  # no answer at all: not a failed check
        reason = getattr(error, "reason", None) or error
        raise StackError(
            f"the TODO API does not answer at {url} ({reason}): is it running? Deploy it again "
            "with 'python orchestrate.py deploy todo' (on the local target the task stops with "
            "'local down' or when Docker restarts)"
        ) from None


def smoke_todo(outputs: dict[str, Any], say: Say, *, token: str | None = None) -> bool:
    """Run one task through its whole life; say each step's result; True if all passed.

    With a ``token`` (the stack's api_auth = token) every call sends it, and the smoke test also
    checks that a write without it (and a read, when reads need it) is refused with 401.
    """
    base = str(outputs["api_base_url"]).rstrip("/")
    ok = True

    def check(label: str, passed: bool, detail: str) -> None:
        nonlocal ok
        say(f"{'PASS' if passed else 'FAIL'} {label}: {detail}")
        ok = ok and passed

    def call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return _call(method, url, body, token)

    status, body = call("GET", f"{base}/")
    check("GET /", status == 200, f"HTTP {status} {body}")
    if token:
        status, _ = _call("POST", f"{base}/tasks", {"title": "no token"})
        check("POST /tasks without the token is refused", status == 401, f"HTTP {status}")
        if outputs.get("api_auth_reads"):
            status, _ = _call("GET", f"{base}/tasks")
            check("GET /tasks without the token is refused", status == 401, f"HTTP {status}")
    status, created = call("POST", f"{base}/tasks", {"title": "smoke test task"})
    check(
        "POST /tasks", status == 201 and created.get("title") == "smoke test task", f"HTTP {status}"
    )
    if status != 201:
        return False
    url = f"{base}/tasks/{created['id']}"
    status, read = call("GET", url)
    check("GET /tasks/{id}", status == 200 and read == created, f"HTTP {status}")
    status, replaced = call("PUT", url, {"title": "smoke test, replaced", "completed": False})
    check(
        "PUT /tasks/{id}",
        status == 200 and replaced["title"].endswith("replaced"),
        f"HTTP {status}",
    )
    status, patched = call("PATCH", url, {"completed": True})
    check("PATCH /tasks/{id}", status == 200 and patched["completed"] is True, f"HTTP {status}")
    status, _ = call("DELETE", url)
    check("DELETE /tasks/{id}", status == 204, f"HTTP {status}")
    status, _ = call("GET", url)
    check("GET after DELETE", status == 404, f"HTTP {status}")
    return ok
