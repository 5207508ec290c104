"""The TODO stack end to end on the local cloud: the real module applied, the image built and
run by the local Docker engine (or the app under uvicorn when no engine answers).

It is deployed protected, as a public service should be (one deploy for the whole module, to
keep the suite fast; the open default is planned in tests/terraform): a bearer token for reads
and writes, HTTPS with a certificate imported into the local cloud's ACM, and the alarms.
"""

from __future__ import annotations

import datetime
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest

from orchestrator.stacks.todo.steps import local_port
from orchestrator.targets import Target
from tests.integration.local_stack import DeployedStack, applied_on_local_cloud, free_port

pytestmark = pytest.mark.integration

PREFIX = "todo-e2e"


def self_signed_certificate(host: str) -> tuple[bytes, bytes]:
    """A certificate and its key, as PEM, for ACM to import."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    )


def protected(target: Target) -> dict[str, str]:
    """The deploy's variables: a token for reads and writes, HTTPS with an imported certificate."""
    certificate, key = self_signed_certificate("todo.local.test")
    imported = target.client("acm").import_certificate(Certificate=certificate, PrivateKey=key)
    return {
        "api_auth": "token",
        "api_auth_reads": "true",
        "certificate_arn": imported["CertificateArn"],
    }


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[DeployedStack]:
    # A port of its own, so a user's running demo is left alone.
    monkeypatch_module.setenv("TODO_LOCAL_PORT", str(free_port(range(4682, 4690))))
    home = tmp_path_factory.mktemp("orchestrate-home")
    with applied_on_local_cloud("todo", "e2e", home, protected) as deployed:
        yield deployed


@pytest.fixture(scope="module")
def token(stack: DeployedStack) -> str:
    """The token, read from the secret the way a user with AWS access would."""
    secrets = stack.target.client("secretsmanager")
    value = secrets.get_secret_value(SecretId=stack.outputs["api_token_secret_arn"])
    return str(value["SecretString"])


def request(
    stack: DeployedStack, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Message, Any]:
    """Status, headers (names in any case) and JSON body of one call to the running task."""
    call = urllib.request.Request(
        stack.outputs["api_base_url"] + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    if token:
        call.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            raw = response.read()
            return response.status, response.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, error.headers, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_outputs_point_at_the_running_task(stack: DeployedStack) -> None:
    base = stack.outputs["api_base_url"]
    assert base == f"http://127.0.0.1:{local_port()}"
    assert stack.outputs["docs_url"] == f"{base}/docs"
    assert stack.outputs["image_uri"].startswith(stack.outputs["ecr_repository_url"] + ":")
    with urllib.request.urlopen(base + "/", timeout=10) as response:
        assert json.loads(response.read()) == {"message": "CloudTasks TODO API is running"}
    with urllib.request.urlopen(stack.outputs["docs_url"], timeout=10) as response:
        assert b"swagger" in response.read().lower()


def test_swagger_page_renders_every_route_in_a_real_browser(
    stack: DeployedStack, browser_page: Any
) -> None:
    # The docs' assets come from the image, so this works with no internet at all.
    outside: list[str] = []
    browser_page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith("http://127.0.0.1") else None
        ),
    )
    browser_page.goto(stack.outputs["docs_url"])
    browser_page.wait_for_selector(".opblock-summary", timeout=30_000)
    routes = {
        # Swagger UI breaks long paths with zero-width spaces.
        " ".join(summary.inner_text().replace("\u200b", "").split()[:2])
        for summary in browser_page.query_selector_all(".opblock-summary")
    }
    assert {"GET /tasks", "POST /tasks", "DELETE /tasks/{task_id}", "GET /health/ready"} <= routes
    assert outside == []


def test_smoke_sends_the_token_and_checks_that_it_is_needed(stack: DeployedStack) -> None:
    code, out = stack.cli("smoke", "todo")
    assert code == 0, out
    assert "PASS POST /tasks without the token is refused: HTTP 401" in out
    assert "PASS GET /tasks without the token is refused: HTTP 401" in out
    assert out.count("PASS") == 9 and "FAIL" not in out


def test_256_concurrent_clients_are_all_answered(stack: DeployedStack) -> None:
    # What a newcomer does after `make deploy-todo`: the deployed task (the image on its MySQL
    # sidecar, through the local load balancer's port) under 256 clients at once.
    code, out = stack.cli("smoke", "todo", "--clients", "256", "--seconds", "3")
    assert code == 0, out
    assert re.search(r"256 clients for \d+ s: [\d,]+ requests", out), out
    assert "every request answered 2xx" in out
    assert "no answer" not in out


def test_logs_todo_prints_the_containers_output_as_on_aws(stack: DeployedStack) -> None:
    # The local cloud ships the task's containers' output to the task definition's log groups
    # (awslogs), so `logs todo` and `logs todo-db` read what they read on AWS.
    def printed(name: str) -> str:
        code, out = stack.cli("logs", name, "--since", "60")
        assert code == 0, out
        return out

    deadline = time.monotonic() + 30
    while "Uvicorn running" not in (app := printed("todo")) and time.monotonic() < deadline:
        time.sleep(1)
    assert "Uvicorn running" in app, app
    assert "mariadbd" in printed("todo-db").lower() or "mysqld" in printed("todo-db").lower()


def test_bad_input_is_a_4xx_with_a_reason(stack: DeployedStack, token: str) -> None:
    status, _, body = request(stack, "POST", "/tasks", token, {"title": "   "})

    assert status == 422
    assert "title" in json.dumps(body)


