"""One warm Lambda execution environment: imports the handler once, then serves invocations.

Run by the local cloud as ``python -I lambda_worker.py`` with the function's code directory as
working directory. ``-I`` keeps this repository (and PYTHONPATH) off the import path, so a
handler can import only what its zip carries plus the installed packages, close to Lambda's.
This file therefore uses the standard library only. The arguments are the function's layer
directories, put on the path right after the code, as Lambda puts /opt/python there.

Channels, so that the handler's own output never mixes with the protocol:
- stdin: one JSON request per line from the local cloud;
- the original stdout (kept on a duplicated descriptor): one JSON answer per line;
- stderr, and stdout redirected onto it: the log stream. After each phase the worker writes an
  end marker there, so the parent knows which lines belong to which invocation.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO, Any

END_MARKER = b"\x00\x1eLOCAL-CLOUD-END "

_current_request_id = ""


class LambdaContext:
    """The context object the AWS Python runtime passes (same attribute names and types)."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        # The AWS runtime gives the memory size as a string; keep that for fidelity.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(message)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


def _install_root_logging() -> None:
    """Format plain ``logging`` records as the AWS Python runtime does."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _error_shape(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    # Drop this worker's own frames: AWS shows only the function's.
    user_frames = [f for f in frames if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": _current_request_id,
        "stackTrace": traceback.format_list(user_frames),
    }


def _log_error(error: dict[str, Any]) -> None:
    # AWS writes an uncaught error as one log event, lines joined by carriage returns.
    trace = "".join(error.get("stackTrace", []))
    text = f"[ERROR] {error['errorType']}: {error['errorMessage']}"
    if trace:
        text += "\rTraceback (most recent call last):\r" + trace.replace("\n", "\r")
    sys.stdout.write(text.rstrip("\r") + "\n")


def _decimal_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)  # what the AWS runtime's encoder does
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _load_handler(handler_spec: str) -> Callable[[Any, LambdaContext], Any]:
    module_path, _, function_name = handler_spec.rpartition(".")
    if not module_path or not function_name:
        raise _InitError(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler_spec}': not enough values"
        )
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", str(exc), exc) from exc
    except Exception as exc:  # raised by the module's own top-level code
        raise _InitError(type(exc).__name__, str(exc), exc) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str, cause: BaseException | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.cause = cause

    def shape(self) -> dict[str, Any]:
        if self.cause is not None:
            return _error_shape(self.cause, self.error_type)
        return {"errorMessage": str(self), "errorType": self.error_type, "stackTrace": []}


class _Channels:
    def __init__(self) -> None:
        self.answers: IO[str] = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
        os.dup2(2, 1)  # the handler's stdout now lands in the log stream
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        self.requests = sys.stdin.buffer

    def answer(self, message: dict[str, Any]) -> None:
        self.answers.write(json.dumps(message) + "\n")
        self.answers.flush()

    def end_phase(self, label: str) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(2, b"\n" + END_MARKER + label.encode() + b"\x00\n")


def _max_rss_mb() -> int:
    # VmHWM restarts at exec; ru_maxrss would still count the (large) server we forked from.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _invoke(
    handler: Callable[[Any, LambdaContext], Any], request: dict[str, Any]
) -> dict[str, Any]:
    context = LambdaContext(
        request["request_id"], request["deadline_ms"], request["invoked_function_arn"]
    )
    try:
        event = json.loads(request["event_json"])
        result = handler(event, context)
    except Exception as exc:
        error = _error_shape(exc)
        _log_error(error)
        return {"kind": "result", "ok": False, "error": error}
    try:
        payload = json.dumps(result, default=_decimal_default, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        error = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": _current_request_id,
            "stackTrace": [],
        }
        _log_error(error)
        return {"kind": "result", "ok": False, "error": error}
    return {"kind": "result", "ok": True, "payload": payload}


def main() -> int:
    global _current_request_id
    task_root = os.getcwd()
    # The code first, then its layers, then the interpreter's own packages.
    sys.path[0:0] = [task_root, *sys.argv[1:]]
    channels = _Channels()
    _install_root_logging()

    started = time.perf_counter()
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        error = exc.shape()
        _log_error(error)
        channels.end_phase("init")
        channels.answer({"kind": "init_error", "error": error})
        return 1
    init_ms = (time.perf_counter() - started) * 1000
    channels.end_phase("init")
    channels.answer({"kind": "ready", "init_ms": init_ms})

    for line in channels.requests:  # ends when the local cloud closes our stdin
        request = json.loads(line)
        _current_request_id = request["request_id"]
        answer = _invoke(handler, request)
        answer["max_rss_mb"] = _max_rss_mb()
        channels.end_phase(_current_request_id)
        channels.answer(answer)
        _current_request_id = ""
    return 0


if __name__ == "__main__":
    sys.exit(main())
