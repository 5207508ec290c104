"""The local cloud's side of one warm worker process (see lambda_worker.py for the other side)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.local_cloud.lambda_worker import END_MARKER

WORKER_SCRIPT = Path(__file__).resolve().with_name("lambda_worker.py")
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's own limit for the init phase
MEMORY_POLL_SECONDS = 0.05  # how often a running invocation's RSS is compared with its limit
_READ_SIZE = 65536


@dataclass
class WorkerAnswer:
    """What came back from one phase (init or an invocation) of a worker."""

    outcome: str  # "ok" | "timeout" | "exited" | "out_of_memory"
    message: dict[str, Any] | None
    log_lines: list[str] = field(default_factory=list)
    exit_status: int | None = None
    rss_mb: int | None = None  # the resident size that got an out-of-memory worker killed


class WorkerProcess:
    """A running ``lambda_worker.py``; used by one invocation at a time."""

    def __init__(
        self,
        code_dir: Path,
        env: dict[str, str],
        log_stream_name: str,
        layer_paths: Sequence[Path] = (),
        python: str = sys.executable,
    ) -> None:
        """``layer_paths``: directories the worker puts on the import path after the code's;
        ``python``: the interpreter that runs it (see lambda_python.py)."""
        self.log_stream_name = log_stream_name
        self.invocations = 0
        self._process = subprocess.Popen(
            [python, "-I", str(WORKER_SCRIPT), *map(str, layer_paths)],
            cwd=code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._process.stdout and self._process.stderr and self._process.stdin
        self._answers_fd = self._process.stdout.fileno()
        self._logs_fd = self._process.stderr.fileno()
        self._answers = b""
        self._logs = b""
        self._eof: set[int] = set()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def wait_ready(self) -> WorkerAnswer:
        return self._collect("init", time.monotonic() + INIT_TIMEOUT_SECONDS)

    def invoke(
        self, request: dict[str, Any], timeout_seconds: float, memory_mb: int | None = None
    ) -> WorkerAnswer:
        """Run one invocation; killed at the timeout, or when its RSS exceeds ``memory_mb``."""
        deadline = time.monotonic() + timeout_seconds
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except BrokenPipeError:
            return WorkerAnswer("exited", None, self._drain_logs(), self._exit_status())
        self.invocations += 1
        return self._collect(request["request_id"], deadline, memory_mb)

    def kill(self) -> None:
        if self.alive:
            self._process.send_signal(signal.SIGKILL)
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def stop(self) -> None:
        """Ask politely (closing stdin ends the worker's loop), then insist."""
        try:
            if self._process.stdin:
                self._process.stdin.close()
            self._process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    # -- reading both channels without threads --------------------------------------------

    def _collect(self, label: str, deadline: float, memory_mb: int | None = None) -> WorkerAnswer:
        marker = END_MARKER + label.encode() + b"\x00\n"
        message: dict[str, Any] | None = None
        log_lines: list[str] | None = None
        next_memory_check = 0.0
        while True:
            if message is None and b"\n" in self._answers:
                line, self._answers = self._answers.split(b"\n", 1)
                message = json.loads(line)
            if log_lines is None and marker in self._logs:
                before, self._logs = self._logs.split(marker, 1)
                log_lines = _split_lines(before)
            if message is not None and log_lines is not None:
                return WorkerAnswer("ok", message, log_lines)
            if self._answers_fd in self._eof:
                # The process is gone: whatever it logged is all there will be.
                lines = (log_lines or []) + self._drain_logs()
                return WorkerAnswer("exited", message, lines, self._exit_status())
            if memory_mb is not None and message is None and time.monotonic() >= next_memory_check:
                next_memory_check = time.monotonic() + MEMORY_POLL_SECONDS
                rss_mb = self.rss_mb()
                if rss_mb is not None and rss_mb > memory_mb:
                    # Lambda's sandbox is a cgroup with that much memory: the runtime is killed.
                    self.kill_for_timeout()
                    lines = (log_lines or []) + self._drain_logs()
                    return WorkerAnswer("out_of_memory", None, lines, rss_mb=rss_mb)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill_for_timeout()
                return WorkerAnswer("timeout", None, (log_lines or []) + self._drain_logs())
            if memory_mb is not None:
                remaining = min(remaining, MEMORY_POLL_SECONDS)
            self._read_available(remaining)

    def _exit_status(self) -> int | None:
        try:
            return self._process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None

    def rss_mb(self) -> int | None:
        """The worker's resident set size (VmRSS) in MB, or None once it is gone."""
        try:
            with open(f"/proc/{self._process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) // 1024
        except (OSError, ValueError):
            return None
        return None

    def kill_for_timeout(self) -> None:
        if self.alive:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def _read_available(self, timeout: float) -> None:
        with selectors.DefaultSelector() as selector:
            for fd in (self._answers_fd, self._logs_fd):
                if fd not in self._eof:
                    selector.register(fd, selectors.EVENT_READ)
            if not selector.get_map():
                return
            for key, _ in selector.select(timeout):
                fd = int(key.fd)  # registered with a plain descriptor
                chunk = os.read(fd, _READ_SIZE)
                if not chunk:
                    self._eof.add(fd)
                elif fd == self._answers_fd:
                    self._answers += chunk
                else:
                    self._logs += chunk

    def _drain_logs(self, grace_seconds: float = 1.0) -> list[str]:
        deadline = time.monotonic() + grace_seconds
        while self._logs_fd not in self._eof and time.monotonic() < deadline:
            self._read_available(max(deadline - time.monotonic(), 0.0))
        text, self._logs = self._logs, b""
        return _split_lines(text.replace(END_MARKER, b""))


def _split_lines(raw: bytes) -> list[str]:
    return [line for line in raw.decode("utf-8", errors="replace").split("\n") if line.strip()]
