"""The local TODO task without Docker: the app under uvicorn from this Python, on SQLite.

It runs in the background with a pid file and a log file under the work dir, binds 127.0.0.1,
and is reused when it already answers; ``stop_uvicorn_task`` ends exactly the process it started.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path

from orchestrator.stacks.todo.local_task_common import (
    CREDENTIAL_ENV,
    DEFAULT_NAME,
    DEFAULT_PORT,
    LineSink,
    LocalTask,
    LocalTaskError,
    config_hash,
    http_ok,
    ignore,
    local_tasks_dir,
    wait_until,
)
from orchestrator.workspace import REPO_ROOT

APP_DIR = REPO_ROOT / "app_todo"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def _paths(work_dir: Path, name: str) -> tuple[Path, Path, Path]:
    """The pid file, log file and SQLite file of one named task."""
    directory = work_dir / name
    return directory / "uvicorn.pid", directory / "uvicorn.log", directory / "todo.sqlite3"


def _config_file(pid_file: Path) -> Path:
    """Where the digest of the running app's settings is kept, beside its pid file."""
    return pid_file.with_name("uvicorn.config")


def _our_process(pid: int) -> bool:
    """Whether ``pid`` is still the uvicorn we started (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        # No /proc (macOS): fall back to "the pid exists".
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return b"uvicorn" in cmdline and b"app.main:app" in cmdline


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _read_config(pid_file: Path) -> str | None:
    try:
        return _config_file(pid_file).read_text().strip()
    except OSError:
        return None


def _tail(log_file: Path, lines: int = 20) -> str:
    try:
        with log_file.open(errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError:
        return ""


def run_uvicorn_task(
    *,
    port: int = DEFAULT_PORT,
    name: str = DEFAULT_NAME,
    work_dir: Path | None = None,
    database_url: str | None = None,
    environment: Mapping[str, str] | None = None,
    isolate_credentials: bool = False,
    on_line: LineSink = ignore,
) -> LocalTask:
    """Start (or reuse) the app under uvicorn on 127.0.0.1:``port``; return when it answers.

    ``environment``: the app's settings from the task definition (the database URL wins); a
    running app started with other settings is restarted. ``isolate_credentials``: the app
    does not inherit this process's AWS credentials (it has its task role's, or none, as on ECS).
    """
    work_dir = work_dir or local_tasks_dir()
    pid_file, log_file, sqlite_file = _paths(work_dir, name)
    base_url = f"http://127.0.0.1:{port}"
    url = database_url or f"sqlite:///{sqlite_file}"
    database = "the given database" if database_url else f"SQLite file {sqlite_file}"
    app_env = {**(environment or {}), "DATABASE_URL": url}
    config = config_hash(app_env)
    pid = _read_pid(pid_file)
    if pid and _our_process(pid) and http_ok(base_url + "/"):
        if _read_config(pid_file) == config:
            on_line(f"uvicorn already serving the app on {base_url} (pid {pid})")
            return LocalTask(base_url, "uvicorn", database, pid=pid, log_path=log_file)
        on_line("the app's settings changed: restarting uvicorn")
    if pid:
        stop_uvicorn_task(name=name, work_dir=work_dir, on_line=on_line)
    if http_ok(base_url + "/"):
        raise LocalTaskError(
            f"something else already answers on {base_url}: stop it or choose another port"
        )
    if importlib.util.find_spec("uvicorn") is None:
        raise LocalTaskError(
            f"uvicorn is not installed for {sys.executable}: pip install -e '.[todo]'"
        )

    pid_file.parent.mkdir(parents=True, exist_ok=True)
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not (isolate_credentials and key in CREDENTIAL_ENV)
    }
    env = {**inherited, **app_env}
    argv = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-access-log", "--no-server-header"]
    on_line(f"running the app with uvicorn on {base_url}, data in {database}")
    with log_file.open("ab") as log:
        # A session of its own: the app outlives this command, and Ctrl+C here does not reach it.
        process = subprocess.Popen(
            argv,
            cwd=APP_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file.write_text(f"{process.pid}\n")
    _config_file(pid_file).write_text(f"{config}\n")

    def exited() -> str | None:
        if process.poll() is None:
            return None
        return f"uvicorn exited with code {process.returncode}; log {log_file}:\n{_tail(log_file)}"

    try:
        ready = wait_until(lambda: http_ok(base_url + "/"), timeout=START_TIMEOUT_S, failed=exited)
    except LocalTaskError:
        pid_file.unlink(missing_ok=True)
        raise
    if not ready:
        stop_uvicorn_task(name=name, work_dir=work_dir)
        raise LocalTaskError(
            f"the app did not answer on {base_url} within {START_TIMEOUT_S:.0f} s; "
            f"log {log_file}:\n{_tail(log_file)}"
        )
    on_line(f"app answers on {base_url} (uvicorn pid {process.pid}, log {log_file})")
    return LocalTask(base_url, "uvicorn", database, pid=process.pid, log_path=log_file)


def stop_uvicorn_task(
    *,
    name: str = DEFAULT_NAME,
    work_dir: Path | None = None,
    remove_data: bool = False,
    on_line: LineSink = ignore,
) -> bool:
    """Stop the uvicorn this module started under ``name``; True when one was running."""
    pid_file, _log_file, sqlite_file = _paths(work_dir or local_tasks_dir(), name)
    pid = _read_pid(pid_file)
    stopped = False
    if pid and _our_process(pid):
        os.kill(pid, signal.SIGTERM)  # uvicorn shuts down gracefully on SIGTERM
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _our_process(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
        if _our_process(pid):
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
        on_line(f"stopped uvicorn (pid {pid})")
        stopped = True
    pid_file.unlink(missing_ok=True)
    _config_file(pid_file).unlink(missing_ok=True)
    if remove_data:
        for path in (sqlite_file, sqlite_file.with_name(sqlite_file.name + "-journal")):
            path.unlink(missing_ok=True)
    return stopped


def _reap(pid: int) -> None:
    """Collect the exit status when the process is our child (started in this process)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
