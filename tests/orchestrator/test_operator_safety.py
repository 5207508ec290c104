"""Operator mistakes and faults get a refusal or a clear message, before anything is changed.

GIVEN an operator mistake (an unknown --var name, a value the stack refuses, a saved plan made
for another environment) or a fault (no Docker engine answers)
WHEN the command runs through main([...]) on the local target
THEN it stops with an exit code and a message that names what is wrong and what to do, and
nothing was packaged, initialised, built or applied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.ports import free_port
from orchestrator.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from orchestrator.deploy import StackRun, plan_record_path
from orchestrator.stacks import get_stack
from orchestrator.targets import Target
from orchestrator.workspace import local_environments_with
from tests.integration.local_stack import own_local_cloud, run_cli

PORTS = range(4760, 4770)


@pytest.fixture
def local_target(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The local cloud, in this test's own work dir and on a free port, stopped at teardown."""
    with own_local_cloud(PORTS, monkeypatch) as target:
        yield target


def workspace(stack: str, environment: str) -> Path:
    run = StackRun(get_stack(stack), Target("local", "us-east-1"), environment, print)
    return run.workspace.dir


def untouched(home: Path, stack: str, environment: str) -> None:
    """Nothing packaged, no terraform init, no state: the command stopped before them."""
    assert not (home / "build").exists()
    assert not (workspace(stack, environment) / ".terraform").exists()
    assert not (workspace(stack, environment) / "terraform.tfstate").exists()


# ----------------------------------------------------------------------------- local down
def test_local_down_finds_the_environments_of_local_todo_deploys(
    isolated_environment: Path,
) -> None:
    # The end to end case is tests/orchestrator/test_local_down_after_todo.py.
    for environment in ("dev", "staging"):
        (isolated_environment / "state" / "local" / environment / "todo").mkdir(parents=True)
    (isolated_environment / "state" / "local" / "qa" / "inventory").mkdir(parents=True)

    assert local_environments_with("todo") == ["dev", "staging"]


# ------------------------------------------------------------------------------ --var names
def test_an_unknown_var_name_is_bad_usage_naming_the_known_ones(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "inventory", "--target", "local", "--var", "nosuchvar=1"])

    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "unknown variable 'nosuchvar' for the inventory stack" in err
    assert "inventory: alarm_email, alert_email," in err and "low_stock_threshold" in err
    # Refused before anything: not even the local cloud was started.
    assert not isolated_environment.exists()


def test_deploy_all_accepts_a_name_of_either_stack_and_lists_both(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["deploy", "all", "--target", "local", "--var", "desired_count=1", "--var", "nope=2"]
    )

    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "unknown variable 'nope' for the inventory stack and the todo stack" in err
    assert "desired_count" not in err.splitlines()[0]
    assert "\n  inventory: " in err and "\n  todo: " in err
    assert not isolated_environment.exists()


def test_plan_and_cost_check_names_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "todo", "--target", "local", "--var", "low_stock_threshold=3"]) == 2
    assert "unknown variable 'low_stock_threshold' for the todo stack" in capsys.readouterr().err
    assert main(["cost", "inventory", "--target", "local", "--var", "db_mode=managed"]) == 2
    assert "unknown variable 'db_mode' for the inventory stack" in capsys.readouterr().err


# ----------------------------------------------------------------------------- --var values
@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        # a module validation across two variables
        (["deploy", "todo", "--var", "desired_count=2"], "so desired_count must be 1"),
        # a type terraform cannot convert
        (["deploy", "todo", "--var", "cpu=lots"], "a number is required"),
        (["plan", "inventory", "--var", "low_stock_threshold=-1"], "greater than or equal to 0"),
        # a module variable the root once left out, judged by the module's validation alone
        (
            ["plan", "inventory", "--var", "planner_timeout=5"],
            "modules/inventory/variables.tf",
        ),
        # deploy all: the todo value is refused before the inventory is packaged
        (["deploy", "all", "--var", "db_mode=shared"], "db_mode"),
    ],
)
def test_a_value_the_stack_refuses_stops_before_packaging_init_and_image(
    argv: list[str],
    reason: str,
    local_target: Target,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*argv, "--target", "local", "--env", "badvalue"])

    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "a --var value is refused by the " in captured.err
    assert reason in captured.err
    # The stack's own file is named, not the stand-in the check planned.
    assert "terraform/" in captured.err
    assert "Packaging" not in captured.out and "ECR repository" not in captured.out
    assert "Plan:" not in captured.out
    for stack in ("inventory", "todo"):
        untouched(isolated_environment, stack, "badvalue")


