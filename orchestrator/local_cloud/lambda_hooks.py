"""Routes moto's Lambda invocations (the Invoke API and moto's internal callers) to the runtime."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any

from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.lambda")

_LOG_RESULT_BYTES = 4096  # AWS returns the last 4 KB of the log with LogType=Tail


def install(runtime: LambdaRuntime) -> None:
    from moto.awslambda.models import EventInvokeConfig, LambdaBackend, LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        """moto's single entry point for running a function's code."""
        result = runtime.invoke(self, _event_json(event), trigger="internal")
        return result.payload, result.errored, "\n".join(result.log_lines)

    def invoke(
        self: Any, body: Any, request_headers: Any, response_headers: dict[str, str]
    ) -> bytes:
        """The Invoke API, and moto's internal callers (SQS and SNS deliveries)."""
        invocation_type = _header(request_headers, "X-Amz-Invocation-Type") or "RequestResponse"
        event_json = _event_json(body)
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            runtime.invoke_async(self, event_json, trigger="invoke-event")
            return b""
        result = runtime.invoke(self, event_json, trigger="invoke")
        if result.errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        tail = "\n".join(result.log_lines).encode()[-_LOG_RESULT_BYTES:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
        response_headers["x-amz-executed-version"] = "$LATEST"
        return result.payload.encode()

    original_delete = LambdaBackend.delete_function

    def delete_function(self: Any, function_name: str, qualifier: str | None = None) -> None:
        name = self.get_function(function_name, qualifier).function_name
        original_delete(self, function_name, qualifier)
        runtime.discard_function(self.account_id, self.region_name, name)

    def put_function_event_invoke_config(
        self: Any, function_name: str, config: dict[str, Any]
    ) -> dict[str, Any]:
        """Put replaces the configuration (moto appends, and Get kept returning the first)."""
        function = self.get_function(function_name)
        event_config = EventInvokeConfig(function.function_arn, function.last_modified, config)
        function.event_invoke_config = [event_config]
        return event_config.response()

    def update_function_event_invoke_config(
        self: Any, function_name: str, config: dict[str, Any]
    ) -> dict[str, Any]:
        """Update changes only the settings it is given, as on AWS."""
        function = self.get_function(function_name)
        current = function.event_invoke_config[0].config if function.event_invoke_config else {}
        return put_function_event_invoke_config(self, function_name, {**current, **config})

    replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)
    replace(LambdaFunction, "invoke", invoke)
    replace(LambdaBackend, "delete_function", delete_function)
    replace(LambdaBackend, "put_function_event_invoke_config", put_function_event_invoke_config)
    replace(
        LambdaBackend, "update_function_event_invoke_config", update_function_event_invoke_config
    )


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None and isinstance(headers, Mapping):
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return str(value) if value is not None else None


def _event_json(body: Any) -> str:
    """The event as JSON text, whatever form moto's caller holds it in."""
    if body is None:
        return "{}"
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if isinstance(body, str):
        if not body.strip():
            return "{}"
        try:
            json.loads(body)
        except ValueError:
            return json.dumps(body)
        return body
    return json.dumps(body)
