"""Local Lambdas run on the declared runtime's Python when the machine has one that can run
them, else on the local cloud's own, and the local cloud's log says which Python runs which."""

from __future__ import annotations

import glob
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.ports import free_port
from orchestrator.local_cloud import control
from orchestrator.local_cloud.lambda_python import find_python

PORTS = range(4860, 4870)
DECLARED = "python3.12"  # the stacks' runtime
CURRENT = f"python{sys.version_info[0]}.{sys.version_info[1]}"
# A runtime whose Python the test's PATH never holds.
ABSENT = next(r for r in ("python3.13", "python3.10") if r not in (DECLARED, CURRENT))

HANDLER = """
import sys

def handler(event, context):
    return {"version": "%d.%d" % sys.version_info[:2], "executable": sys.executable}
"""


def _base_python312() -> str | None:
    """A Python 3.12 on this machine (a PATH entry may be a shim that does not run)."""
    candidates = [shutil.which("python3.12"), "/usr/bin/python3.12", "/usr/local/bin/python3.12"]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        if probe.stdout.strip() == "True":
            return candidate
    return None


def _venv(base: str, where: Path, *, with_boto3: bool) -> Path:
    """A 3.12 virtualenv's bin dir; with boto3 taken from this (pure-Python) installation, so
    the test needs no download."""
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    if with_boto3:
        (site,) = (where / "lib").glob("python3.12/site-packages")
        (site / "test_boto3.pth").write_text(str(Path(boto3.__file__).parent.parent) + "\n")
    return where / "bin"


@pytest.fixture(scope="module")
def base312() -> str:
    if CURRENT == DECLARED:
        pytest.skip("the tests run on Python 3.12 itself: nothing to choose")
    found = _base_python312()
    if found is None:
        pytest.skip("no Python 3.12 on this machine")
    return found


@pytest.fixture(scope="module")
def bin_with_boto3(base312: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv(base312, tmp_path_factory.mktemp("venv312-boto3"), with_boto3=True)


# ------------------------------------------------------------------ choosing the interpreter
def test_the_local_clouds_own_version_needs_no_search() -> None:
    chosen = find_python(CURRENT, path="")
    assert (chosen.executable, chosen.reason) == (sys.executable, None)


def test_without_the_declared_python_the_local_clouds_runs_them_and_says_so(
    tmp_path: Path,
) -> None:
    chosen = find_python(ABSENT, path=str(tmp_path))

    assert chosen.executable == sys.executable
    assert chosen.describe() == (
        f"{ABSENT} functions run on Python {platform.python_version()}, the local cloud's own "
        f"(no {ABSENT} found on PATH)"
    )


def test_a_declared_python_without_boto3_is_not_used(
    base312: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bare = _venv(base312, tmp_path_factory.mktemp("venv312-bare"), with_boto3=False)

    chosen = find_python(DECLARED, path=str(bare))

    assert chosen.executable == sys.executable
    assert chosen.reason is not None
    assert "No module named 'boto3'" in chosen.reason


def test_a_declared_python_with_boto3_is_used(bin_with_boto3: Path) -> None:
    chosen = find_python(DECLARED, path=str(bin_with_boto3))

    assert chosen.reason is None
    assert chosen.version.startswith("3.12.")
    assert Path(chosen.executable).parent == bin_with_boto3


# ---------------------------------------------------------------------- on a local cloud
@pytest.fixture(scope="module")
def cloud_with_python312(
    bin_with_boto3: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[control.LocalCloud]:
    """A local cloud whose PATH holds a Python 3.12 with boto3 and no other Python."""
    work_dir = tmp_path_factory.mktemp("local-cloud-python")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(bin_with_boto3))
        cloud = control.up(work_dir, port=free_port(PORTS))
    try:
        yield cloud
    finally:
        control.down(work_dir)


def _client(cloud: control.LocalCloud, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _role(cloud: control.LocalCloud) -> str:
    iam = _client(cloud, "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    name = f"python-test-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(role["Role"]["Arn"])


def _run(cloud: control.LocalCloud, runtime: str, role: str) -> dict[str, Any]:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("which_python.py", HANDLER)
    name = f"which-python-{uuid.uuid4().hex[:8]}"
    functions = _client(cloud, "lambda")
    functions.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role,
        Handler="which_python.handler",
        Code={"ZipFile": code.getvalue()},
        Timeout=30,
    )
    answer = functions.invoke(FunctionName=name, Payload=b"{}")
    body: dict[str, Any] = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, body
    return body


def test_functions_run_on_the_declared_python_else_the_log_says_which(
    cloud_with_python312: control.LocalCloud,
) -> None:
    # GIVEN a local cloud on a machine with Python 3.12 (with boto3) and no other Python
    role = _role(cloud_with_python312)

    # WHEN two python3.12 functions and two functions of a runtime it has no Python for run
    declared = [_run(cloud_with_python312, DECLARED, role) for _ in range(2)]
    absent = [_run(cloud_with_python312, ABSENT, role) for _ in range(2)]

    # THEN the python3.12 ones run on 3.12, the others on the local cloud's own Python
    assert [body["version"] for body in declared] == ["3.12", "3.12"]
    assert [body["version"] for body in absent] == [CURRENT.removeprefix("python")] * 2
    # AND the log says it once per runtime (four cold starts, two lines)
    log = cloud_with_python312.log_file.read_text()
    assert log.count(f"{DECLARED} functions run on Python 3.12.") == 1
    fallback = (
        f"{ABSENT} functions run on Python {platform.python_version()}, the local cloud's own "
        f"(no {ABSENT} found on PATH)"
    )
    assert log.count(fallback) == 1
