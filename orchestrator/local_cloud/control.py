"""Start, find and stop the local cloud: a background server with a pid file and a log file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import OrchestrateError

DEFAULT_PORT = 4580
PORT_ENV = "ORCHESTRATE_LOCAL_PORT"
HOST = "127.0.0.1"
REGION = "us-east-1"
PID_FILE_NAME = "local-cloud.pid"
LOG_FILE_NAME = "local-cloud.log"
_REPO_ROOT = Path(__file__).resolve().parents[2]
_SERVER_MODULE = "orchestrator.local_cloud.server"
_STOP_GRACE_SECONDS = 10.0
# The server's last words when it will not start (another moto, a patch that no longer fits):
# ``up`` shows what follows them as the error itself, not buried in the log's last lines.
REFUSED_MARKER = "local cloud refused to start: "

# Servers this process started, kept so they can be reaped (no zombies, no ResourceWarning).
_children: dict[int, subprocess.Popen[bytes]] = {}


class LocalCloudError(OrchestrateError):
    """The local cloud could not be started, reached or stopped; the message says what to do."""


@dataclass(frozen=True)
class LocalCloud:
    host: str
    port: int
    work_dir: Path

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.work_dir / PID_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.work_dir / LOG_FILE_NAME

    def env(self) -> dict[str, str]:
        """Environment for terraform and boto3 to use this cloud (merge into os.environ)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def api_url(self, api_id: str) -> str:
        return f"{self.endpoint_url}/_api/{api_id}"

    def website_url(self, bucket: str) -> str:
        return f"{self.endpoint_url}/_website/{bucket}/"

    def health(self, timeout: float = 2.0) -> dict[str, Any] | None:
        try:
            value = self._request("GET", "/_local/health", timeout)
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) and value.get("status") == "ok" else None

    def sns_messages(self, topic_arn: str | None = None) -> list[dict[str, Any]]:
        """Every message published to an SNS topic on this cloud, oldest first."""
        query = f"?{urllib.parse.urlencode({'topic_arn': topic_arn})}" if topic_arn else ""
        return list(self._request_or_raise("GET", f"/_local/sns/messages{query}"))

    def clear_sns_messages(self) -> None:
        self._request_or_raise("DELETE", "/_local/sns/messages")

    def lambda_invocations(self) -> list[dict[str, Any]]:
        """The last invocations run (function, trigger, status, duration), for debugging."""
        return list(self._request_or_raise("GET", "/_local/lambda/invocations"))

    def _request(self, method: str, path: str, timeout: float = 10.0) -> Any:
        request = urllib.request.Request(self.endpoint_url + path, method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def _request_or_raise(self, method: str, path: str) -> Any:
        try:
            return self._request(method, path)
        except (OSError, ValueError) as exc:
            raise LocalCloudError(
                f"The local cloud at {self.endpoint_url} did not answer {path} ({exc}). "
                "Is it running? Start it with `python orchestrate.py local up`."
            ) from exc


def default_port() -> int:
    value = os.environ.get(PORT_ENV)
    if not value:
        return DEFAULT_PORT
    try:
        return int(value)
    except ValueError:
        raise LocalCloudError(f"{PORT_ENV}={value!r} is not a port number.") from None


def up(work_dir: Path, port: int | None = None, timeout: float = 30) -> LocalCloud:
    """Start the local cloud in the background, or return the one already running there."""
    work_dir = work_dir.resolve()
    port = default_port() if port is None else port
    running = status(work_dir)
    if running is not None:
        if running.port == port:
            return running
        raise LocalCloudError(
            f"A local cloud from {work_dir} already runs on port {running.port}, not {port}. "
            "Use that port, or stop it first with `python orchestrate.py local down`."
        )
    if _port_in_use(port):
        raise LocalCloudError(
            f"Port {port} on {HOST} is already in use by another program. Stop that program, "
            f"or choose another port with {PORT_ENV}=<port>."
        )
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalCloudError(f"Cannot use {work_dir} as the work dir: {exc}") from exc
    cloud = LocalCloud(HOST, port, work_dir)
    command = [sys.executable, "-m", _SERVER_MODULE, "--host", HOST, "--port", str(port)]
    command += ["--work-dir", str(work_dir)]
    with cloud.log_file.open("ab") as log:
        log_start = log.tell()  # this start's lines come after it
        process = subprocess.Popen(
            command,
            cwd=_REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the terminal; its group holds its workers
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    _children[process.pid] = process
    cloud.pid_file.write_text(json.dumps({"pid": process.pid, "host": HOST, "port": port}))
    _wait_until_healthy(cloud, process, timeout, log_start)
    return cloud


def _wait_until_healthy(
    cloud: LocalCloud, process: subprocess.Popen[bytes], timeout: float, log_start: int = 0
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        exit_code = process.poll()
        if exit_code is not None:
            cloud.pid_file.unlink(missing_ok=True)
            refusal = _refusal(cloud.log_file, log_start)
            if refusal:
                raise LocalCloudError(refusal)
            raise LocalCloudError(
                f"The local cloud exited (code {exit_code}) while starting on port {cloud.port}. "
                f"Last lines of {cloud.log_file}:\n{_tail(cloud.log_file)}"
            )
        health = cloud.health(timeout=1.0)
        if health is not None and health.get("pid") == process.pid:
            return
        if time.monotonic() > deadline:
            _stop_pid(process.pid)
            cloud.pid_file.unlink(missing_ok=True)
            raise LocalCloudError(
                f"The local cloud did not answer on {cloud.endpoint_url} within {timeout:.0f} s "
                f"and was stopped. Last lines of {cloud.log_file}:\n{_tail(cloud.log_file)}"
            )
        time.sleep(0.1)


def status(work_dir: Path) -> LocalCloud | None:
    """The local cloud running from ``work_dir``, if its process is alive and answers."""
    work_dir = work_dir.resolve()
    record = _read_pid_file(work_dir)
    if record is None:
        return None
    pid, host, port = record
    if not _alive(pid):
        (work_dir / PID_FILE_NAME).unlink(missing_ok=True)
        return None
    cloud = LocalCloud(host, port, work_dir)
    health = cloud.health()
    return cloud if health is not None and health.get("pid") == pid else None


def down(work_dir: Path) -> bool:
    """Stop the local cloud of ``work_dir``; True if one was running. Safe to call twice."""
    work_dir = work_dir.resolve()
    record = _read_pid_file(work_dir)
    pid_file = work_dir / PID_FILE_NAME
    if record is None:
        pid_file.unlink(missing_ok=True)
        return False
    pid = record[0]
    stopped = _alive(pid) and _is_local_cloud(pid) and _stop_pid(pid)
    pid_file.unlink(missing_ok=True)
    return stopped


def _stop_pid(pid: int) -> bool:
    """SIGTERM (the server stops its workers), then SIGKILL to its whole process group."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    if _wait_gone(pid, _STOP_GRACE_SECONDS):
        return True
    try:
        os.killpg(pid, signal.SIGKILL)  # it leads its own session: this is it and its workers
    except ProcessLookupError:
        pass
    if not _wait_gone(pid, 5.0):
        raise LocalCloudError(f"Could not stop the local cloud (pid {pid}); kill it by hand.")
    return True


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"


def _is_local_cloud(pid: int) -> bool:
    """Guard against a stale pid file naming a pid that another program now uses."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (not Linux): trust the pid file
    return _SERVER_MODULE.encode() in command_line


def _read_pid_file(work_dir: Path) -> tuple[int, str, int] | None:
    try:
        record = json.loads((work_dir / PID_FILE_NAME).read_text())
        return int(record["pid"]), str(record.get("host", HOST)), int(record["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def _refusal(log_file: Path, start: int) -> str | None:
    """What the server said after REFUSED_MARKER in the log since ``start``, if it refused."""
    try:
        with log_file.open("rb") as log:
            log.seek(start)
            text = log.read().decode(errors="replace")
    except OSError:
        return None
    _, marker, reason = text.rpartition(REFUSED_MARKER)
    if not marker:
        return None
    return reason.strip() or None


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
