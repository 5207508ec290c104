"""Settings from a ``.env`` file in the project root, when there is one.

Learner Lab hands out temporary keys (AWS Details: ``aws_access_key_id``,
``aws_secret_access_key``, ``aws_session_token``); the original design's step 2 keeps them in a
``.env`` file, which git ignores. Every command reads it (python-dotenv's syntax) before anything
else, and a variable already set in the environment always wins. What *AWS Details* shows can be
pasted as it is: its ``[default]`` line is skipped and its lower-case key names stand for the
variables boto3 and terraform read (``AWS_ACCESS_KEY_ID``...). ``ORCHESTRATE_DOTENV`` names
another file, or ``off`` to read none.
"""

from __future__ import annotations

import io
import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values

from orchestrator.workspace import REPO_ROOT

DOTENV_ENV = "ORCHESTRATE_DOTENV"
OFF = {"off", "none", "0", "false", "no"}
# The names of an AWS credentials file, as Learner Lab's AWS Details shows them.
CREDENTIAL_NAMES = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
}


def dotenv_path(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """The file to read: ``$ORCHESTRATE_DOTENV``, else the project root's ``.env``; None: off."""
    chosen = environ.get(DOTENV_ENV, "").strip()
    if chosen.lower() in OFF:
        return None
    return Path(chosen) if chosen else REPO_ROOT / ".env"


def load_dotenv_file(
    environ: MutableMapping[str, str] = os.environ,
) -> tuple[Path | None, list[str]]:
    """Set the file's variables that ``environ`` lacks; return the file read and their names."""
    path = dotenv_path(environ)
    if path is None or not path.is_file():
        return None, []
    # A credentials file's section header is no assignment: python-dotenv would warn about it.
    lines = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.strip().startswith("["))
    applied = []
    for raw_name, value in dotenv_values(stream=io.StringIO(text)).items():
        name = CREDENTIAL_NAMES.get(raw_name, raw_name)
        if value is None or name in environ:
            continue
        environ[name] = value
        applied.append(name)
    return path, applied
