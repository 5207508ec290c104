"""Lambda functions run from their real zip, warm, with AWS's payloads, errors and logs."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import unique, wait_for


def invoke(aws: Callable[[str], Any], name: str, event: Any, **kwargs: Any) -> dict[str, Any]:
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event), **kwargs)
    response["body"] = json.loads(response["Payload"].read())
    return response


def log_messages(aws: Callable[[str], Any], name: str) -> list[str]:
    logs = aws("logs")
    group = f"/aws/lambda/{name}"
    messages = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])
        messages += [e["message"] for e in events["events"]]
    return messages


def test_invoke_runs_the_zip_and_returns_its_payload(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    # GIVEN a function whose handler writes to S3 through the emulator
    bucket = unique("written-by-lambda")
    aws("s3").create_bucket(Bucket=bucket)
    name = make_function("echo", env={"CUSTOM_SETTING": "from-terraform"})

    # WHEN it is invoked
    response = invoke(aws, name, {"bucket": bucket, "key": "out.txt"})

    # THEN the payload is the handler's, with the context and environment Lambda gives
    body = response["body"]
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body["event"] == {"bucket": bucket, "key": "out.txt"}
    assert body["function_name"] == name
    assert body["memory_limit_in_mb"] == "256"
    assert body["invoked_function_arn"].endswith(f":function:{name}")
    assert 0 < body["remaining_ms"] <= 10_000
    assert body["log_group_name"] == f"/aws/lambda/{name}"
    assert body["endpoint"] == cloud.endpoint_url
    assert body["custom"] == "from-terraform"
    # AND its call back into the emulator landed
    written = aws("s3").get_object(Bucket=bucket, Key="out.txt")["Body"].read()
    assert written == b"written"


def test_workers_stay_warm_between_invocations(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    name = make_function("echo")
    started = time.perf_counter()
    first = invoke(aws, name, {})["body"]
    cold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = invoke(aws, name, {})["body"]
    warm_seconds = time.perf_counter() - started

    assert first["pid"] == second["pid"]  # the same execution environment served both
    assert first["aws_request_id"] != second["aws_request_id"]
    assert warm_seconds < cold_seconds
    messages = log_messages(aws, name)
    assert sum("Init Duration" in m for m in messages if m.startswith("REPORT")) == 1


def test_an_exception_gives_aws_error_shape_and_is_logged(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    name = make_function("raiser")

    response = invoke(aws, name, {}, LogType="Tail")

    assert response["FunctionError"] == "Unhandled"
    error = response["body"]
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "the handler failed on purpose"
    assert any("handlers.py" in frame for frame in error["stackTrace"])
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] ValueError: the handler failed on purpose" in tail
    assert "REPORT RequestId:" in tail


def test_a_timeout_kills_the_invocation_and_is_reported(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    name = make_function("sleeper", timeout=1)

    started = time.perf_counter()
    response = invoke(aws, name, {"seconds": 30})
    elapsed = time.perf_counter() - started

    assert elapsed < 5
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in response["body"]["errorMessage"]
    messages = log_messages(aws, name)
    assert "going to sleep" in messages
    assert any(m.endswith("Task timed out after 1.00 seconds") for m in messages)
    assert any(m.startswith("REPORT") and "Status: timeout" in m for m in messages)


def test_logs_have_start_end_report_around_the_handler_output(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    name = make_function("echo")
    request_id = invoke(aws, name, {"x": 1})["body"]["aws_request_id"]

    messages = log_messages(aws, name)

    start = messages.index(f"START RequestId: {request_id} Version: $LATEST")
    end = messages.index(f"END RequestId: {request_id}")
    assert start < end
    assert messages[end + 1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    handler_lines = [json.loads(m) for m in messages[start + 1 : end] if m.startswith("{")]
    assert handler_lines[0]["message"] == "echo called"  # the Powertools Logger's JSON line
    assert "init: module imported" in messages[:start]


def test_event_invocation_returns_202_at_once_and_runs_later(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    bucket = unique("event-invoke")
    aws("s3").create_bucket(Bucket=bucket)
    name = make_function("echo")

    response = aws("lambda").invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"bucket": bucket, "key": "async.txt"}),
    )

    assert response["StatusCode"] == 202
    wait_for(lambda: aws("s3").list_objects_v2(Bucket=bucket).get("KeyCount"))


def test_updated_code_is_used_by_the_next_invocation(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    from tests.local_cloud.functions import handlers_zip

    name = make_function("echo")
    assert invoke(aws, name, {})["body"]["function_name"] == name
    new_code = handlers_zip("\n\ndef echo(event, context):\n    return 'new code'\n")

    aws("lambda").update_function_code(FunctionName=name, ZipFile=new_code)

    assert invoke(aws, name, {})["body"] == "new code"


def test_init_errors_are_reported_like_aws(
    aws: Callable[[str], Any], role_arn: str, make_function: Callable[..., str]
) -> None:
    from tests.local_cloud.functions import handlers_zip

    name = unique("missing-module")
    aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="nowhere.handler",
        Code={"ZipFile": handlers_zip()},
    )

    response = invoke(aws, name, {})

    assert response["FunctionError"] == "Unhandled"
    assert response["body"]["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'nowhere'" in response["body"]["errorMessage"]


def test_invocations_are_recorded_for_debugging(
    aws: Callable[[str], Any], make_function: Callable[..., str], cloud: LocalCloud
) -> None:
    name = make_function("echo")
    invoke(aws, name, {})

    records = [r for r in cloud.lambda_invocations() if r["function"] == name]

    assert records[-1]["status"] == "ok"
    assert records[-1]["trigger"] == "invoke"
    assert records[-1]["duration_ms"] > 0
