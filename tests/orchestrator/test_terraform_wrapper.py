"""The terraform wrapper against the real terraform binary on a provider-free configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator.terraform import Terraform, TerraformError, TerraformNotFoundError
from tests.conftest import require_component

TINY_STACK = Path(__file__).parent / "fixtures" / "tiny_stack"


@pytest.fixture
def tf(tmp_path: Path) -> Terraform:
    require_component(shutil.which("terraform") is not None, "terraform is not on PATH")
    lines: list[str] = []
    wrapper = Terraform(TINY_STACK, tmp_path / "data", on_line=lines.append)
    wrapper.init(state_path=tmp_path / "state" / "terraform.tfstate")
    wrapper.lines = lines  # type: ignore[attr-defined]
    return wrapper


def test_plan_apply_output_destroy_round_trip(tf: Terraform, tmp_path: Path) -> None:
    # GIVEN two names and a typed object
    variables = {"names": ["b", "a"], "settings": {"count": 3, "enabled": True}}
    plan = tmp_path / "first.tfplan"

    # WHEN planned and applied
    summary = tf.plan(variables, plan)
    tf.apply(plan)

    # THEN the summary lists the adds by address, and outputs keep their types
    assert summary.adds == ['terraform_data.this["a"]', 'terraform_data.this["b"]']
    assert summary.changes == [] and summary.destroys == []
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in summary.render()
    assert tf.output() == {"names": ["a", "b"], "settings": {"count": 3, "enabled": True}}
    assert any("Apply complete" in line for line in tf.lines)  # type: ignore[attr-defined]
    assert (tmp_path / "state" / "terraform.tfstate").exists()

    # AND a second plan with the same variables changes nothing
    again = tf.plan(variables, tmp_path / "second.tfplan")
    assert not again.has_changes
    assert again.render().startswith("No changes.")

    # AND changing the variables gives an in-place change and a destroy, by address
    changed = tf.plan(
        {"names": ["a"], "settings": {"count": 4, "enabled": True}}, tmp_path / "third.tfplan"
    )
    assert changed.destroys == ['terraform_data.this["b"]']
    assert changed.changes == ['terraform_data.this["a"]']

    # AND destroy empties the state
    tf.destroy(variables)
    assert tf.state_resources() == []


def test_failure_carries_command_exit_code_and_terraform_diagnostic(
    tf: Terraform, tmp_path: Path
) -> None:
    variables = {"names": ["a"], "settings": {"count": 1, "enabled": True}, "fail": True}
    with pytest.raises(TerraformError) as caught:
        tf.plan(variables, tmp_path / "fails.tfplan")
    error = caught.value
    assert error.command[:2] == ["terraform", "plan"]
    assert error.returncode == 1
    assert "The fail variable is set." in error.diagnostics
    assert "Resource precondition failed" in str(error)


def test_wrong_variable_type_is_reported(tf: Terraform, tmp_path: Path) -> None:
    with pytest.raises(TerraformError) as caught:
        tf.plan({"names": "not-a-list", "settings": {"count": 1, "enabled": True}}, tmp_path / "p")
    assert "names" in caught.value.diagnostics


def test_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    wrapper = Terraform(TINY_STACK, tmp_path, binary="terraform-does-not-exist")
    with pytest.raises(TerraformNotFoundError) as caught:
        wrapper.init()
    assert caught.value.returncode == 127
    assert "was not found on PATH" in str(caught.value)


def test_mirror_env_writes_a_cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    env = Terraform(TINY_STACK, tmp_path / "data")._env()
    config = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert "filesystem_mirror" in config and str(mirror) in config


def test_targeted_first_phase_then_state_values(tf: Terraform, tmp_path: Path) -> None:
    # GIVEN two resources, WHEN only one is targeted
    variables = {"names": ["a", "b"], "settings": {"count": 1, "enabled": False}}
    first = tf.plan(variables, tmp_path / "phase1.tfplan", targets=('terraform_data.this["a"]',))
    tf.apply(tmp_path / "phase1.tfplan")

    # THEN only it is created, and its values can be read from the state
    assert first.adds == ['terraform_data.this["a"]']
    values = tf.state_values('terraform_data.this["a"]')
    assert values is not None and values["input"] == {"name": "a", "count": 1}
    assert tf.state_values('terraform_data.this["b"]') is None

    # AND the full plan then adds the rest
    rest = tf.plan(variables, tmp_path / "phase2.tfplan")
    assert rest.adds == ['terraform_data.this["b"]']