# ----------------------------------------------------------------------------- the API token
def test_the_token_is_a_random_string_in_its_own_secret(stack: DeployedStack, token: str) -> None:
    secret = stack.target.client("secretsmanager").describe_secret(
        SecretId=stack.outputs["api_token_secret_arn"]
    )

    assert secret["Name"] == f"{PREFIX}-api-token"
    assert re.fullmatch(r"[A-Za-z0-9]{48}", token)
    # Write-only: the token is in none of the files the orchestrator keeps for the stack (state,
    # plan, variables, outputs).
    workspace = stack.run().workspace
    kept = [workspace.state_path, workspace.plan_path, workspace.meta_path, workspace.outputs_path]
    assert all(path.exists() for path in kept)
    assert [path.name for path in kept if token.encode() in path.read_bytes()] == []


def test_task_definition_reads_the_token_from_its_secret(stack: DeployedStack) -> None:
    described = stack.target.client("ecs").describe_task_definition(
        taskDefinition=stack.outputs["task_definition_arn"]
    )
    [api] = [c for c in described["taskDefinition"]["containerDefinitions"] if c["name"] == "api"]

    assert {"name": "API_TOKEN", "valueFrom": stack.outputs["api_token_secret_arn"]} in api[
        "secrets"
    ]
    assert {"name": "API_AUTH_READS", "value": "true"} in api["environment"]
    assert not [e for e in api["environment"] if "TOKEN" in e["name"]]


def test_deploy_shows_the_token_once_with_a_curl_example(stack: DeployedStack, token: str) -> None:
    assert stack.deploy_output.count(token) == 2  # the token, and the curl line that uses it
    assert f'curl -H "Authorization: Bearer {token}"' in stack.deploy_output
    assert "python orchestrate.py token todo --target local --env e2e" in stack.deploy_output


def test_token_command_prints_the_token_alone(stack: DeployedStack, token: str) -> None:
    code, out = stack.cli("token", "todo")

    assert code == 0
    assert out == f"{token}\n"


def test_local_task_runs_with_the_token_from_the_secret(stack: DeployedStack, token: str) -> None:
    if stack.outputs["local_runner"] == "docker":
        import docker

        client = docker.from_env()
        try:
            env = client.containers.get(f"{PREFIX}-local-app").attrs["Config"]["Env"]
        finally:
            client.close()
        assert f"API_TOKEN={token}" in env
        assert "API_AUTH_READS=true" in env

    write = request(stack, "POST", "/tasks", None, {"title": "no token"})
    wrong = request(stack, "POST", "/tasks", "not-the-token", {"title": "wrong token"})
    read = request(stack, "GET", "/tasks")
    allowed = request(stack, "GET", "/tasks", token)

    assert (write[0], write[1].get("WWW-Authenticate")) == (401, "Bearer")
    assert (wrong[0], read[0], allowed[0]) == (401, 401, 200)
    assert request(stack, "GET", "/health/ready")[0] == 200


# ----------------------------------------------------------------------- HTTPS and the alarms
def test_load_balancer_serves_https_and_redirects_http(stack: DeployedStack) -> None:
    elbv2 = stack.target.client("elbv2")
    [balancer] = elbv2.describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"]
    listeners = {
        listener["Port"]: listener
        for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])[
            "Listeners"
        ]
    }

    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert (https["Protocol"], https["SslPolicy"]) == (
        "HTTPS",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
    )
    assert https["Certificates"][0]["CertificateArn"] == stack.user_vars["certificate_arn"]
    [redirect] = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert stack.outputs["alb_api_base_url"] == f"https://{balancer['DNSName']}"


def test_alarms_watch_the_load_balancer_and_the_service(stack: DeployedStack) -> None:
    alarms = stack.target.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{PREFIX}-")[
        "MetricAlarms"
    ]

    # The sidecar database has no metrics: no database alarms.
    assert {(a["Namespace"], a["MetricName"]) for a in alarms} == {
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/ECS", "CPUUtilization"),
        ("AWS/ECS", "MemoryUtilization"),
    }
    assert {a["TreatMissingData"] for a in alarms} == {"notBreaching"}
    assert all(a["AlarmActions"] == [stack.outputs["alarms_topic_arn"]] for a in alarms)
    cpu = next(a for a in alarms if a["MetricName"] == "CPUUtilization")
    assert {d["Name"]: d["Value"] for d in cpu["Dimensions"]} == {
        "ClusterName": PREFIX,
        "ServiceName": PREFIX,
    }


def test_second_plan_shows_no_changes(stack: DeployedStack) -> None:
    _, summary = stack.run().plan(stack.user_vars)
    assert not summary.has_changes, summary.render()


def test_destroy_leaves_nothing_behind(stack: DeployedStack) -> None:
    code, _ = stack.cli("destroy", "todo")
    assert code == 0
    assert stack.target.client("ecr").describe_repositories()["repositories"] == []
    assert stack.target.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert stack.target.client("secretsmanager").list_secrets()["SecretList"] == []
    assert stack.target.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    # ECS keeps a deleted cluster and service visible as INACTIVE for a while, never ACTIVE.
    ecs = stack.target.client("ecs")
    cluster = stack.outputs["cluster_name"]
    clusters = ecs.describe_clusters(clusters=[cluster])["clusters"]
    assert all(found["status"] == "INACTIVE" for found in clusters)
    services = ecs.describe_services(cluster=cluster, services=[stack.outputs["service_name"]])
    assert all(found["status"] != "ACTIVE" for found in services["services"])
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(stack.outputs["api_base_url"] + "/", timeout=5)
    code, _ = stack.cli("destroy", "todo")
    assert code == 0
