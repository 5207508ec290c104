"""The TODO stack end to end on the local cloud: the real module applied, the image built and
run by the local Docker engine (or the app under uvicorn when no engine answers)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.todo_stack import local_port
from tests.integration.local_stack import DeployedStack, applied_on_local_cloud, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[DeployedStack]:
    # A port of its own, so a user's running demo is left alone.
    monkeypatch_module.setenv("TODO_LOCAL_PORT", str(free_port(range(4682, 4690))))
    home = tmp_path_factory.mktemp("orchestrate-home")
    with applied_on_local_cloud("todo", "e2e", home) as deployed:
        yield deployed


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


def test_smoke_runs_create_read_update_delete(stack: DeployedStack) -> None:
    code, out = stack.cli("smoke", "todo")
    assert code == 0, out
    assert out.count("PASS") == 7 and "FAIL" not in out


def test_bad_input_is_a_4xx_with_a_reason(stack: DeployedStack) -> None:
    request = urllib.request.Request(
        stack.outputs["api_base_url"] + "/tasks",
        data=json.dumps({"title": "   "}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 422
    assert "title" in caught.value.read().decode()


def test_second_plan_shows_no_changes(stack: DeployedStack) -> None:
    _, summary = stack.run().plan({})
    assert not summary.has_changes, summary.render()


def test_destroy_leaves_nothing_behind(stack: DeployedStack) -> None:
    code, _ = stack.cli("destroy", "todo")
    assert code == 0
    assert stack.target.client("ecr").describe_repositories()["repositories"] == []
    assert stack.target.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
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
