"""Runs Lambda functions stored in moto from their real zip, in warm worker processes.

Like Lambda's execution environments, a worker imports the handler once and then serves one
invocation at a time; an idle worker is reused, a new one starts when all are busy, and the
workers of a function are dropped when its code or configuration changes or it is deleted.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.local_cloud import lambda_logs
from orchestrator.local_cloud.lambda_async import AsyncInvoker
from orchestrator.local_cloud.lambda_code import CodeCache, code_hash
from orchestrator.local_cloud.lambda_process import WorkerAnswer, WorkerProcess
from orchestrator.local_cloud.lambda_python import RuntimePythons
from orchestrator.local_cloud.role_sessions import (
    RoleCredentials,
    RoleSessionError,
    RoleSessions,
)

log = logging.getLogger("local_cloud.lambda")

MAX_IDLE_WORKERS_PER_FUNCTION = 2
ASYNC_POOL_SIZE = 8  # asynchronous invocations running at once, all functions together
_PASSED_OS_ENV = ("PATH", "HOME", "LANG", "SSL_CERT_FILE")
LAMBDA_SERVICE = "lambda.amazonaws.com"
_RECORD_SIZE = 1000


@dataclass(frozen=True)
class FunctionSpec:
    """What an execution environment depends on, taken from moto's LambdaFunction."""

    account_id: str
    region: str
    name: str
    version: str
    arn: str
    handler: str
    runtime: str
    package_type: str
    memory_mb: int
    timeout_seconds: float
    environment: tuple[tuple[str, str], ...]
    code_sha: str
    role: str = ""
    # (layer version ARN, SHA-256 of its zip) in the function's order; a new version of a
    # layer means new workers, as a new execution environment on AWS.
    layers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_moto(cls, function: Any) -> FunctionSpec:
        version = str(function.version)
        if version in ("", "1") and not str(function.function_arn).rsplit(":", 1)[-1].isdigit():
            version = "$LATEST"
        code_bytes = getattr(function, "code_bytes", b"") or b""
        return cls(
            account_id=function.account_id,
            region=function.region,
            name=function.function_name,
            version=version,
            arn=function.function_arn,
            handler=function.handler or "",
            runtime=function.run_time or "",
            package_type=function.package_type or "Zip",
            memory_mb=int(function.memory_size or 128),
            timeout_seconds=float(function.timeout or 3),
            environment=tuple(
                sorted((str(k), str(v)) for k, v in function.environment_vars.items())
            ),
            code_sha=code_hash(code_bytes, getattr(function, "code_sha_256", None)),
            role=str(getattr(function, "role", "") or ""),
            layers=tuple(
                (arn, code_hash(version.code_bytes, version.code_sha_256) if version else "")
                for arn, version in _layer_versions(function)
            ),
        )

    @property
    def pool_key(self) -> str:
        return f"{self.account_id}:{self.region}:{self.name}:{self.version}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


@dataclass
class InvocationResult:
    request_id: str
    payload: str  # JSON text: the handler's result, or AWS's error shape
    errored: bool
    status: str  # "ok" | "error" | "timeout" | "crashed" | "out_of_memory"
    duration_ms: float
    cold_start: bool
    log_lines: list[str] = field(default_factory=list)


@dataclass
class _Worker:
    process: WorkerProcess
    fingerprint: FunctionSpec
    credentials: RoleCredentials | None = None


