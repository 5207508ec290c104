"""The local cloud's patches are checked: the pinned moto only, and nothing replaced that moto
no longer has. A moto that drifted stops the server at start with a message saying what to do."""

from __future__ import annotations

import ast
import importlib.util
import os
import tomllib
from pathlib import Path

import pytest

from orchestrator.local_cloud import control
from orchestrator.local_cloud.monkeypatch import (
    MOTO_VERSION,
    MotoDriftError,
    MotoVersionError,
    add,
    check_moto_version,
    replace,
)
from tests.conftest import REPO_ROOT, require_component
from tests.local_cloud.conftest import free_port

LOCAL_CLOUD_DIR = REPO_ROOT / "orchestrator" / "local_cloud"


@pytest.fixture
def moto_installed() -> None:
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )


def test_the_version_the_patches_need_is_the_one_pyproject_pins() -> None:
    # GIVEN the extra that installs the local cloud
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    local = pyproject["project"]["optional-dependencies"]["local"]
    # WHEN its moto requirement is read
    pins = [entry for entry in local if entry.startswith("moto")]
    # THEN it pins exactly the version the patches check for
    assert pins == [f"moto[server]=={MOTO_VERSION}"]


def test_the_installed_moto_passes_the_check(moto_installed: None) -> None:
    assert check_moto_version() == MOTO_VERSION


def test_another_moto_is_refused_with_the_command_that_fixes_it(moto_installed: None) -> None:
    # GIVEN the installed moto, and patches written for another version
    # WHEN the check runs
    with pytest.raises(MotoVersionError) as refused:
        check_moto_version(needed="0.0.1")
    # THEN the message names both versions and the pip command
    message = str(refused.value)
    assert f"moto {MOTO_VERSION} is installed" in message
    assert "needs moto 0.0.1" in message
    assert "-m pip install 'moto[server]==0.0.1'" in message
    assert isinstance(refused.value, control.LocalCloudError)  # main shows it as an error


def test_replacing_what_moto_lacks_fails_and_changes_nothing(moto_installed: None) -> None:
    from moto.sqs.models import Queue

    # GIVEN a real moto class and a name it does not have (a renamed method upstream)
    # WHEN a patch would replace it
    with pytest.raises(MotoDriftError, match=r"cannot patch Queue\.add_messages_renamed"):
        replace(Queue, "add_messages_renamed", lambda self: None)
    # THEN no attribute was created that nothing would ever call
    assert not hasattr(Queue, "add_messages_renamed")


def test_adding_what_moto_has_now_fails_and_keeps_the_original(moto_installed: None) -> None:
    from moto.sqs.models import Queue

    original = Queue.add_message

    with pytest.raises(MotoDriftError, match=r"cannot add Queue\.add_message: moto has it now"):
        add(Queue, "add_message", lambda self: None)

    assert Queue.add_message is original


def test_replace_sets_what_exists(moto_installed: None) -> None:
    from moto import settings

    before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    try:
        replace(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 7)
        assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 7
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = before


def _moto_names(tree: ast.Module) -> set[str]:
    """The names a module binds to moto's modules, classes and functions."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "moto":
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] == "moto"
            )
    return names


def bare_patches(path: Path) -> list[str]:
    """``X.attr = ...`` or ``setattr(X, ...)`` where X is something imported from moto."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    moto = _moto_names(tree)
    found = []
    for node in ast.walk(tree):
        owners: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            owners = [target.value for target in node.targets if isinstance(target, ast.Attribute)]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr":
            owners = node.args[:1]
        if any(getattr(owner, "id", None) in moto for owner in owners):
            found.append(f"{path.name}:{getattr(node, 'lineno', '?')}")
    return found


def test_every_patch_goes_through_the_checked_functions() -> None:
    # GIVEN every module of the local cloud but the one that holds the checks
    modules = sorted(p for p in LOCAL_CLOUD_DIR.glob("*.py") if p.name != "monkeypatch.py")
    # WHEN their assignments to moto's classes, modules and settings are looked for
    found = [place for path in modules for place in bare_patches(path)]
    # THEN there are none: each goes through replace() or add(), which check moto first
    assert found == []


def test_the_scan_finds_a_bare_patch(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from moto.sqs.models import Queue\n"
        "from moto import settings\n"
        "def install():\n"
        "    Queue.add_message = None\n"
        "    setattr(settings, 'X', 1)\n"
        "    Queue.counter += 1\n"  # moto's own counters move as moto moves them
    )
    assert bare_patches(sample) == ["sample.py:4", "sample.py:5"]


def test_up_refuses_another_moto_and_says_so(
    moto_installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN pip's record of another moto first on the server's import path
    site = tmp_path / "site-packages"
    record = site / "moto-5.0.0.dist-info"
    record.mkdir(parents=True)
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: moto\nVersion: 5.0.0\n")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    )
    work_dir = tmp_path / "cloud"
    # WHEN the local cloud is started
    with pytest.raises(control.LocalCloudError) as refused:
        control.up(work_dir, port=free_port(), timeout=30)
    # THEN the error is the server's reason itself, not the last lines of its log
    message = str(refused.value)
    assert message.startswith("moto 5.0.0 is installed, but the local cloud patches")
    assert f"needs moto {MOTO_VERSION}" in message
    assert f"-m pip install 'moto[server]=={MOTO_VERSION}'" in message
    assert "Last lines" not in message
    # AND nothing is left running
    assert control.status(work_dir) is None
    assert not (work_dir / control.PID_FILE_NAME).exists()
