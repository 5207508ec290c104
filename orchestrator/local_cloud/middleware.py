"""The WSGI layer in front of moto: the local cloud's own routes, then moto for the rest.

Every extra route starts with "/_" (no S3 bucket name can), or is chosen by a Host header
under ``.localhost``, so moto's routing (S3 path-style /<bucket>/<key> included) is untouched.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from orchestrator.local_cloud import website
from orchestrator.local_cloud.http_api_gateway import HttpApiGateway
from orchestrator.local_cloud.lambda_runtime import LambdaRuntime
from orchestrator.local_cloud.role_sessions import RoleSessionError
from orchestrator.local_cloud.sns_record import SnsRecord

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_API_PATH = re.compile(r"^/_api/(?P<api_id>[^/]+)(?P<path>/.*)?$")
_WEBSITE_PATH = re.compile(r"^/_website/(?P<bucket>[^/]+)(?P<slash>/?)(?P<key>.*)$")
_API_HOST = re.compile(r"^(?P<api_id>[a-z0-9]+)\.execute-api\.localhost(:\d+)?$")
_WEBSITE_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3-website\.localhost(:\d+)?$")


class LocalCloudMiddleware:
    def __init__(
        self,
        moto_app: WsgiApp,
        runtime: LambdaRuntime,
        sns_record: SnsRecord,
        version: str,
    ) -> None:
        self._moto_app = moto_app
        self._runtime = runtime
        self._sns_record = sns_record
        self._gateway = HttpApiGateway(runtime)
        self._version = version

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        host = environ.get("HTTP_HOST", "")
        response: Response | None = None
        if path.startswith("/_local/"):
            response = self._local(Request(environ), path)
        elif path.startswith("/_api/") and (found := _API_PATH.match(_raw_path(environ))):
            response = self._gateway.handle(Request(environ), found["api_id"], found["path"] or "/")
        elif path.startswith("/_website/") and (site := _WEBSITE_PATH.match(path)):
            response = self._website(Request(environ), site, f"/_website/{site['bucket']}/")
        elif api_host := _API_HOST.match(host):
            response = self._gateway.handle(
                Request(environ), api_host["api_id"], _raw_path(environ)
            )
        elif site_host := _WEBSITE_HOST.match(host):
            request = Request(environ)
            response = website.serve(request, site_host["bucket"], path.lstrip("/"), "/")
        if response is None:
            return self._moto_app(environ, start_response)
        return response(environ, start_response)

    def _website(self, request: Request, site: re.Match[str], base_path: str) -> Response:
        if not site["slash"]:  # relative links in index.html need the trailing slash
            return Response(b"", status=302, headers={"Location": base_path})
        return website.serve(request, site["bucket"], site["key"], base_path)

    def _service_credentials(self, request: Request) -> Response:
        """A role's session as an AWS service gets it (the local ECS agent's: the task runners
        run outside this process); 403 with the reason when the service may not assume it."""
        try:
            role_arn, service, region = _service_role_request(request)
        except (ValueError, KeyError, TypeError):
            return _json({"message": "expected JSON with RoleArn and Service"}, status=400)
        try:
            credentials = self._runtime.role_sessions.credentials(role_arn, service, region)
        except RoleSessionError as exc:
            return _json({"message": str(exc)}, status=403)
        return _json(credentials.as_json())

    def _local(self, request: Request, path: str) -> Response:
        if path == "/_local/health":
            return _json({"status": "ok", "version": self._version, "pid": os.getpid()})
        if path == "/_local/sns/messages":
            if request.method == "DELETE":
                return _json({"deleted": self._sns_record.clear()})
            return _json(self._sns_record.messages(request.args.get("topic_arn")))
        if path == "/_local/lambda/invocations":
            return _json(self._runtime.invocations())
        if path == "/_local/sts/service-credentials" and request.method == "POST":
            return self._service_credentials(request)
        return _json({"message": f"no local cloud route {path}"}, status=404)


def _service_role_request(request: Request) -> tuple[str, str, str]:
    body = json.loads(request.get_data() or b"{}")
    return str(body["RoleArn"]), str(body["Service"]), str(body.get("Region") or "us-east-1")


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as the client sent it (percent-encoding kept), without the query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    raw = raw.split("?", 1)[0]
    if raw.startswith(("http://", "https://")):
        raw = "/" + raw.split("/", 3)[-1] if raw.count("/") >= 3 else "/"
    return raw or "/"


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json")
