"""HTTP APIs stored by moto are served: routes, payload format 2.0, CORS, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from orchestrator.local_cloud.control import LocalCloud
from tests.local_cloud.conftest import ACCOUNT_ID, unique

ORIGIN = "http://site.example"


@dataclass(frozen=True)
class DeployedApi:
    api_id: str
    endpoint: str
    function: str


def deploy_api(
    aws: Callable[[str], Any],
    make_function: Callable[..., str],
    routes: list[str],
    permit: bool = True,
    stage: str = "$default",
) -> DeployedApi:
    api = aws("apigatewayv2")
    function = make_function("http_api")
    function_arn = aws("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    created = api.create_api(
        Name=unique("inventory-api"),
        ProtocolType="HTTP",
        CorsConfiguration={
            "AllowOrigins": [ORIGIN],
            "AllowMethods": ["GET", "OPTIONS"],
            "AllowHeaders": ["content-type"],
            "MaxAge": 300,
        },
    )
    api_id = created["ApiId"]
    invoke_uri = (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
    integration = api.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=invoke_uri,
        PayloadFormatVersion="2.0",
    )
    for route_key in routes:
        api.create_route(
            ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration['IntegrationId']}"
        )
    api.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    if permit:
        aws("lambda").add_permission(
            FunctionName=function,
            StatementId="apigateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{api_id}/*/*",
        )
    return DeployedApi(api_id, created["ApiEndpoint"], function)


@pytest.fixture(scope="module")
def inventory_api(aws: Callable[[str], Any], make_function: Callable[..., str]) -> DeployedApi:
    return deploy_api(aws, make_function, ["GET /items", "GET /items/{store}", "GET /fail"])


def test_the_api_endpoint_is_this_servers_url(
    inventory_api: DeployedApi, cloud: LocalCloud, aws: Callable[[str], Any]
) -> None:
    assert inventory_api.endpoint == cloud.api_url(inventory_api.api_id)
    stored = aws("apigatewayv2").get_api(ApiId=inventory_api.api_id)
    assert stored["ApiEndpoint"] == inventory_api.endpoint


def test_a_route_gets_a_payload_2_event_and_its_response_is_returned(
    inventory_api: DeployedApi,
) -> None:
    response = requests.get(
        f"{inventory_api.endpoint}/items?limit=2&tag=a&tag=b",
        headers={"X-Custom": "yes", "Cookie": "a=1; b=2"},
        timeout=30,
    )

    assert response.status_code == 200
    assert response.headers["X-Handler"] == "http_api"
    assert response.headers["Set-Cookie"] == "session=abc; Path=/"
    assert response.headers["apigw-requestid"]
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items"
    assert event["rawPath"] == "/items"
    assert event["rawQueryString"] == "limit=2&tag=a&tag=b"
    assert event["queryStringParameters"] == {"limit": "2", "tag": "a,b"}
    assert event["pathParameters"] is None
    assert event["headers"]["x-custom"] == "yes"
    assert "cookie" not in event["headers"]
    context = event["requestContext"]
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/items"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["http"]["userAgent"].startswith("python-requests")
    assert context["routeKey"] == "GET /items"
    assert context["stage"] == "$default"
    assert context["apiId"] == inventory_api.api_id
    assert context["accountId"] == ACCOUNT_ID
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert context["timeEpoch"] > 0 and context["time"]
    assert event["isBase64Encoded"] is False and event["body"] is None


def test_path_parameters_are_decoded(inventory_api: DeployedApi) -> None:
    response = requests.get(f"{inventory_api.endpoint}/items/S%C3%A3o%20Paulo", timeout=30)

    event = response.json()
    assert event["routeKey"] == "GET /items/{store}"
    assert event["pathParameters"] == {"store": "São Paulo"}
    assert event["rawPath"] == "/items/S%C3%A3o%20Paulo"


def test_unknown_routes_and_apis_are_404_not_found(
    inventory_api: DeployedApi, cloud: LocalCloud
) -> None:
    for url in (
        f"{inventory_api.endpoint}/nothing-here",
        f"{inventory_api.endpoint}/items/Berlin/extra",
        cloud.api_url("noapi123") + "/items",
    ):
        response = requests.get(url, timeout=30)
        assert response.status_code == 404, url
        assert response.json() == {"message": "Not Found"}
    assert requests.post(f"{inventory_api.endpoint}/items", timeout=30).status_code == 404


def test_a_failing_function_gives_500_internal_server_error(inventory_api: DeployedApi) -> None:
    response = requests.get(f"{inventory_api.endpoint}/fail", timeout=30)

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_cors_preflight_is_answered_by_the_gateway(inventory_api: DeployedApi) -> None:
    response = requests.options(
        f"{inventory_api.endpoint}/items",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "content-type"
    assert response.headers["Access-Control-Max-Age"] == "300"


def test_cors_preflight_from_another_origin_gets_no_cors_headers(
    inventory_api: DeployedApi,
) -> None:
    response = requests.options(
        f"{inventory_api.endpoint}/items",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        timeout=30,
    )

    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_headers_are_added_for_an_allowed_origin(inventory_api: DeployedApi) -> None:
    allowed = requests.get(
        f"{inventory_api.endpoint}/items", headers={"Origin": ORIGIN}, timeout=30
    )
    other = requests.get(
        f"{inventory_api.endpoint}/items", headers={"Origin": "http://evil.example"}, timeout=30
    )

    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed.headers["Vary"] == "Origin"
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


def test_host_header_style_reaches_the_same_api(
    inventory_api: DeployedApi, cloud: LocalCloud
) -> None:
    response = requests.get(
        f"{cloud.endpoint_url}/items/Madrid",
        headers={"Host": f"{inventory_api.api_id}.execute-api.localhost:{cloud.port}"},
        timeout=30,
    )

    assert response.json()["pathParameters"] == {"store": "Madrid"}


def test_greedy_and_default_routes_and_a_plain_result(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    api = deploy_api(aws, make_function, ["ANY /files/{path+}", "GET /plain", "$default"])

    greedy = requests.post(f"{api.endpoint}/files/a/b.txt", json={"x": 1}, timeout=30)
    binary = requests.put(
        f"{api.endpoint}/files/c.bin",
        data=b"\x00\xff",
        headers={"Content-Type": "application/octet-stream"},
        timeout=30,
    )
    fallback = requests.get(f"{api.endpoint}/anything/else", timeout=30)
    plain = requests.get(f"{api.endpoint}/plain", timeout=30)

    assert greedy.json()["pathParameters"] == {"path": "a/b.txt"}
    assert greedy.json()["routeKey"] == "ANY /files/{path+}"
    assert greedy.json()["body"] == '{"x": 1}'
    assert greedy.json()["isBase64Encoded"] is False
    assert binary.json()["body"] == "AP8="  # base64 of the two bytes
    assert binary.json()["isBase64Encoded"] is True
    assert fallback.json()["routeKey"] == "$default"
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "application/json"
    assert plain.json() == {"plain": True}


def test_without_lambda_permission_the_gateway_answers_500_like_aws(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    api = deploy_api(aws, make_function, ["GET /items"], permit=False)

    response = requests.get(f"{api.endpoint}/items", timeout=30)

    assert response.status_code == 500
    assert json.loads(response.text) == {"message": "Internal Server Error"}


def test_a_named_stage_is_the_first_path_segment(
    aws: Callable[[str], Any], make_function: Callable[..., str]
) -> None:
    api = deploy_api(aws, make_function, ["GET /items"], stage="dev")

    staged = requests.get(f"{api.endpoint}/dev/items", timeout=30)
    unstaged = requests.get(f"{api.endpoint}/items", timeout=30)

    assert staged.status_code == 200
    assert staged.json()["requestContext"]["stage"] == "dev"
    assert staged.json()["rawPath"] == "/dev/items"
    assert unstaged.status_code == 404
