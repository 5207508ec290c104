"""Which Python runs a Lambda runtime's functions: the declared version's own when this machine
has one that can run them, else the local cloud's interpreter, said once in the local cloud's log.
"""

from __future__ import annotations

import logging
import platform
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, replace

log = logging.getLogger("local_cloud.lambda")

# The worker needs the standard library only; the handlers need what Lambda's Python runtimes
# carry besides it. Without these an interpreter of the right version would still fail them.
RUNTIME_MODULES = ("boto3",)
# A pyenv shim or a cold disk can take a few seconds; this runs once per runtime.
PROBE_TIMEOUT_SECONDS = 30.0
_PROBE = (
    f"import sys, {', '.join(RUNTIME_MODULES)}\n"
    "print(sys.executable)\n"
    "print('%d.%d.%d' % sys.version_info[:3])\n"
)
_RUNTIME = re.compile(r"python(\d+)\.(\d+)")


@dataclass(frozen=True)
class RuntimePython:
    runtime: str  # as the function declares it: python3.12
    executable: str
    version: str  # 3.12.1
    reason: str | None = None  # why not the declared version's own Python

    def describe(self) -> str:
        if self.reason is None:
            return f"{self.runtime} functions run on Python {self.version} ({self.executable})"
        return (
            f"{self.runtime} functions run on Python {self.version}, the local cloud's own "
            f"({self.reason})"
        )


def find_python(runtime: str, path: str | None = None) -> RuntimePython:
    """The interpreter for ``runtime``'s functions; ``path`` is searched instead of PATH."""
    current = RuntimePython(runtime, sys.executable, platform.python_version())
    match = _RUNTIME.fullmatch(runtime)
    if match is None:
        return replace(current, reason=f"{runtime!r} names no Python version")
    wanted = (int(match[1]), int(match[2]))
    if sys.version_info[:2] == wanted:
        return current
    name = f"python{wanted[0]}.{wanted[1]}"
    found = shutil.which(name, path=path)
    if found is None:
        return replace(current, reason=f"no {name} found on PATH")
    try:
        # -I as the worker runs: only what that interpreter itself has installed counts.
        probe = subprocess.run(
            [found, "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return replace(current, reason=f"{found} did not run: {error}")
    if probe.returncode != 0:
        return replace(current, reason=f"{found} cannot run them: {_first_error(probe.stderr)}")
    executable, version = (probe.stdout.split() + ["", ""])[:2]
    if tuple(int(part) for part in version.split(".")[:2] if part.isdigit()) != wanted:
        return replace(current, reason=f"{found} is Python {version or 'of unknown version'}")
    # The real interpreter, not a shim: a shim would pick its version from the worker's cwd.
    return RuntimePython(runtime, executable, version)


def _first_error(stderr: str) -> str:
    """The line that says what failed: a traceback's last, else the first (a shim's message)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "it exited with no message"
    return lines[-1] if lines[-1].split(":", 1)[0].endswith("Error") else lines[0]


class RuntimePythons:
    """One choice per runtime, made at its first cold start and said once in the log."""

    def __init__(self, path: str | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._chosen: dict[str, RuntimePython] = {}

    def executable(self, runtime: str) -> str:
        with self._lock:
            chosen = self._chosen.get(runtime)
            if chosen is None:
                chosen = find_python(runtime, self._path)
                self._chosen[runtime] = chosen
                # A different minor version can hide what AWS would refuse: say it louder.
                level = logging.INFO if chosen.reason is None else logging.WARNING
                log.log(level, "%s", chosen.describe())
        return chosen.executable
