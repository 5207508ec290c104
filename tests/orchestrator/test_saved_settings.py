"""``--var`` values are saved per stack, target and environment, as SAM's samconfig.toml does.

GIVEN values saved with ``config --set`` (or by a deploy or plan with ``--var``)
WHEN ``config`` shows, sets or unsets them, or a deploy, plan or destroy reads them
THEN they live under the work dir for that stack, target and environment alone, are checked as
``--var`` values are, and a stale or unknown name is bad usage naming what to do.

The last test deploys on the local cloud: a plain deploy keeps a saved value, and a deploy
after ``config --unset`` reverts it to the stack's default.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import EXIT_OK, EXIT_USAGE, main
from orchestrator.deploy import StackRun
from orchestrator.stacks.inventory import STACK as INVENTORY
from orchestrator.targets import Target
from orchestrator.var_check import InvalidVariableError
from orchestrator.workspace import REPO_ROOT
from tests.integration.local_stack import own_local_cloud, run_cli

LOCAL = ["--target", "local"]
PORTS = range(4830, 4840)


def inventory_run(lines: list[str] | None = None, environment: str = "dev") -> StackRun:
    sink = lines.append if lines is not None else print
    return StackRun(INVENTORY, Target(name="local", region="us-east-1"), environment, sink)


def saved_file(home: Path, stack: str = "inventory", environment: str = "dev") -> Path:
    return home / "settings" / "local" / environment / f"{stack}.json"


def config_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["config", *argv, "--json", *LOCAL]) == EXIT_OK
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


# ------------------------------------------------------------------------------- config
def test_set_saves_under_the_work_dir_and_config_shows_them(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN two values are saved
    code = main(
        ["config", "inventory", *LOCAL, "--set", "low_stock_threshold=3"]
        + ["--set", "alert_email=a@example.com"]
    )

    # THEN each is said once, and kept in the work dir (never the source tree)
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "low_stock_threshold: default -> 3 (saved for inventory/local/dev)" in out
    assert "alert_email: default -> a@example.com (saved for inventory/local/dev)" in out
    assert json.loads(saved_file(isolated_environment).read_text()) == {
        "alert_email": "a@example.com",
        "low_stock_threshold": 3,
    }
    assert not (REPO_ROOT / "settings").exists()
    # AND config shows them as --var takes them, and as JSON
    assert main(["config", "inventory", *LOCAL]) == EXIT_OK
    shown = capsys.readouterr().out
    assert "  alert_email=a@example.com\n  low_stock_threshold=3\n" in shown
    assert "config inventory --target local --env dev --unset NAME" in shown
    assert config_json(capsys, "inventory") == {
        "stack": "inventory",
        "target": "local",
        "environment": "dev",
        "path": str(saved_file(isolated_environment)),
        "variables": {"alert_email": "a@example.com", "low_stock_threshold": 3},
    }


def test_values_belong_to_one_stack_target_and_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["config", "inventory", *LOCAL, "--set", "low_stock_threshold=3"]) == EXIT_OK

    assert config_json(capsys, "inventory", "--env", "staging")["variables"] == {}
    assert config_json(capsys, "todo")["variables"] == {}
    assert main(["config", "inventory", "--target", "aws", "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["variables"] == {}
    assert config_json(capsys, "inventory")["variables"] == {"low_stock_threshold": 3}


def test_a_later_value_replaces_the_saved_one_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["config", "inventory", *LOCAL, "--set", "alert_email=a@example.com"])
    capsys.readouterr()

    assert main(["config", "inventory", *LOCAL, "--set", "alert_email=b@example.com"]) == 0

    out = capsys.readouterr().out
    assert "alert_email: a@example.com -> b@example.com (saved for inventory/local/dev)" in out
    # The same value again changes nothing, and says nothing.
    assert main(["config", "inventory", *LOCAL, "--set", "alert_email=b@example.com"]) == 0
    assert "->" not in capsys.readouterr().out


def test_unset_removes_and_an_unknown_name_is_bad_usage_naming_the_saved_ones(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = ["--set", "low_stock_threshold=3", "--set", "log_level=DEBUG"]
    assert main(["config", "inventory", *LOCAL, *saved]) == EXIT_OK
    capsys.readouterr()

    # WHEN a name that is not saved is unset
    code = main(["config", "inventory", *LOCAL, "--unset", "alert_email"])
    # THEN it is bad usage naming the saved ones, and nothing is removed
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "no saved setting 'alert_email' for inventory/local/dev" in err
    assert "saved: log_level, low_stock_threshold" in err
    assert config_json(capsys, "inventory")["variables"] == {
        "log_level": "DEBUG",
        "low_stock_threshold": 3,
    }

    # WHEN a saved one is unset, then the rest
    assert main(["config", "inventory", *LOCAL, "--unset", "low_stock_threshold"]) == EXIT_OK
    assert "low_stock_threshold: 3 -> default (unset)" in capsys.readouterr().out
    assert config_json(capsys, "inventory")["variables"] == {"log_level": "DEBUG"}
    assert main(["config", "inventory", *LOCAL, "--unset-all"]) == EXIT_OK
    # THEN nothing is left, not even the file
    assert "No saved settings for inventory/local/dev" in capsys.readouterr().out
    assert not saved_file(isolated_environment).exists()


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("nosuch=1", "unknown variable 'nosuch' for the inventory stack"),
        ("desired_count=1", "unknown variable 'desired_count' for the inventory stack"),
        ("low_stock_threshold=-1", "greater than or equal to 0"),
        ("alert_email=not-an-email", "alert_email must be an email address"),
        ("region=eu-west-1", "region: set by the orchestrator on every run"),
        ("lambda_layer_path=/tmp/layer.zip", "lambda_layer_path: set by the orchestrator"),
        ("no_equals_sign", "--set expects KEY=VALUE"),
    ],
)
def test_set_is_checked_as_var_is_and_saves_nothing_when_refused(
    pair: str, message: str, isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["config", "inventory", *LOCAL, "--set", pair])

    assert code == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not saved_file(isolated_environment).exists()


def test_every_config_option_has_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--help"]) == EXIT_OK
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--set K=V save", "--unset NAME remove", "--unset-all remove", "--json print"):
        assert option in text
    assert "{inventory,todo} the stack" in text


# ------------------------------------------------------------------ used by the flows
def test_a_saved_name_the_stack_no_longer_declares_stops_deploy_plan_and_cost(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a saved setting whose variable was since removed from the stack
    path = saved_file(isolated_environment)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"old_threshold": 3, "low_stock_threshold": 4}))

    for argv in (["deploy", "inventory"], ["plan", "inventory"], ["cost", "inventory"]):
        # WHEN a command would use it
        code = main([*argv, *LOCAL])
        # THEN it is bad usage naming the command that removes it, before the cloud starts
        err = capsys.readouterr().err
        assert code == EXIT_USAGE, argv
        assert (
            "saved setting 'old_threshold' for inventory/local/dev is no longer a variable" in err
        )
        assert "'python orchestrate.py config inventory --target local --env dev --unset " in err
        assert "--unset old_threshold'" in err
        assert not (isolated_environment / "local-cloud").exists()
        assert not (isolated_environment / "build").exists()


def test_deploy_var_with_a_saved_plan_stays_refused(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "inventory", *LOCAL, "--plan", "p.tfplan", "--var", "log_level=DEBUG"])

    assert code == EXIT_USAGE
    assert "a saved plan keeps the values it was made with" in capsys.readouterr().err
    assert not saved_file(isolated_environment).exists()


def test_saving_from_a_deploy_keeps_this_stacks_names_and_no_package_path(
    isolated_environment: Path,
) -> None:
    # GIVEN the --var values of a 'deploy all' (one set for both stacks) and a package path
    lines: list[str] = []
    given = {"low_stock_threshold": 3, "desired_count": 1, "lambda_layer_path": "/tmp/l.zip"}

    # WHEN the inventory saves them
    inventory_run(lines).save_settings(given)

    # THEN only its own user setting is saved; the path is used for this run only, and said
    assert json.loads(saved_file(isolated_environment).read_text()) == {"low_stock_threshold": 3}
    assert lines == [
        "lambda_layer_path: /tmp/l.zip for this run only (the orchestrator sets it)",
        "low_stock_threshold: default -> 3 (saved for inventory/local/dev)",
    ]
    # AND the next run says which saved values it reuses
    lines.clear()
    inventory_run(lines).save_settings({})
    assert lines == ["Saved settings (inventory/local/dev): low_stock_threshold=3"]


def test_check_variables_puts_the_saved_values_under_the_given_ones(
    isolated_environment: Path,
) -> None:
    run = inventory_run()
    run.settings.save({"low_stock_threshold": 3, "log_level": "DEBUG"})

    assert run.check_variables({"low_stock_threshold": 7}) == {
        "low_stock_threshold": 7,
        "log_level": "DEBUG",
    }


def test_a_saved_value_the_stack_refuses_is_named_in_the_hint(
    isolated_environment: Path,
) -> None:
    # GIVEN a saved value that the stack's validation refuses (edited by hand, or the
    # validation is newer than the value)
    run = inventory_run()
    run.settings.save({"low_stock_threshold": -1})

    with pytest.raises(InvalidVariableError) as refused:
        run.check_variables({})

    assert "greater than or equal to 0" in str(refused.value)
    assert refused.value.hint is not None
    assert "saved for inventory/local/dev: low_stock_threshold=-1" in refused.value.hint
    assert "config inventory --target local --env dev --unset NAME" in refused.value.hint


def test_destroy_without_remembered_variables_prepares_with_the_declared_saved_values(
    isolated_environment: Path,
) -> None:
    # A stale saved name never blocks a teardown: it is said and left out.
    lines: list[str] = []
    run = inventory_run(lines)
    run.settings.path.parent.mkdir(parents=True)
    run.settings.path.write_text(json.dumps({"old_threshold": 1, "low_stock_threshold": 3}))

    assert run._settings_for_destroy() == {"low_stock_threshold": 3}
    assert lines == ["Ignoring saved settings the stack no longer declares: old_threshold"]


def test_an_unreadable_settings_file_is_an_error_naming_it(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved_file(isolated_environment)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")

    assert main(["config", "inventory", *LOCAL]) == 1
    err = capsys.readouterr().err
    assert f"the saved settings {path} are not valid JSON" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------ on the local cloud
@pytest.fixture
def local_target(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The local cloud, in this test's own work dir and on a free port, stopped at teardown."""
    with own_local_cloud(PORTS, monkeypatch) as target:
        yield target


