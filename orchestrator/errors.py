"""The one base type of every failure the orchestrator expects, so that ``main`` catches it once.

Each family keeps its own class (``TerraformError``, ``ImageError``, ``LocalCloudError``...),
which callers catch; all of them derive from ``OrchestrateError``. ``main`` prints
``error: <message>`` and, when there is one, ``hint: <what to do>``, and exits with the class's
``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class OrchestrateError(Exception):
    """A failure the user can act on: a message, no traceback, exit code 1."""

    exit_code: int = 1
    hint: str | None = None

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        if hint is not None:
            self.hint = hint


class UsageError(OrchestrateError):
    """The command line is wrong (exit code 2); also a mixin for a family's bad-usage case."""

    exit_code = 2
