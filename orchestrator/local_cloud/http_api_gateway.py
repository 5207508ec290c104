"""Serves the HTTP APIs that moto stores: /_api/<api_id>/<path> -> Lambda (payload format 2.0)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from orchestrator.local_cloud.http_api_cors import CorsPolicy
from orchestrator.local_cloud.http_api_routes import RouteMatch, match_route
from orchestrator.local_cloud.lambda_permissions import service_may_invoke
from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.monkeypatch import replace

log = logging.getLogger("local_cloud.http_api")

_FUNCTION_ARN = re.compile(r"arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[^/]+")
_TEXT_TYPES = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded", "yaml")


def api_endpoint(public_base_url: str, api_id: str) -> str:
    """The URL Terraform and the website see as the API's endpoint."""
    return f"{public_base_url}/_api/{api_id}"


@dataclass(frozen=True)
class _ApiRef:
    api: Any
    account_id: str
    region: str


def _find_api(api_id: str) -> _ApiRef | None:
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account_id, regions in list(apigatewayv2_backends.items()):
        for region, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return _ApiRef(api, account_id, region)
    return None


class _GatewayResponse(Response):
    default_mimetype = None  # a function that sets no Content-Type gets none, as on AWS


def _json_response(status: int, message: str, request_id: str) -> Response:
    return Response(
        json.dumps({"message": message}),
        status=status,
        headers={"Content-Type": "application/json", "apigw-requestid": request_id},
    )


class HttpApiGateway:
    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime

    def handle(self, request: Request, api_id: str, raw_path: str) -> Response:
        request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
        found = _find_api(api_id)
        if found is None:
            return _json_response(404, "Not Found", request_id)
        stage_and_path = _stage_and_path(found.api, raw_path or "/")
        if stage_and_path is None:
            return _json_response(404, "Not Found", request_id)
        stage, route_path = stage_and_path
        cors = CorsPolicy.from_config(found.api.cors_configuration)
        origin = request.headers.get("Origin")
        preflight_method = request.headers.get("Access-Control-Request-Method")
        if cors is not None and request.method == "OPTIONS" and origin and preflight_method:
            # API Gateway answers preflights itself once CORS is configured.
            headers = cors.preflight_headers(
                origin, preflight_method, request.headers.get("Access-Control-Request-Headers")
            )
            return Response(b"", status=204, headers={**headers, "apigw-requestid": request_id})
        response = self._route(request, found, stage, route_path, raw_path, request_id)
        if cors is not None:
            for name in [
                n for n in response.headers.keys() if n.lower().startswith("access-control-")
            ]:
                del response.headers[name]  # the gateway's CORS settings win over the function's
            for name, value in cors.response_headers(origin).items():
                response.headers[name] = value
        return response

    def _route(
        self,
        request: Request,
        found: _ApiRef,
        stage: str,
        route_path: str,
        raw_path: str,
        request_id: str,
    ) -> Response:
        match = match_route(list(found.api.routes.values()), request.method, route_path)
        if match is None or not str(match.route.target or "").startswith("integrations/"):
            return _json_response(404, "Not Found", request_id)
        integration = found.api.integrations.get(match.route.target.split("/", 1)[1])
        function = self._function_for(integration, found, stage, request.method, match)
        if function is None:
            return _json_response(500, "Internal Server Error", request_id)
        event = build_event(request, found, stage, match, raw_path, request_id)
        result = self._runtime.invoke(function, json.dumps(event), trigger="http-api")
        if result.errored:
            return _json_response(500, "Internal Server Error", request_id)
        try:
            status, headers, body = translate_response(result.payload)
        except (ValueError, TypeError, binascii.Error) as exc:
            log.warning("malformed Lambda response from %s: %s", function.function_name, exc)
            return _json_response(500, "Internal Server Error", request_id)
        response = _GatewayResponse(body, status=status)
        for name, value in headers:
            response.headers.add(name, value)
        response.headers["apigw-requestid"] = request_id
        return response

    def _function_for(
        self, integration: Any, found: _ApiRef, stage: str, method: str, match: RouteMatch
    ) -> Any | None:
        from moto.awslambda.utils import get_backend

        if integration is None or str(integration.integration_type).upper() != "AWS_PROXY":
            log.warning(
                "route %s: only AWS_PROXY (Lambda) integrations are served", match.route_key
            )
            return None
        if str(integration.payload_format_version or "2.0") != "2.0":
            log.warning("route %s: only payload format 2.0 is served locally", match.route_key)
            return None
        arn = _FUNCTION_ARN.search(str(integration.integration_uri or ""))
        if arn is None:
            log.warning("route %s: integration URI names no function", match.route_key)
            return None
        region, account_id = arn.group().split(":")[3:5]
        try:
            function = get_backend(account_id, region).get_function(arn.group())
        except Exception as exc:
            log.warning("route %s: function %s not found (%s)", match.route_key, arn.group(), exc)
            return None
        source_arn = (
            f"arn:aws:execute-api:{found.region}:{found.account_id}:{found.api.api_id}/{stage}/"
            f"{method.upper()}{_resource_path(match)}"
        )
        if not service_may_invoke(
            function, "apigateway.amazonaws.com", source_arn, found.account_id
        ):
            log.warning(
                "API Gateway may not invoke %s: no lambda permission for %s (AWS answers 500 too)",
                function.function_name,
                source_arn,
            )
            return None
        return function


