"""IAM enforced on every request, as on AWS: an unknown key is refused, a principal's policies
decide, and statements scoped to a resource ARN match the ARN of what the request touches.

moto 5.2.5 checks signatures and actions once ``INITIAL_NO_AUTH_ACTION_COUNT`` requests have
passed, but matches every statement against the resource ``"*"`` (except for S3, SQS, IAM and
STS), so a least-privilege policy denied everything and ``"*"`` allowed everything. Here each
request's resource ARNs are worked out for the services the stacks call (DynamoDB tables,
indexes and streams, SNS topics, Secrets Manager secrets, Lambda functions, CloudWatch Logs
groups), API operation names are mapped to the IAM actions AWS checks (``Invoke`` needs
``lambda:InvokeFunction``, ``SendMessageBatch`` needs ``sqs:SendMessage``), and a multi-table
call (BatchWriteItem) is checked on each of its tables.

The keys every local client uses (``test``/``test``) belong to an administrator user the local
cloud makes in its default account, again after a moto reset (as ``LabRole``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException

from orchestrator.local_cloud.monkeypatch import replace

IAM_ENV = "LOCAL_CLOUD_IAM"
ADMIN_USER_NAME = "local-cloud-admin"
ADMIN_ACCESS_KEY_ID = "test"
ADMIN_SECRET_ACCESS_KEY = "test"
ADMIN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
)

# API operations whose IAM action has another name (AWS's Service Authorization Reference).
IAM_ACTIONS = {
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeWithResponseStream": "lambda:InvokeFunction",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "sns:PublishBatch": "sns:Publish",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
}


def enforced(environ: dict[str, str] | None = None) -> bool:
    """IAM is enforced unless ``LOCAL_CLOUD_IAM`` says off (off, 0, false, no)."""
    value = (environ if environ is not None else os.environ).get(IAM_ENV, "on")
    return value.strip().lower() not in ("off", "0", "false", "no")


# -- resources of a request -------------------------------------------------------------------


def _json_body(response: Any) -> dict[str, Any]:
    body = response.body
    if isinstance(body, dict):  # some moto handlers parse it while being set up
        return body
    try:
        parsed = json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _query(response: Any, name: str) -> str | None:
    values = response.querystring.get(name)
    if isinstance(values, list):
        return str(values[0]) if values else None
    return str(values) if values else None


def _prefix(response: Any, service: str) -> str:
    from moto.utilities.utils import get_partition

    region = response.region
    return f"arn:{get_partition(region)}:{service}:{region}:{response.current_account}"


def _dynamodb_resources(response: Any) -> list[str]:
    body = _json_body(response)
    base = _prefix(response, "dynamodb")

    def table(name: str) -> str:
        return name if name.startswith("arn:") else f"{base}:table/{name}"

    found: list[str] = []
    if name := body.get("TableName"):
        arn = table(str(name))
        found.append(f"{arn}/index/{body['IndexName']}" if body.get("IndexName") else arn)
    found += [table(str(name)) for name in body.get("RequestItems") or {}]
    for item in body.get("TransactItems") or []:
        for operation in item.values() if isinstance(item, dict) else []:
            if isinstance(operation, dict) and operation.get("TableName"):
                found.append(table(str(operation["TableName"])))
    for key in ("StreamArn", "ResourceArn", "TableArn"):
        if body.get(key):
            found.append(str(body[key]))
    return list(dict.fromkeys(found))


def _sns_resources(response: Any) -> list[str]:
    for key in ("TopicArn", "TargetArn", "ResourceArn"):
        if value := _query(response, key):
            return [value]
    if response.querystring.get("Action", [""])[0] == "CreateTopic" and (
        name := _query(response, "Name")
    ):
        return [f"{_prefix(response, 'sns')}:{name}"]
    return []


def _secret_resources(response: Any) -> list[str]:
    from moto.secretsmanager.models import secretsmanager_backends

    body = _json_body(response)
    secret_id = body.get("SecretId") or body.get("Name")
    if not secret_id:
        return []
    secrets = secretsmanager_backends[response.current_account][response.region].secrets
    if secret_id in secrets:
        return [str(secrets[secret_id].arn)]
    if str(secret_id).startswith("arn:"):
        return [str(secret_id)]
    # A secret that does not exist (yet): AWS matches its name followed by a random suffix.
    return [f"{_prefix(response, 'secretsmanager')}:secret:{secret_id}-??????"]


_FUNCTION_PATH = re.compile(r"/functions/(?P<name>[^/?]+)")


def _lambda_resources(response: Any) -> list[str]:
    found = _FUNCTION_PATH.search(response.path)
    if not found:
        return []
    name = unquote(found["name"])
    arn = name if name.startswith("arn:") else f"{_prefix(response, 'lambda')}:function:{name}"
    qualifier = _query(response, "Qualifier")
    return [f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn]


def _logs_resources(response: Any) -> list[str]:
    body = _json_body(response)
    group = body.get("logGroupName")
    if not group:
        return []
    arn = f"{_prefix(response, 'logs')}:log-group:{group}"
    stream = body.get("logStreamName")
    return [f"{arn}:log-stream:{stream}" if stream else f"{arn}:*"]


# Keyed by the service name in the request's credential scope (DynamoDB Streams signs as
# "dynamodb").
_RESOURCES: dict[str, Callable[[Any], list[str]]] = {
    "dynamodb": _dynamodb_resources,
    "sns": _sns_resources,
    "secretsmanager": _secret_resources,
    "lambda": _lambda_resources,
    "logs": _logs_resources,
}

_SIGNING_SERVICE = re.compile(r"Credential=[^/]*/[^/]*/[^/]*/(?P<service>[^/]+)/")


def request_resources(response: Any, given: str) -> list[str]:
    """The ARNs a request touches; ``given`` is what moto worked out (``"*"`` if nothing)."""
    if given != "*":
        return [given]
    found = _SIGNING_SERVICE.search(response.headers.get("Authorization", ""))
    resolve = _RESOURCES.get(found["service"]) if found else None
    return (resolve(response) if resolve else []) or ["*"]


# -- the check --------------------------------------------------------------------------------


def _strict(request_class: type) -> type:
    """``request_class`` (moto's IAMRequest or S3IAMRequest) checking AWS's action names and
    naming the resource when it denies, as AWS's message does."""

    class StrictRequest(request_class):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            action = str(self._action)  # type: ignore[has-type]
            self._action = IAM_ACTIONS.get(action, action)
            self.resource = "*"

        def _create_aws_request(self) -> Any:
            # moto signs ``body or data`` (data: the parsed form of a query-protocol POST); for
            # a GET with URL parameters it signed them as a form body, and the signature of
            # e.g. Lambda's GetFunctionEventInvokeConfig never matched. Such requests have none.
            data = self._data  # type: ignore[has-type]
            if self._method in ("GET", "HEAD", "DELETE"):
                self._data = {}
            try:
                return super()._create_aws_request()
            finally:
                self._data = data

        def check_resource(self, resource: str) -> None:
            self.resource = resource
            self.check_action_permitted(resource)

        def _raise_access_denied(self) -> None:
            if request_class.__name__ == "S3IAMRequest":
                super()._raise_access_denied()
            raise AccessDenied(self._access_key.arn, self._action, self.resource)

    StrictRequest.__name__ = f"Strict{request_class.__name__}"
    return StrictRequest


def _access_denied_class() -> type:
    from moto.core.exceptions import AccessDeniedError

    class _AccessDenied(AccessDeniedError):
        def __init__(self, principal_arn: str, action: str, resource: str) -> None:
            # AWS names the resource, which is what a reader needs to fix the policy.
            named = action if resource == "*" else f"{action} on resource: {resource}"
            super().__init__(principal_arn, named)

    return _AccessDenied


AccessDenied: Any = None


def _missing_token_class() -> type:
    from moto.core.exceptions import AccessDeniedError

    class MissingAuthenticationToken(AccessDeniedError):
        def __init__(self) -> None:
            super(AccessDeniedError, self).__init__(
                "MissingAuthenticationTokenException",
                "Request is missing Authentication Token (the local cloud enforces IAM; "
                f"{IAM_ENV}=off turns that off)",
            )

    return MissingAuthenticationToken


def _anonymous_s3_allowed(response: Any, action: str, resource: str) -> bool:
    """An unsigned S3 request: allowed only by a bucket policy granting it to everyone."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    bucket_name = resource.split(":::", 1)[-1].split("/", 1)[0]
    backend = s3_backends[response.current_account][get_partition(response.region)]
    bucket = backend.buckets.get(bucket_name)
    if bucket is None or not bucket.policy:
        return False
    statements = json.loads(bucket.policy).get("Statement", [])
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        if principal not in ("*", {"AWS": "*"}) or statement.get("Condition"):
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        if not any(fnmatchcase(action, p) for p in _as_list(actions)):
            continue
        if not any(fnmatchcase(resource, p) for p in _as_list(resources)):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# What AWS's JSON-protocol services call moto's (query-protocol) errors; SNS calls a denial
# AuthorizationError.
_JSON_ERROR_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
}
_QUERY_ERROR_CODES = {"sns": {"AccessDenied": "AuthorizationError"}}


def _as_protocol_error(response: Any, error: Any) -> Any:
    """moto raises XML (query protocol) errors for every service; DynamoDB, Lambda, Secrets
    Manager and the other JSON services answer JSON, which boto3 needs to read the code."""
    from moto.core.exceptions import JsonRESTError

    error_type = getattr(error, "error_type", None)
    if error_type is None or getattr(response, "service_name", "") == "s3":
        return error
    content_type = response.headers.get("Content-Type", "")
    if response.headers.get("X-Amz-Target") or "json" in content_type:
        converted = JsonRESTError(_JSON_ERROR_CODES.get(error_type, error_type), error.message)
        converted.code = error.code
        return converted
    renamed = _QUERY_ERROR_CODES.get(getattr(response, "service_name", ""), {}).get(error_type)
    if renamed:
        error.error_type = renamed
        error.description = error.description.replace(f"<Code>{error_type}<", f"<Code>{renamed}<")
    return error


def install() -> None:
    """Enforce IAM from the first request (unless turned off), and make the admin user."""
    global AccessDenied
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest, S3IAMRequest
    from moto.s3.exceptions import S3AccessDeniedError

    AccessDenied = _access_denied_class()
    missing_token = _missing_token_class()
    strict: dict[type, type] = {
        IAMRequest: _strict(IAMRequest),
        S3IAMRequest: _strict(S3IAMRequest),
    }
    if enforced():
        replace(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)

    def _authenticate_and_authorize_action(
        self: Any, iam_request_cls: type, resource: str = "*"
    ) -> None:
        # The same gate as moto's (``/moto-api/reset-auth`` still moves it), then the checks.
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return
        if "Authorization" not in self.headers:
            if "X-Amz-Credential" in self.querystring:
                return  # a presigned URL: not checked here (none of the stacks makes one)
            if iam_request_cls is S3IAMRequest:
                action = IAM_ACTIONS.get(f"s3:{self._get_action()}", f"s3:{self._get_action()}")
                if _anonymous_s3_allowed(self, action, resource):
                    return
                raise S3AccessDeniedError()
            raise missing_token()
        path = self.raw_path
        if query := self.parsed_url.query:
            path += "?" + query
        try:
            request = strict[iam_request_cls](
                account_id=self.current_account,
                method=self.method,
                path=path,
                data=self.data,
                body=self.raw_body,
                headers=self.headers,
                action=self._get_action(),
            )
            request.check_signature()
            for arn in request_resources(self, resource):
                request.check_resource(arn)
        except HTTPException as error:
            raise _as_protocol_error(self, error) from None

    replace(
        ActionAuthenticatorMixin,
        "_authenticate_and_authorize_action",
        _authenticate_and_authorize_action,
    )
    _install_admin()
    _install_caller_identity()


_CREDENTIAL_KEY = re.compile(r"Credential=(?P<key>[^/,\s]+)/")


def _install_caller_identity() -> None:
    """GetCallerIdentity of the admin's key names the admin: moto reads a key id from the
    request only when it has AWS's 20-character shape, and ``test`` became "user/moto"."""
    from moto.sts.responses import TokenResponse

    original = TokenResponse.get_access_key

    def get_access_key(self: Any) -> str:
        found = _CREDENTIAL_KEY.search(self.headers.get("Authorization", ""))
        if found and found["key"] == ADMIN_ACCESS_KEY_ID:
            return ADMIN_ACCESS_KEY_ID
        return str(original(self))

    replace(TokenResponse, "get_access_key", get_access_key)


def _install_admin() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import AccessKey, IAMBackend, iam_backends

    original_initialize = IAMBackend.initialize_service_roles

    def ensure_admin(backend: Any) -> None:
        if backend.account_id != DEFAULT_ACCOUNT_ID or ADMIN_USER_NAME in backend.users:
            return
        user = backend.create_user(region_name="us-east-1", user_name=ADMIN_USER_NAME)
        backend.put_user_policy(ADMIN_USER_NAME, "AdministratorAccess", ADMIN_POLICY)
        key = AccessKey(ADMIN_USER_NAME, prefix="AKIA", account_id=backend.account_id)  # type: ignore[abstract]
        key.access_key_id = ADMIN_ACCESS_KEY_ID
        key.secret_access_key = ADMIN_SECRET_ACCESS_KEY
        user.access_keys.append(key)

    def initialize_service_roles(self: Any) -> None:
        original_initialize(self)
        ensure_admin(self)

    replace(IAMBackend, "initialize_service_roles", initialize_service_roles)
    # The backend may exist already (made by another patch): the user must be there before the
    # first request.
    ensure_admin(iam_backends[DEFAULT_ACCOUNT_ID]["aws"])
