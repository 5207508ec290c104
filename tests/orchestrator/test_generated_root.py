"""Terraform runs on a generated copy of a stack's root under the work dir; the source tree is
never written (issue 9).

The stack is ``fixtures/tree/stacks/module_stack``, inside the repository and not copied, shaped
like ``terraform/stacks/*``: a local module call and a ``path.root`` reference. Terraform is real,
and so is the S3 backend on the real local cloud. The work dir of every test is under pytest's
temporary directory, so these tests also cover a work dir outside the repository.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator import generated_root, stack_spec
from orchestrator.deploy import StackRun
from orchestrator.generated_root import LOCK_FILE_NAME, OVERRIDE_FILE_NAME, GeneratedRoot
from orchestrator.stack_spec import StackSpec
from orchestrator.state_backend import BUCKET_ENV, OVERRIDE_TEXT, PREFIX_ENV
from orchestrator.targets import Target
from orchestrator.terraform import Terraform
from orchestrator.workspace import REPO_ROOT
from tests.conftest import require_component

TREE = Path(__file__).parent / "fixtures" / "tree"
STACK = "module_stack"
SOURCE = TREE / "stacks" / STACK
GREETING = "hello from the committed root"

SPEC = StackSpec(
    name=STACK,
    summary="a provider-free stack with a local module",
    prepare=lambda _ctx, user_vars: dict(user_vars),
    finish=lambda _ctx, outputs: outputs,
    highlights=(),
)


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file under ``folders``, git-ignored ones included, with a hash of its content."""
    found: dict[str, str] = {}
    for folder in folders:
        for directory, _dirs, files in os.walk(folder):
            for name in files:
                path = Path(directory) / name
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def said(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


def require_terraform() -> None:
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")


# ------------------------------------------------------------------------- the copy itself
def test_the_copy_points_back_at_the_committed_module_and_folder(tmp_path: Path) -> None:
    # GIVEN a generated root far from the repository
    root = GeneratedRoot(SOURCE, tmp_path / "roots" / "local" / "dev" / STACK)

    # WHEN it is written
    into = root.write(print)

    # THEN it holds the .tf files only, and its module source and path.root lead back here
    assert sorted(path.name for path in into.iterdir()) == ["backend.tf", "main.tf"]
    text = (into / "main.tf").read_text()
    source = text.split('source = "', 1)[1].split('"', 1)[0]
    assert source.startswith("../")
    assert (into / source).resolve() == (TREE / "modules" / "names").resolve()
    assert "${path.root}" not in text
    folder = text.split('file("', 1)[1].split("/greeting.txt", 1)[0]
    assert (into / folder).resolve() == SOURCE.resolve()


def test_path_root_means_the_committed_folder_in_every_form(tmp_path: Path) -> None:
    # GIVEN a root that uses path.root bare, path.module in a template, and names it in prose
    require_terraform()
    source = tmp_path / "repo" / "stacks" / "paths"
    source.mkdir(parents=True)
    (source / "main.tf").write_text(
        'variable "note" {\n'
        '  description = "Relative to path.root, as prose."\n'
        "  type        = string\n"
        '  default     = "x"\n'
        "}\n\n"
        'output "bare" {\n  value = abspath(path.root)\n}\n\n'
        'output "template" {\n  value = abspath("${path.module}/x")\n}\n'
    )
    root = GeneratedRoot(source, tmp_path / "home" / "roots" / "paths")

    # WHEN terraform applies the generated copy
    tf = Terraform(root.write(print), tmp_path / "data")
    tf.init()
    plan = tmp_path / "paths.tfplan"
    tf.plan({}, plan)
    tf.apply(plan)

    # THEN both forms are the committed folder, and the prose is as it was
    assert tf.output() == {"bare": str(source), "template": str(source / "x")}
    assert '"Relative to path.root, as prose."' in (root.dir / "main.tf").read_text()


def test_files_gone_from_the_source_are_removed_from_the_copy(tmp_path: Path) -> None:
    root = GeneratedRoot(SOURCE, tmp_path / "root")
    root.write(print)
    (root.dir / "renamed_since.tf").write_text("# was a file of the stack\n")
    (root.dir / OVERRIDE_FILE_NAME).write_text(OVERRIDE_TEXT)

    root.write(print)

    assert not (root.dir / "renamed_since.tf").exists()
    # The override belongs to the state backend, which removes it itself when unset.
    assert (root.dir / OVERRIDE_FILE_NAME).exists()


def test_a_leftover_override_in_the_source_is_removed_once_with_a_note(tmp_path: Path) -> None:
    # GIVEN the override an earlier version wrote into the committed root (git-ignored)
    source = tmp_path / "stacks" / STACK
    shutil.copytree(SOURCE, source)
    (source / OVERRIDE_FILE_NAME).write_text(
        "# Written by the orchestrator because ORCHESTRATE_STATE_BUCKET is set (git-ignored): the\n"
        'terraform {\n  backend "s3" {}\n}\n'
    )
    lines: list[str] = []

    # WHEN the root is generated
    into = GeneratedRoot(source, tmp_path / "root").write(lines.append)

    # THEN the leftover is gone, not copied, and the user is told where the settings live now
    assert not (source / OVERRIDE_FILE_NAME).exists()
    assert not (into / OVERRIDE_FILE_NAME).exists()
    assert said(lines, f"note: removed {source / OVERRIDE_FILE_NAME}")


def test_someone_elses_override_is_kept_and_named(tmp_path: Path) -> None:
    source = tmp_path / "stacks" / STACK
    shutil.copytree(SOURCE, source)
    (source / OVERRIDE_FILE_NAME).write_text('terraform {\n  backend "s3" {}\n}\n')
    lines: list[str] = []

    into = GeneratedRoot(source, tmp_path / "root").write(lines.append)

    assert (source / OVERRIDE_FILE_NAME).exists()
    assert not (into / OVERRIDE_FILE_NAME).exists()
    assert said(lines, "is not the orchestrator's")


def test_the_committed_lock_file_is_copied_in_and_a_change_is_reported(tmp_path: Path) -> None:
    # GIVEN a root with a committed lock file
    source = tmp_path / "stacks" / STACK
    shutil.copytree(SOURCE, source)
    (source / LOCK_FILE_NAME).write_text("# committed\n")
    root = GeneratedRoot(source, tmp_path / "root")
    root.write(print)
    lines: list[str] = []

    # WHEN it is copied in and init leaves it as it is, nothing is said
    root.copy_lock_in()
    root.check_lock(lines.append)
    assert root.lock_file.read_text() == "# committed\n"
    assert lines == []

    # WHEN init changes the copy (a provider upgrade, new hashes)
    root.lock_file.write_text("# changed by init\n")
    root.check_lock(lines.append)

    # THEN the user is told, and the committed file is untouched
    assert said(lines, "terraform init changed the provider lock file")
    assert (source / LOCK_FILE_NAME).read_text() == "# committed\n"
    # AND the next init starts from the committed one again
    root.copy_lock_in()
    assert root.lock_file.read_text() == "# committed\n"


def test_without_a_relative_path_the_module_is_copied_and_still_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a work dir with no relative path to the repository (another drive on Windows)
    require_terraform()
    monkeypatch.setattr(generated_root, "_relative", lambda _path, _start: None)
    root = GeneratedRoot(SOURCE, tmp_path / "root")

    # WHEN terraform plans and applies the generated root
    into = root.write(print)
    tf = Terraform(into, tmp_path / "data")
    tf.init(state_path=tmp_path / "terraform.tfstate")
    plan = tmp_path / "names.tfplan"
    summary = tf.plan({"names": ["a"]}, plan)
    tf.apply(plan)

    # THEN the module was a local copy, and path.root still found the committed folder
    assert 'source = "./modules/names"' in (into / "main.tf").read_text()
    assert summary.adds == ['module.names.terraform_data.this["a"]']
    assert tf.output() == {"names": ["a"], "greeting": GREETING}


# ------------------------------------------------------------------- end to end, team state
@pytest.fixture(scope="module")
def cloud_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    require_terraform()
    require_component(
        importlib.util.find_spec("moto") is not None,
        "moto is not installed: pip install -e '.[dev]'",
    )
    from orchestrator.local_cloud import control

    work_dir = tmp_path_factory.mktemp("local-cloud")
    cloud = control.up(work_dir, port=free_port(range(4790, 4800)))
    try:
        env = cloud.env()
        yield Target("local", env["AWS_REGION"], env, cloud.endpoint_url, "test")
    finally:
        control.down(work_dir)


@pytest.fixture
def bucket(cloud_target: Target, monkeypatch: pytest.MonkeyPatch) -> str:
    s3: Any = cloud_target.client("s3")
    name = f"state-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv(BUCKET_ENV, name)
    monkeypatch.setenv(PREFIX_ENV, "team")
    return name


def git_status(*paths: Path) -> str:
    """``git status`` of ``paths``, ignored files included ('' when git is not here)."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        return ""
    listed = [str(path.relative_to(REPO_ROOT)) for path in paths]
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--", *listed],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_deploy_plan_destroy_with_team_state_write_nothing_into_the_source_tree(
    cloud_target: Target, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a stack in the repository and a state bucket named in the environment
    monkeypatch.setattr(stack_spec, "TERRAFORM_DIR", TREE)
    before, status_before = snapshot(TREE), git_status(TREE)
    lines: list[str] = []
    run = StackRun(SPEC, cloud_target, "dev", lines.append)

    # WHEN it is deployed, planned again and destroyed
    outputs = run.deploy({"names": ["a", "b"]})
    _, summary = run.plan({"names": ["a", "b"]})
    destroyed = run.destroy()

    # THEN each step worked on the bucket's state, through the module and path.root
    assert outputs == {"names": ["a", "b"], "greeting": GREETING}
    assert not summary.has_changes, summary.render()
    assert destroyed
    assert said(lines, f"state: s3://{bucket}/team/local/dev/{STACK}/terraform.tfstate")
    # AND the backend override lives in the generated root under the work dir
    assert (run.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    # AND no file was added, removed or changed in the source tree, git-ignored ones included
    assert snapshot(TREE) == before
    assert git_status(TREE) == status_before


def test_two_environments_keep_their_own_backend_settings(
    cloud_target: Target, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN one environment on the bucket
    monkeypatch.setattr(stack_spec, "TERRAFORM_DIR", TREE)
    team = StackRun(SPEC, cloud_target, "team", print)
    team.deploy({"names": ["a"]})

    # WHEN another environment of the same stack runs with a local state
    monkeypatch.delenv(BUCKET_ENV)
    solo = StackRun(SPEC, cloud_target, "solo", print)
    solo.deploy({"names": ["b"]})

    # THEN each root has its own backend: one did not take the other's override
    assert (team.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    assert not (solo.workspace.config_dir / OVERRIDE_FILE_NAME).exists()
    assert solo.workspace.state_path.exists()
    assert solo.destroy()
    monkeypatch.setenv(BUCKET_ENV, bucket)
    assert team.destroy()