def _resource_path(match: RouteMatch) -> str:
    if match.route_key == "$default":
        return "/$default"
    return match.route_key.partition(" ")[2]


def _stage_and_path(api: Any, raw_path: str) -> tuple[str, str] | None:
    """A named stage is the first path segment; the $default stage serves the bare path."""
    first, _, rest = raw_path.lstrip("/").partition("/")
    if first and first != "$default" and first in api.stages:
        return first, "/" + rest
    if "$default" in api.stages:
        return "$default", raw_path
    return None


def _is_text(content_type: str) -> bool:
    return any(marker in content_type.lower() for marker in _TEXT_TYPES)


def build_event(
    request: Request,
    found: _ApiRef,
    stage: str,
    match: RouteMatch,
    raw_path: str,
    request_id: str,
) -> dict[str, Any]:
    """The payload-format-2.0 event API Gateway sends to a Lambda proxy integration."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key == "cookie":
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    source_ip = request.remote_addr or "127.0.0.1"
    headers.setdefault("x-forwarded-for", source_ip)
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(request.environ.get("SERVER_PORT", "80")))
    now = time.time()
    raw_query = request.query_string.decode("latin-1")
    domain = request.host  # the Host the client used, as on AWS (here with its port)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": found.account_id,
            "apiId": found.api.api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": source_ip,
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "routeKey": match.route_key,
            "stage": stage,
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    cookies = [c.strip() for c in request.headers.get("Cookie", "").split(";") if c.strip()]
    if cookies:
        event["cookies"] = cookies
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    if query:
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    stage_model = found.api.stages.get(stage)
    if stage_model is not None and stage_model.stage_variables:
        event["stageVariables"] = dict(stage_model.stage_variables)
    body = request.get_data()
    if body:
        if _is_text(request.content_type or "") and _is_utf8(body):
            event["body"] = body.decode("utf-8")
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def translate_response(payload: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A 2.0 response (or a bare value: 200 JSON, as API Gateway assumes) as status/headers/body."""
    value = json.loads(payload)
    if not (isinstance(value, dict) and "statusCode" in value):
        text = value if isinstance(value, str) else json.dumps(value)
        return 200, [("Content-Type", "application/json")], text.encode()
    status = int(value["statusCode"])
    headers = [(str(k), str(v)) for k, v in (value.get("headers") or {}).items()]
    for name, values in (value.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(v)) for v in values]
    headers += [("Set-Cookie", str(c)) for c in value.get("cookies") or []]
    raw_body = value.get("body")
    body: bytes
    if raw_body is None:
        body = b""
    elif value.get("isBase64Encoded"):
        body = base64.b64decode(str(raw_body), validate=True)
    else:
        body = (raw_body if isinstance(raw_body, str) else json.dumps(raw_body)).encode()
    return status, headers, body


def install(public_base_url: str) -> None:
    """Make each new API's ``api_endpoint`` this server's URL, so outputs work locally."""
    from moto.apigatewayv2.models import Api

    original_init = Api.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.api_endpoint = api_endpoint(public_base_url, self.api_id)

    replace(Api, "__init__", __init__)
