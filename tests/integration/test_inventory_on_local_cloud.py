"""The inventory stack end to end on the local cloud: real Terraform, real Lambda zips.

One module-scoped deployment; the tests run in file order against it, and the last one destroys
it and checks that nothing is left (the fixture destroys again, which must be harmless).
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.stacks.inventory.ops import http_get
from orchestrator.workspace import work_root
from tests.integration.inventory_checks import alerts, report, scan_table, stream_barrier
from tests.integration.local_stack import (
    DeployedStack,
    Row,
    applied_on_local_cloud,
    csv_rows,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "app_inventory" / "samples" / "inventory-sample.csv"
RESTOCK = Path(__file__).parent / "data" / "restock.csv"
THRESHOLD = 5
ORIGIN = "http://example.test"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    home = tmp_path_factory.mktemp("orchestrate-home")
    with applied_on_local_cloud("inventory", "e2e", home) as deployed:
        yield deployed


def log_named(out: str) -> Path:
    found = re.search(r"^terraform log: (.+\.log)$", out, re.MULTILINE)
    assert found is not None, out
    return Path(found[1]).resolve()  # printed from the current folder when below it


def test_the_deploy_printed_a_dozen_lines_and_logged_every_event(stack: DeployedStack) -> None:
    # The deploy's output was not a terminal (as in CI): no line per resource, a summary
    out = stack.deploy_output
    lines = out.strip().splitlines()
    assert len(lines) < 40, out
    assert "Creation complete" not in out and "Creating..." not in out
    summary = next(line for line in lines if line.startswith("Apply complete in "))
    added = re.search(r": (\d+) added, 0 changed, 0 destroyed", summary)
    assert added is not None and int(added[1]) > 50, summary
    # AND it named its log, under the work dir, which holds each resource's completion
    log = log_named(out)
    assert log.is_relative_to(work_root() / "logs" / "local" / "e2e")
    assert log.name.endswith("-deploy.log")
    text = log.read_text()
    managed = [a for a in stack.run().terraform().state_resources() if ".data." not in f".{a}"]
    assert len(managed) == int(added[1])
    assert [a for a in managed if f"{a}: Creation complete after " not in text] == []
    assert f"Apply complete! Resources: {added[1]} added, 0 changed, 0 destroyed." in text


def api_rows(url: str) -> tuple[list[Row], dict[str, str]]:
    """Every row behind a paginated API URL, and the headers of the first answer."""
    rows: list[Row] = []
    first_headers: dict[str, str] | None = None
    next_token: str | None = None
    while True:
        page_url = url + "?limit=7" + (f"&next_token={next_token}" if next_token else "")
        status, headers, body = http_get(page_url, headers={"Origin": ORIGIN})
        assert status == 200, body
        first_headers = first_headers or {k.lower(): v for k, v in headers.items()}
        payload = json.loads(body)
        rows.extend((i["store"], i["item"], i["count"]) for i in payload["items"])
        next_token = payload.get("next_token")
        if not next_token:
            return sorted(rows), first_headers


def test_sample_load_report_counts_every_row(stack: DeployedStack) -> None:
    code, out = stack.cli("load", str(SAMPLE), "--timeout", "180")
    assert code == 0
    assert "loaded" in out
    loaded = report(stack, "inventory-sample.csv")
    assert loaded["status"] == "loaded"
    assert loaded["rows_loaded"] == len(csv_rows(SAMPLE))
    assert loaded["rows_rejected"] == 0 and loaded["rejected"] == []


def test_table_holds_exactly_the_sample_rows(stack: DeployedStack) -> None:
    assert scan_table(stack) == csv_rows(SAMPLE)


def test_one_alert_per_item_below_threshold_and_none_above(stack: DeployedStack) -> None:
    low = sorted((store, item) for store, item, count in csv_rows(SAMPLE) if count < THRESHOLD)
    assert low, "the sample must hold items below the threshold"
    stream_barrier(stack)
    assert sorted(alerts(stack)) == low


def test_api_lists_all_items_and_one_store_with_cors(stack: DeployedStack) -> None:
    api = stack.outputs["api_endpoint"].rstrip("/")
    rows, headers = api_rows(f"{api}/items")
    assert rows == csv_rows(SAMPLE)
    assert headers.get("access-control-allow-origin") in {ORIGIN, "*"}

    berlin, _ = api_rows(f"{api}/items/Berlin")
    assert berlin == [row for row in csv_rows(SAMPLE) if row[0] == "Berlin"]
    nowhere, _ = api_rows(f"{api}/items/Atlantis")
    assert nowhere == []

    status, _, body = http_get(f"{api}/items?limit=0")
    assert status == 400 and json.loads(body)["message"]


def test_cors_preflight_is_answered(stack: DeployedStack) -> None:
    api = stack.outputs["api_endpoint"].rstrip("/")
    request = urllib.request.Request(
        f"{api}/items",
        method="OPTIONS",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in {200, 204}
        assert response.headers["Access-Control-Allow-Origin"] in {ORIGIN, "*"}
        assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_same_file_twice_leaves_the_same_table_and_no_new_alert(stack: DeployedStack) -> None:
    before = alerts(stack)
    code, _ = stack.cli("load", str(SAMPLE), "--timeout", "180")
    assert code == 0
    assert scan_table(stack) == csv_rows(SAMPLE)
    stream_barrier(stack)
    assert alerts(stack) == before


def test_restock_alerts_only_on_crossings_and_reports_the_bad_row(stack: DeployedStack) -> None:
    before = alerts(stack)
    code, out = stack.cli("load", str(RESTOCK), "--timeout", "180")
    assert code == 0
    loaded = report(stack, "restock.csv")
    assert loaded["status"] == "partial"
    assert loaded["rows_loaded"] == 4 and loaded["rows_rejected"] == 1
    assert loaded["rejected"][0]["line"] == 5
    assert "line 5" in out
    stream_barrier(stack)
    # Apples 42 -> 2 and Jamon 5 -> 4 cross; Bananas 3 -> 1 stays low; Eggs 0 -> 30 goes up.
    assert sorted(alerts(stack)[len(before) :]) == [("Berlin", "Apples"), ("Madrid", "Jamon")]
    expected = {(s, i): c for s, i, c in csv_rows(SAMPLE)}
    expected.update({(s, i): c for s, i, c in csv_rows(RESTOCK)})
    assert scan_table(stack) == sorted((s, i, c) for (s, i), c in expected.items())


def test_website_shows_the_inventory_with_low_stock_highlighted(
    stack: DeployedStack, browser_page: Any
) -> None:
    from tests.browser.inventory_page import assert_inventory_page, assert_store_filter

    rows = scan_table(stack)
    assert_inventory_page(browser_page, stack.outputs["website_url"], rows, THRESHOLD)
    assert_store_filter(browser_page, "Madrid", rows, THRESHOLD)


def test_loader_logs_reach_cloudwatch(stack: DeployedStack) -> None:
    code, out = stack.cli("logs", "load_inventory", "--since", "30")
    assert code == 0
    assert "START RequestId" in out and "REPORT RequestId" in out


def test_smoke_passes(stack: DeployedStack) -> None:
    code, out = stack.cli("smoke", "inventory")
    assert code == 0, out
    assert "FAIL" not in out


def test_second_plan_shows_no_changes(stack: DeployedStack) -> None:
    _, summary = stack.run().plan({})
    assert not summary.has_changes, summary.render()


def test_destroy_leaves_nothing_behind(stack: DeployedStack) -> None:
    code, out = stack.cli("destroy", "inventory")
    assert code == 0
    # It reads as the deploy does, with a log of its own
    assert "Destruction complete" not in out
    assert re.search(r"^Destroy complete in .*: \d+ destroyed\.$", out, re.MULTILINE), out
    assert log_named(out).name.endswith("-destroy.log")
    s3 = stack.target.client("s3")
    names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    assert stack.outputs["upload_bucket_name"] not in names
    assert stack.outputs["website_bucket_name"] not in names
    assert stack.target.client("dynamodb").list_tables()["TableNames"] == []
    assert stack.target.client("lambda").list_functions()["Functions"] == []
    assert stack.target.client("apigatewayv2").get_apis()["Items"] == []
    assert stack.target.client("sns").list_topics()["Topics"] == []
    # and a second destroy is harmless
    code, out = stack.cli("destroy", "inventory")
    assert code == 0
