"""Settings from a .env file: read when present, never over the environment.

GIVEN a .env file with Learner Lab's three keys and a region, some already set in the environment
WHEN a command starts (``main``) or the loader runs
THEN the missing ones are set from the file (AWS Details' lower-case names and [default] line as
pasted), the environment's own values win, ``off`` reads
nothing, and ``main`` names the file and the variables it took (never their values).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.dotenv_file import DOTENV_ENV, load_dotenv_file

DOTENV = """\
# from AWS Details in Learner Lab, pasted as it is
[default]
aws_access_key_id=ASIAEXAMPLEKEY
AWS_SECRET_ACCESS_KEY="secret/with+chars"
AWS_SESSION_TOKEN=token-from-file
export AWS_REGION=eu-west-1
"""


@pytest.fixture
def dotenv(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text(DOTENV)
    return path


def test_missing_variables_come_from_the_file_and_the_environment_wins(dotenv: Path) -> None:
    environ = {DOTENV_ENV: str(dotenv), "AWS_SESSION_TOKEN": "from-environment"}

    path, applied = load_dotenv_file(environ)

    assert path == dotenv
    assert applied == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]
    assert environ["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLEKEY"
    assert environ["AWS_SECRET_ACCESS_KEY"] == "secret/with+chars"
    assert environ["AWS_REGION"] == "eu-west-1"
    assert environ["AWS_SESSION_TOKEN"] == "from-environment"


def test_off_or_no_file_reads_nothing(dotenv: Path, tmp_path: Path) -> None:
    assert load_dotenv_file({DOTENV_ENV: "off"}) == (None, [])
    assert load_dotenv_file({DOTENV_ENV: str(tmp_path / "absent")}) == (None, [])


def test_main_reads_it_first_and_names_what_it_took(
    dotenv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DOTENV_ENV, str(dotenv))
    # Recorded, so that what main sets from the file is undone after the test.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)

    main(["local", "status"])

    err = capsys.readouterr().err
    assert f"settings from {dotenv}: " in err
    assert "AWS_SECRET_ACCESS_KEY" in err and "secret/with+chars" not in err