def threshold(target: Target, run: StackRun) -> str:
    """LOW_STOCK_THRESHOLD as the deployed alerting function reads it."""
    function = run.outputs()["function_names"]["notify_low_stock"]
    configuration = target.client("lambda").get_function_configuration(FunctionName=function)
    return str(configuration["Environment"]["Variables"]["LOW_STOCK_THRESHOLD"])


@pytest.mark.integration
def test_a_plain_deploy_keeps_the_saved_value_until_it_is_unset(
    local_target: Target, isolated_environment: Path
) -> None:
    where = ["--target", "local", "--env", "kept"]
    run = inventory_run(environment="kept")
    try:
        # GIVEN a deploy with a threshold of 3
        code, out = run_cli("deploy", "inventory", *where, "--var", "low_stock_threshold=3")
        assert code == 0, out
        assert "low_stock_threshold: default -> 3 (saved for inventory/local/kept)" in out
        assert threshold(local_target, run) == "3"

        # WHEN the stack is deployed again with no --var
        code, out = run_cli("deploy", "inventory", *where)
        # THEN the saved 3 is used, and said
        assert code == 0, out
        assert "Saved settings (inventory/local/kept): low_stock_threshold=3" in out
        assert threshold(local_target, run) == "3"

        # WHEN it is unset, then deployed again
        code, out = run_cli("config", "inventory", *where, "--unset", "low_stock_threshold")
        assert code == 0, out
        code, out = run_cli("deploy", "inventory", *where)
        # THEN the stack's default comes back
        assert code == 0, out
        assert "Saved settings" not in out
        assert threshold(local_target, run) == "5"
    finally:
        assert main(["destroy", "inventory", *where]) == EXIT_OK