# ------------------------------------------------------------------------ no Docker engine
@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> str:
    """DOCKER_HOST at a loopback port nothing listens on: the engine is unreachable."""
    address = f"tcp://127.0.0.1:{free_port(PORTS)}"
    monkeypatch.setenv("DOCKER_HOST", address)
    monkeypatch.delenv("TODO_LOCAL_RUNNER", raising=False)
    return address


def test_deploy_todo_without_an_engine_says_what_to_start(
    no_engine: str,
    local_target: Target,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["deploy", "todo", "--target", "local", "--env", "nodocker"])

    captured = capsys.readouterr()
    assert code == EXIT_FAILED
    assert f"no Docker engine answers ({no_engine})" in captured.err
    assert "Start the Docker engine" in captured.err
    assert "--no-docker (or TODO_LOCAL_RUNNER=uvicorn)" in captured.err
    # Stopped before the registry, the image and the plan: nothing deployed to fall back on.
    assert "ECR repository" not in captured.out
    untouched(isolated_environment, "todo", "nodocker")
    assert local_target.client("ecr").describe_repositories()["repositories"] == []


def test_an_unknown_local_runner_is_bad_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODO_LOCAL_RUNNER", "podman")
    assert main(["deploy", "todo", "--target", "local"]) == EXIT_USAGE
    assert "TODO_LOCAL_RUNNER='podman': give docker (the default) or uvicorn" in (
        capsys.readouterr().err
    )


def test_help_documents_the_fallback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--help"]) == EXIT_OK
    text = " ".join(capsys.readouterr().out.split())
    assert "--no-docker" in text and "TODO_LOCAL_RUNNER=uvicorn" in text
    assert "stops when no Docker engine answers" in text


