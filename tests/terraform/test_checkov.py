"""checkov, static analysis of the Terraform: every finding is fixed or explained in the HCL.

checkov runs over ``terraform/modules`` and ``terraform/stacks`` (the stacks' module calls are
followed, so the modules are checked with the stacks' values). A failed check fails this test
unless the resource block carries ``#checkov:skip=CKV_...:reason``; a skip without a reason, and
any skip outside the HCL (a config file, ``--skip-check``), fails too.

checkov lives in a tool virtualenv of its own (``.ci/setup_checkov.sh``): its pins would
downgrade the project's boto3, whose models moto parses requests with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, require_component

SCANNED = ("terraform/modules", "terraform/stacks")
SETUP = ".ci/setup_checkov.sh"
# What checkov writes when a skip comment gives no reason.
NO_REASON = "No comment provided"


def checkov_binary() -> str | None:
    """``$CHECKOV``, the tool venv ``.ci/setup_checkov.sh`` makes, or checkov on PATH."""
    if os.environ.get("CHECKOV"):
        return os.environ["CHECKOV"]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = Path(os.environ.get("CHECKOV_HOME") or cache / "cloud-reference-stacks" / "checkov")
    for candidate in (home / "bin" / "checkov", shutil.which("checkov")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    binary = checkov_binary()
    require_component(
        binary is not None,
        f"checkov is not installed: run 'bash {SETUP}' (a tool venv under ~/.cache), or set "
        "CHECKOV to its path",
    )
    assert binary is not None
    merged: dict[str, Any] = {
        "summary": {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0},
        "results": {"passed_checks": [], "failed_checks": [], "skipped_checks": []},
    }
    # One run per folder: given both at once, checkov names the stacks' module resources
    # without their module address.
    for folder in SCANNED:
        run = _checkov(binary, folder)
        for key in ("passed", "failed", "skipped", "parsing_errors"):
            merged["summary"][key] += int(run["summary"][key])
        for key in merged["results"]:
            merged["results"][key] += run["results"].get(key, [])
        merged["summary"]["checkov_version"] = run["summary"].get("checkov_version")
    return merged


def _checkov(binary: str, folder: str) -> dict[str, Any]:
    # Not --quiet: it would leave the passed and skipped checks out of the JSON.
    # --skip-download: no guidelines or policies from the checkov platform (offline, and the
    # same checks on every run).
    argv = [binary, "--framework", "terraform", "--output", "json", "--compact"]
    argv += ["--skip-download", "--directory", folder]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    done = subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False, env=env
    )
    # Exit code 1 means failed checks, which the tests below list; anything else is a crash.
    assert done.returncode in (0, 1), done.stderr[-3000:]
    found = json.loads(done.stdout)
    runs = found if isinstance(found, list) else [found]
    terraform = [r for r in runs if r.get("check_type") == "terraform"]
    assert len(terraform) == 1, done.stdout[:2000]
    return dict(terraform[0])


def _where(check: dict[str, Any]) -> str:
    first, last = check.get("file_line_range") or (0, 0)
    path = str(check.get("repo_file_path") or check.get("file_path", "?")).lstrip("/")
    return f"{path}:{first}-{last}"


def _reason(check: dict[str, Any]) -> str:
    return str((check.get("check_result") or {}).get("suppress_comment") or NO_REASON)


def test_checkov_scanned_both_stacks_and_their_modules(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    assert summary["passed"] > 50, summary
    results = report["results"]
    checked = results["passed_checks"] + results["failed_checks"] + results["skipped_checks"]
    resources = {str(check["resource"]) for check in checked}
    assert any(name.startswith("module.inventory.") for name in resources)
    assert any(name.startswith("module.todo.") for name in resources)


def test_no_unexplained_checkov_finding(report: dict[str, Any]) -> None:
    failed = report["results"]["failed_checks"]
    lines = sorted(
        {
            f"{check['check_id']} {check['resource']} ({_where(check)}): {check['check_name']}"
            for check in failed
        }
    )
    assert not lines, (
        f"{len(lines)} checkov finding(s) (checkov {report['summary'].get('checkov_version')}): "
        "fix each, or add '#checkov:skip=<ID>:<why>' inside the resource block\n  "
        + "\n  ".join(lines)
    )


def test_every_skip_says_why(report: dict[str, Any]) -> None:
    skipped = report["results"]["skipped_checks"]
    assert skipped, "no skip comment was honoured: checkov read no '#checkov:skip=' line"
    vague = sorted(
        {
            f"{check['check_id']} {check['resource']} ({_where(check)})"
            for check in skipped
            if len(_reason(check).split()) < 4 or NO_REASON in _reason(check)
        }
    )
    assert not vague, "skips without a reason of a few words:\n  " + "\n  ".join(vague)


def test_no_skip_outside_the_hcl() -> None:
    for folder in (REPO_ROOT, REPO_ROOT / "terraform", *(REPO_ROOT / d for d in SCANNED)):
        for name in (".checkov.yaml", ".checkov.yml"):
            assert not (folder / name).exists(), f"{folder / name}: skips belong in the HCL"