class LambdaRuntime:
    def __init__(
        self, work_dir: Path, endpoint_url: str, role_sessions: RoleSessions | None = None
    ) -> None:
        self.role_sessions = role_sessions or RoleSessions()
        self._code = CodeCache(work_dir / "lambda")
        self._pythons = RuntimePythons()
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._idle: dict[str, list[_Worker]] = {}
        self._current: dict[str, FunctionSpec] = {}
        self._live: set[WorkerProcess] = set()
        self._async = AsyncInvoker(self.invoke, ASYNC_POOL_SIZE)
        self._shutdown_hooks: list[Callable[[], None]] = []
        self._record: deque[dict[str, Any]] = deque(maxlen=_RECORD_SIZE)
        self._closed = False

    # -- invoking -------------------------------------------------------------------------

    def invoke(self, function: Any, event_json: str, trigger: str = "invoke") -> InvocationResult:
        """Run one invocation synchronously and log it to /aws/lambda/<name>."""
        spec = FunctionSpec.from_moto(function)
        request_id = str(uuid.uuid4())
        unsupported = _unsupported_reason(spec)
        if unsupported:
            error = {"errorType": "Runtime.InvalidRuntime", "errorMessage": unsupported}
            return self._finish(spec, request_id, trigger, _failed(request_id, error, "error"))
        worker, init_lines, init_ms, init_error = self._acquire(spec, function)
        if worker is None:
            result = _failed(request_id, init_error or {}, "error", cold=True)
            stamp = lambda_logs.now_ms()
            lines = init_lines + [(stamp, lambda_logs.start_line(request_id, spec.version))]
            lines += _closing_lines(spec, request_id, result, init_ms, None, "error")
            self._log(spec, lines, None, result)
            return self._finish(spec, request_id, trigger, result)

        started = time.perf_counter()
        deadline_ms = lambda_logs.now_ms() + int(spec.timeout_seconds * 1000)
        start_ms = lambda_logs.now_ms()
        answer = worker.process.invoke(
            {
                "request_id": request_id,
                "event_json": event_json,
                "deadline_ms": deadline_ms,
                "invoked_function_arn": spec.arn,
            },
            spec.timeout_seconds,
            spec.memory_mb,
        )
        duration_ms = (time.perf_counter() - started) * 1000
        result = _result_from_answer(spec, request_id, answer, duration_ms, init_ms is not None)
        max_rss = (answer.message or {}).get("max_rss_mb") or answer.rss_mb
        lines = init_lines + [(start_ms, lambda_logs.start_line(request_id, spec.version))]
        end_ms = lambda_logs.now_ms()
        lines += [(end_ms, line) for line in answer.log_lines]
        if result.status == "timeout":
            lines.append((end_ms, lambda_logs.timeout_line(request_id, spec.timeout_seconds)))
        status = {
            "timeout": "timeout",
            "crashed": "error",
            # AWS's REPORT line ends "Status: error\tError Type: Runtime.OutOfMemory"
            "out_of_memory": "error\tError Type: Runtime.OutOfMemory",
        }.get(result.status)
        lines += _closing_lines(spec, request_id, result, init_ms, max_rss, status)
        self._log(spec, lines, worker.process.log_stream_name, result)
        self._release(spec, worker)
        return self._finish(spec, request_id, trigger, result)

    def invoke_async(self, function: Any, event_json: str, trigger: str) -> None:
        """Queue an asynchronous invocation (S3 notifications, InvocationType=Event).

        Retries, event age, destinations and concurrency follow the function's configuration
        (see ``lambda_async``).
        """
        if self._closed:
            return
        self._async.submit(function, event_json, trigger)

    @property
    def closed(self) -> bool:
        return self._closed

    def on_shutdown(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` when the server stops (event source pollers stop there)."""
        self._shutdown_hooks.append(hook)

    # -- workers --------------------------------------------------------------------------

    def _acquire(
        self, spec: FunctionSpec, function: Any
    ) -> tuple[_Worker | None, list[tuple[int, str]], float | None, dict[str, Any] | None]:
        """An idle worker (warm), or a new one (cold: returns its init log lines and time)."""
        stale: list[_Worker] = []
        reused: _Worker | None = None
        with self._lock:
            if self._current.get(spec.pool_key) != spec:
                stale = self._idle.pop(spec.pool_key, [])
                self._current[spec.pool_key] = spec
            idle = self._idle.get(spec.pool_key, [])
            while idle and reused is None:
                candidate = idle.pop()
                # A worker keeps its session's keys in its environment: renew them in time.
                expired = candidate.credentials is not None and not candidate.credentials.fresh()
                if candidate.process.alive and not expired:
                    reused = candidate
                else:
                    stale.append(candidate)
        for worker in stale:
            self._stop(worker.process)
        if reused is not None:
            return reused, [], None, None
        return self._spawn(spec, function)

    def _spawn(
        self, spec: FunctionSpec, function: Any
    ) -> tuple[_Worker | None, list[tuple[int, str]], float | None, dict[str, Any] | None]:
        init_started_ms = lambda_logs.now_ms()
        lines = [(init_started_ms, f"INIT_START Runtime Version: {spec.runtime}.local")]
        try:
            code_dir = self._code.directory_for(function.code_bytes, spec.code_sha)
            layer_paths = self._layer_paths(spec, function)
        except (zipfile.BadZipFile, OSError) as exc:
            error = {"errorType": "Runtime.InvalidZipFile", "errorMessage": f"bad code zip: {exc}"}
            return None, lines, 0.0, error
        except _MissingLayer as exc:
            error = {"errorType": "Runtime.LayerNotFound", "errorMessage": str(exc)}
            return None, lines, 0.0, error
        try:
            credentials = self._credentials(spec)
        except RoleSessionError as exc:
            error = {"errorType": "Runtime.AssumeRoleFailed", "errorMessage": str(exc)}
            return None, lines, 0.0, error
        # Before the clock starts: the first cold start of a runtime probes for its Python.
        python = self._pythons.executable(spec.runtime)
        stream_name = lambda_logs.new_log_stream_name(spec.version)
        started = time.perf_counter()
        env = self._worker_env(spec, code_dir, stream_name)
        if credentials is not None:
            env.update(credentials.env())
        process = WorkerProcess(code_dir, env, stream_name, layer_paths, python=python)
        with self._lock:
            self._live.add(process)
        answer = process.wait_ready()
        init_ms = (time.perf_counter() - started) * 1000
        lines += [(lambda_logs.now_ms(), line) for line in answer.log_lines]
        message = answer.message or {}
        if answer.outcome == "ok" and message.get("kind") == "ready":
            return _Worker(process, spec, credentials), lines, init_ms, None
        self._stop(process)
        error = message.get("error") or {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"Runtime exited during init ({answer.outcome})",
        }
        lines.append(
            (
                lambda_logs.now_ms(),
                f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\t"
                f"Error Type: {error.get('errorType')}",
            )
        )
        return None, lines, init_ms, error

    def _layer_paths(self, spec: FunctionSpec, function: Any) -> list[Path]:
        """Where the layers' code goes on the import path, after the function's own code.

        Lambda extracts the layers into /opt in the function's order (a later layer's file
        replaces an earlier one's) and puts /opt/python/lib/pythonX.Y/site-packages and
        /opt/python on the path; here each layer has its own directory, so the later layers
        come first.
        """
        paths: list[Path] = []
        for arn, version in reversed(_layer_versions(function)):
            if version is None:
                raise _MissingLayer(f"layer version {arn} of {spec.name} does not exist")
            sha = code_hash(version.code_bytes, version.code_sha_256)
            root = self._code.directory_for(version.code_bytes, sha) / "python"
            paths += [root / "lib" / spec.runtime / "site-packages", root]
        return paths

    def _credentials(self, spec: FunctionSpec) -> RoleCredentials | None:
        """The execution role's session, as Lambda gives a function; with IAM not enforced,
        a role Lambda could not assume does not stop the function (any key is accepted)."""
        from orchestrator.local_cloud.access_control import enforced

        try:
            return self.role_sessions.credentials(spec.role, LAMBDA_SERVICE, spec.region)
        except RoleSessionError:
            if enforced():
                raise
            return None

    def _worker_env(self, spec: FunctionSpec, code_dir: Path, stream_name: str) -> dict[str, str]:
        env = {name: os.environ[name] for name in _PASSED_OS_ENV if name in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        env["TZ"] = "UTC"
        env.update(dict(spec.environment))
        env.update(
            {
                "AWS_ENDPOINT_URL": self._endpoint_url,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": stream_name,
                "LAMBDA_TASK_ROOT": str(code_dir),
                "_HANDLER": spec.handler,
            }
        )
        return env

    def _release(self, spec: FunctionSpec, worker: _Worker) -> None:
        with self._lock:
            idle = self._idle.setdefault(spec.pool_key, [])
            keep = (
                not self._closed
                and worker.process.alive
                and self._current.get(spec.pool_key) == worker.fingerprint
                and len(idle) < MAX_IDLE_WORKERS_PER_FUNCTION
            )
            if keep:
                idle.append(worker)
        if not keep:
            self._stop(worker.process)

    def _stop(self, process: WorkerProcess) -> None:
        process.stop()
        with self._lock:
            self._live.discard(process)

    def discard_function(self, account_id: str, region: str, name: str) -> None:
        """Drop the workers of a deleted function (busy ones stop when they finish)."""
        prefix = f"{account_id}:{region}:{name}:"
        with self._lock:
            keys = [key for key in self._current if key.startswith(prefix)]
            dropped = [worker for key in keys for worker in self._idle.pop(key, [])]
            for key in keys:
                del self._current[key]
        for worker in dropped:
            self._stop(worker.process)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            live = list(self._live)
            self._idle.clear()
        for hook in self._shutdown_hooks:
            hook()
        self._async.shutdown()
        for process in live:
            process.kill()

    # -- records and logs -----------------------------------------------------------------

    def _log(
        self,
        spec: FunctionSpec,
        lines: list[tuple[int, str]],
        stream: str | None,
        result: InvocationResult,
    ) -> None:
        result.log_lines = [message for _, message in lines]
        try:
            lambda_logs.write_events(
                spec.account_id,
                spec.region,
                spec.log_group,
                stream or lambda_logs.new_log_stream_name(spec.version),
                lines,
            )
        except Exception:  # logging must never fail an invocation
            log.exception("could not write the logs of %s", spec.name)

    def _finish(
        self, spec: FunctionSpec, request_id: str, trigger: str, result: InvocationResult
    ) -> InvocationResult:
        self._record.append(
            {
                "function": spec.name,
                "request_id": request_id,
                "trigger": trigger,
                "status": result.status,
                "duration_ms": round(result.duration_ms, 2),
                "cold_start": result.cold_start,
                "error_type": _error_type(result),
                "timestamp": datetime.now(UTC).isoformat(),
            }
        )
        if result.errored:
            log.info("%s %s (%s): %s", spec.name, result.status, trigger, result.payload[:500])
        return result

    def invocations(self) -> list[dict[str, Any]]:
        return list(self._record)

    def worker_count(self) -> int:
        with self._lock:
            return len(self._live)


class _MissingLayer(Exception):
    """A function names a layer version that moto no longer holds."""


def _layer_versions(function: Any) -> list[tuple[str, Any]]:
    """The function's layers as (ARN, moto's LayerVersion or None when it is gone)."""
    from moto.awslambda.utils import get_backend

    found = []
    for layer in getattr(function, "layers", None) or []:
        arn = str(layer["Arn"])
        # arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION: the layer's own account and region.
        parts = arn.split(":")
        backend = get_backend(parts[4], parts[3]) if len(parts) == 8 else None
        found.append((arn, backend.layers_versions_by_arn(arn) if backend else None))
    return found


def _error_type(result: InvocationResult) -> str | None:
    if not result.errored:
        return None
    try:
        return str(json.loads(result.payload).get("errorType"))
    except (ValueError, AttributeError):
        return None


def _unsupported_reason(spec: FunctionSpec) -> str | None:
    if spec.package_type != "Zip":
        return "The local cloud runs zip-packaged functions only, not container images."
    if not spec.runtime.startswith("python"):
        return f"The local cloud runs Python functions only, not runtime {spec.runtime!r}."
    return None


def _failed(
    request_id: str, error: dict[str, Any], status: str, cold: bool = False
) -> InvocationResult:
    shape = {"errorMessage": "", "errorType": "Runtime.Unknown", **error}
    return InvocationResult(request_id, json.dumps(shape), True, status, 0.0, cold)


def _result_from_answer(
    spec: FunctionSpec, request_id: str, answer: WorkerAnswer, duration_ms: float, cold: bool
) -> InvocationResult:
    message = answer.message or {}
    if answer.outcome == "ok" and message.get("ok"):
        return InvocationResult(request_id, message["payload"], False, "ok", duration_ms, cold)
    if answer.outcome == "ok":
        return InvocationResult(
            request_id, json.dumps(message["error"]), True, "error", duration_ms, cold
        )
    if answer.outcome == "out_of_memory":
        error = {
            "errorType": "Runtime.OutOfMemory",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
            "signal: killed",
        }
        return InvocationResult(
            request_id, json.dumps(error), True, "out_of_memory", duration_ms, cold
        )
    if answer.outcome == "timeout":
        error = {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
            f"{spec.timeout_seconds:.2f} seconds",
        }
        return InvocationResult(request_id, json.dumps(error), True, "timeout", duration_ms, cold)
    error = {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
        f"exit status {answer.exit_status}",
    }
    return InvocationResult(request_id, json.dumps(error), True, "crashed", duration_ms, cold)


def _closing_lines(
    spec: FunctionSpec,
    request_id: str,
    result: InvocationResult,
    init_ms: float | None,
    max_rss_mb: int | None,
    status: str | None,
) -> list[tuple[int, str]]:
    """END and REPORT, as AWS writes them after each invocation."""
    stamp = lambda_logs.now_ms()
    report = lambda_logs.report_line(
        request_id, result.duration_ms, spec.memory_mb, max_rss_mb, init_ms, status
    )
    return [(stamp, lambda_logs.end_line(request_id)), (stamp, report)]