@pytest.mark.integration
def test_the_fallback_asked_for_runs_uvicorn_and_says_sqlite(
    no_engine: str, local_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TODO_LOCAL_PORT", str(free_port(PORTS)))
    where = ["--target", "local", "--env", "nodocker"]
    try:
        code, out = run_cli("deploy", "todo", "--no-docker", *where)

        assert code == 0, out
        assert "No image is built (--no-docker)" in out
        database = next(line for line in out.splitlines() if "Database:" in line)
        assert "SQLite file" in database
        assert "not the sidecar MySQL: the app runs under uvicorn, without Docker" in database
        assert "Database:        sidecar" not in out
        code, out = run_cli("smoke", "todo", *where)
        assert code == 0, out
    finally:
        code, out = run_cli("destroy", "todo", *where)
        assert code == 0, out


# ------------------------------------------------------------------------------ saved plans
def resources(target: Target) -> dict[str, list[str]]:
    """What the inventory stack would create, as the local cloud lists it."""
    return {
        "tables": target.client("dynamodb").list_tables()["TableNames"],
        "buckets": [b["Name"] for b in target.client("s3").list_buckets()["Buckets"]],
        "functions": [
            f["FunctionName"] for f in target.client("lambda").list_functions()["Functions"]
        ],
    }


@pytest.mark.integration
def test_a_saved_plan_is_applied_only_where_it_was_made_for(
    local_target: Target, tmp_path: Path
) -> None:
    plan = tmp_path / "staging.tfplan"
    nothing: dict[str, list[str]] = {"tables": [], "buckets": [], "functions": []}
    try:
        # GIVEN a plan saved for staging
        code, out = run_cli(
            "plan", "inventory", "--target", "local", "--env", "staging", "--out", str(plan)
        )
        assert code == 0, out
        record = json.loads(plan_record_path(plan).read_text())
        assert {k: record[k] for k in ("stack", "target", "environment")} == {
            "stack": "inventory",
            "target": "local",
            "environment": "staging",
        }

        # WHEN it is deployed to dev
        code, out = run_cli(
            "deploy", "inventory", "--target", "local", "--env", "dev", "--plan", str(plan)
        )

        # THEN it is refused, naming both, and nothing is applied
        assert code == EXIT_FAILED
        assert "Applying the saved plan" not in out
        assert resources(local_target) == nothing
        assert not workspace("inventory", "dev").exists()

        # and a plan without its record, or changed since, is refused too
        original = plan.read_bytes()
        record_text = plan_record_path(plan).read_text()
        plan_record_path(plan).unlink()
        assert main(["deploy", "inventory", "--target", "local", "--env", "staging",
                     "--plan", str(plan)]) == EXIT_FAILED  # fmt: skip
        plan_record_path(plan).write_text(record_text)
        plan.write_bytes(original + b"\0")
        assert main(["deploy", "inventory", "--target", "local", "--env", "staging",
                     "--plan", str(plan)]) == EXIT_FAILED  # fmt: skip
        assert resources(local_target) == nothing

        # while where it was made for, it applies
        plan.write_bytes(original)
        code, out = run_cli(
            "deploy", "inventory", "--target", "local", "--env", "staging", "--plan", str(plan)
        )
        assert code == 0, out
        assert [t for t in resources(local_target)["tables"] if "staging" in t]
    finally:
        assert main(["destroy", "inventory", "--target", "local", "--env", "staging"]) == 0


def test_the_refusal_names_both_and_the_commands(
    isolated_environment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The message itself, on a record as 'plan' writes it (no terraform needed to refuse).
    plan = tmp_path / "p.tfplan"
    plan.write_bytes(b"a plan")
    plan_record_path(plan).write_text(
        json.dumps({"stack": "inventory", "target": "local", "environment": "staging"})
    )

    code = main(["deploy", "inventory", "--target", "local", "--env", "dev", "--plan", str(plan)])

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "made for stack inventory, target local, env staging" in err
    assert "this deploy is for stack inventory, target local, env dev" in err
    assert "nothing was applied" in err
    assert f"deploy inventory --target local --env staging --plan {plan}" in err
    assert f"plan inventory --target local --env dev --out {plan}" in err


# ------------------------------------------------------------------- errors, not tracebacks
def test_smoke_todo_with_the_app_down_is_an_error(
    local_target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the todo stack's outputs, and nothing answering where its API was
    url = f"http://127.0.0.1:{free_port(PORTS)}"
    outputs = workspace("todo", "dev") / "outputs.json"
    outputs.parent.mkdir(parents=True)
    outputs.write_text(json.dumps({"api_base_url": url}))

    code = main(["smoke", "todo", "--target", "local"])

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert err.startswith(f"error: the TODO API does not answer at {url}/ (")
    assert "'python orchestrate.py deploy todo'" in err
    assert "Traceback" not in err


def test_a_work_dir_that_cannot_be_written_is_an_error(
    local_target: Target, isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a work dir whose state folder cannot be made (a file is in the way; as root,
    # permissions would not stop the write)
    (isolated_environment / "state").write_text("not a folder")

    code = main(["deploy", "inventory", "--target", "local"])

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert err.startswith("error: [Errno 20] Not a directory:")
    assert f"hint: the orchestrator writes under {isolated_environment} (ORCHESTRATE_HOME)" in err


def test_var_with_a_saved_plan_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    # Its values are fixed in the plan: a --var would be silently ignored.
    code = main(["deploy", "inventory", "--plan", "p.tfplan", "--var", "low_stock_threshold=3"])

    assert code == EXIT_USAGE
    assert "--var has no effect with --plan" in capsys.readouterr().err
