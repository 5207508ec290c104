"""Smoke test of a deployed TODO API: create, read, update, delete over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from orchestrator.stacks import Say


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def smoke_todo(outputs: dict[str, Any], say: Say) -> bool:
    """Run one task through its whole life; say each step's result; True if all passed."""
    base = str(outputs["api_base_url"]).rstrip("/")
    ok = True

    def check(label: str, passed: bool, detail: str) -> None:
        nonlocal ok
        say(f"{'PASS' if passed else 'FAIL'} {label}: {detail}")
        ok = ok and passed

    status, body = _call("GET", f"{base}/")
    check("GET /", status == 200, f"HTTP {status} {body}")
    status, created = _call("POST", f"{base}/tasks", {"title": "smoke test task"})
    check(
        "POST /tasks", status == 201 and created.get("title") == "smoke test task", f"HTTP {status}"
    )
    if status != 201:
        return False
    url = f"{base}/tasks/{created['id']}"
    status, read = _call("GET", url)
    check("GET /tasks/{id}", status == 200 and read == created, f"HTTP {status}")
    status, replaced = _call("PUT", url, {"title": "smoke test, replaced", "completed": False})
    check(
        "PUT /tasks/{id}",
        status == 200 and replaced["title"].endswith("replaced"),
        f"HTTP {status}",
    )
    status, patched = _call("PATCH", url, {"completed": True})
    check("PATCH /tasks/{id}", status == 200 and patched["completed"] is True, f"HTTP {status}")
    status, _ = _call("DELETE", url)
    check("DELETE /tasks/{id}", status == 204, f"HTTP {status}")
    status, _ = _call("GET", url)
    check("GET after DELETE", status == 404, f"HTTP {status}")
    return ok
