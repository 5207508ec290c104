"""The inventory stack at scale and under faults, end to end on the local cloud.

One deployment; the tests run in file order against it and change its variables with
``deploy --var`` as an operator would (each redeploy replaces the variables of the one before).

- 200,000 rows (the size that used to half-load) with the loader's real configuration;
- a poison stream record between good crossings;
- workers whose timeout is forced down to seconds;
- every kind of bad CSV, cut into ranges of two rows;
- a worker broken on every attempt, then fixed and its ranges redriven;
- destroy with object keys holding '+', spaces and non-ASCII.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app_inventory.inventory_csv import InvalidInventoryFile
from app_inventory.load_plan import survey
from app_inventory.load_report import LoadReport
from tests.app_inventory.csv_samples import ONE_OF_EACH_BAD_ROW
from tests.integration.inventory_checks import (
    alerts,
    count_items,
    report,
    scan_table,
    stream_barrier,
)
from tests.integration.local_stack import DeployedStack, applied_on_local_cloud
from tests.local_cloud.conftest import wait_for

pytestmark = pytest.mark.integration

THRESHOLD = 5
STORES, ITEMS = 10, 20_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    home = tmp_path_factory.mktemp("orchestrate-home")
    with applied_on_local_cloud("inventory", "scale", home) as deployed:
        yield deployed


def big_file(path: Path, stores: int, items: int, store_prefix: str) -> set[tuple[str, str]]:
    """Write stores x items rows, one in a hundred below the threshold; return those."""
    low = set()
    with path.open("w") as handle:
        handle.write("store,item,count\n")
        for s in range(stores):
            for i in range(items):
                n = s * items + i
                below = n % 100 == 7
                count = n % THRESHOLD if below else THRESHOLD + n % 90
                store, item = f"{store_prefix}-{s:02d}", f"item-{i:05d}"
                handle.write(f"{store},{item},{count}\n")
                if below:
                    low.add((store, item))
    return low


def redeploy(stack: DeployedStack, *variables: str) -> None:
    """Deploy with these values alone: an earlier test's saved --var values are unset first."""
    code, _ = stack.cli("config", "inventory", "--unset-all")
    assert code == 0
    arguments = [part for variable in variables for part in ("--var", variable)]
    code, _ = stack.cli("deploy", "inventory", *arguments)
    assert code == 0


def test_200k_rows_load_completely_with_one_alert_per_low_item(
    stack: DeployedStack, tmp_path: Path
) -> None:
    # GIVEN 10 stores x 20,000 items (4.4 MB), 2,000 of them below the threshold
    path = tmp_path / "chain-200k.csv"
    low = big_file(path, STORES, ITEMS, "Store")
    # WHEN it is loaded with the stack's default settings (50,000-row ranges, 120 s workers)
    code, out = stack.cli("load", str(path))
    # THEN the load reports every row, through four ranges, with progress on the way
    assert code == 0, out
    loaded = report(stack, path.name)
    assert (loaded["status"], loaded["rows_loaded"]) == ("loaded", STORES * ITEMS)
    assert loaded["ranges"] == {"total": 4, "done": 4, "failed": []}
    assert "loading:" in out
    # AND the table holds every row
    assert count_items(stack) == STORES * ITEMS
    # AND each low item alerted exactly once, once the stream has caught up
    stream_barrier(stack, timeout=600)
    sent = [alert for alert in alerts(stack) if alert[0].startswith("Store-")]
    assert len(sent) == len(low)
    assert set(sent) == low


def test_a_poison_stream_record_is_parked_and_good_crossings_alert_once(
    stack: DeployedStack,
) -> None:
    # GIVEN items written by another tool: good crossings around one with count "abc"
    dynamodb = stack.target.client("dynamodb")
    table = stack.outputs["table_name"]
    writes = [("Poison", "good-1", {"N": "1"}), ("Poison", "bad", {"S": "abc"})]
    writes += [("Poison", "good-2", {"N": "2"}), ("Poison", "good-3", {"N": "0"})]
    before = len(alerts(stack))
    # WHEN they are written (the stream delivers them in one batch or several)
    for store, item, count in writes:
        dynamodb.put_item(
            TableName=table, Item={"store": {"S": store}, "item": {"S": item}, "count": count}
        )
    stream_barrier(stack)
    # THEN each good crossing alerted once, none twice, and the poison did not block them
    assert sorted(alerts(stack)[before:]) == [
        ("Poison", "good-1"),
        ("Poison", "good-2"),
        ("Poison", "good-3"),
    ]
    # AND the poison record waits in the stream dead-letter queue, with its key and reason
    code, out = stack.cli("dlq", "list", "inventory", "--json")
    assert code == 0, out
    parked = json.loads(out[out.index("{") :])["stream-dlq"]
    poison = [m for m in parked if m["kind"] == "poison-stream-record"]
    assert len(poison) == 1
    assert poison[0]["body"]["keys"] == {"store": "Poison", "item": "bad"}
    assert "abc" in poison[0]["body"]["reason"]
    # AND the handler's log names it
    code, logs = stack.cli("logs", "notify_low_stock", "--since", "30")
    assert code == 0
    assert "abc" in logs and '"item":"bad"' in logs.replace(" ", "")
    # (cleanup for the tests after this one)
    dynamodb.delete_item(TableName=table, Key={"store": {"S": "Poison"}, "item": {"S": "bad"}})
    stack.cli("dlq", "purge", "inventory", "--yes")


def test_workers_with_a_timeout_of_seconds_hand_on_their_rest_and_complete(
    stack: DeployedStack, tmp_path: Path
) -> None:
    # GIVEN workers whose timeout is forced down to 5 seconds
    redeploy(stack, "load_worker_timeout=5")
    path = tmp_path / "short-workers.csv"
    big_file(path, 2, 10_000, "Short")
    # WHEN 20,000 rows are loaded
    code, out = stack.cli("load", str(path))
    # THEN the load completes: workers short of time saved their progress and handed on
    assert code == 0, out
    loaded = report(stack, path.name)
    assert (loaded["status"], loaded["rows_loaded"]) == ("loaded", 20_000)
    assert loaded["ranges"]["failed"] == []
    code, logs = stack.cli("logs", "load_inventory_range", "--since", "30")
    assert code == 0
    assert "continued:" in logs, "no worker handed on: the test proves nothing"
    assert "Task timed out" not in logs


BAD_FILES: dict[str, bytes] = {
    "bom-crlf-quotes.csv": (
        b"\xef\xbb\xbf Item ,STORE,Count,notes\r\n"
        b'"Flour, rye", Berlin ,7,"restock ""soon"""\r\n'
        b'  Milk  ,"Madrid", 3 ,\r\n'
        b'"two\r\nlines",Berlin,4,\r\n'
    ),
    "semicolons.csv": b"store;item;count\nBerlin;Milk;3\n",
    "latin1.csv": b"store,item,count\nBerlin,Milk,3\nBerlin,K\xe4se,3\n",
    "missing-column.csv": b"store,count\nBerlin,3\n",
    "rows-of-every-bad-kind.csv": (
        ONE_OF_EACH_BAD_ROW + b"Madrid,Jamon,\n"
        b"Madrid,Olives,2.5\n"
        b"Madrid,Bread,1e3\n"
        b",,\n"
        b"\n"
        b"Madrid,Jamon,9\n"
        b"Berlin,Apples,41\n"
        b"Berlin,Apples,x\n"
        b"Berlin,Apples,40\n"
    ),
    "header-only.csv": b"store,item,count\r\n",
    "empty.csv": b"",
}


def expected_report(body: bytes) -> dict[str, Any]:
    """The report of the whole file read at once (the loader's rules, no ranges)."""
    expected = LoadReport("b", "k")
    try:
        plan = survey(io.BytesIO(body), expected)
        expected.rows_loaded = plan.rows_to_write
    except InvalidInventoryFile as error:
        expected.fail(str(error))
    return expected.to_dict()


@pytest.fixture(scope="module")
def two_row_ranges(stack: DeployedStack) -> DeployedStack:
    redeploy(stack, "load_range_rows=2")
    return stack


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_every_kind_of_bad_csv_reports_the_same_across_ranges_of_two_rows(
    two_row_ranges: DeployedStack, tmp_path: Path, name: str
) -> None:
    # GIVEN ranges of two rows, so that bad rows and duplicates fall in different workers
    stack = two_row_ranges
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    # WHEN the file is loaded
    code, out = stack.cli("load", str(path), "--timeout", "180")
    # THEN its report is the one the whole file gets read at once
    cloud = report(stack, name)
    expected = expected_report(BAD_FILES[name])
    for field in ("status", "rows_loaded", "rows_rejected", "rows_duplicate"):
        assert cloud[field] == expected[field], field
    for field in ("rejected", "duplicates", "error"):
        assert cloud[field] == expected[field], field
    assert code == (1 if expected["status"] == "failed" else 0), out


def test_a_range_failing_every_attempt_is_reported_and_redriven_to_completion(
    stack: DeployedStack, tmp_path: Path
) -> None:
    # GIVEN workers broken by a bad setting (as if someone edited the function by hand)
    lambda_client = stack.target.client("lambda")
    worker = stack.outputs["function_names"]["load_inventory_range"]
    environment = lambda_client.get_function_configuration(FunctionName=worker)["Environment"]
    broken = {**environment["Variables"], "TABLE_NAME": "no-such-table"}
    lambda_client.update_function_configuration(
        FunctionName=worker, Environment={"Variables": broken}
    )
    path = tmp_path / "redrive-me.csv"
    path.write_bytes(
        b"store,item,count\n" + b"".join(b"Redrive,i%d,%d\n" % (n, n) for n in range(7))
    )
    # WHEN a file is loaded
    code, out = stack.cli("load", str(path), "--timeout", "600")
    # THEN every range failed on each attempt, and the report says which lines and why
    assert code == 1, out
    failed = report(stack, path.name)
    assert failed["status"] == "failed"
    assert len(failed["ranges"]["failed"]) == failed["ranges"]["total"] == 4
    first = failed["ranges"]["failed"][0]
    assert first["lines"] == [2, 3] and first["rows_written"] == 0
    # (the role may write only its own table, so AWS answers AccessDenied, as the local cloud does)
    assert "AccessDenied" in first["error"] and "table/no-such-table" in first["error"]
    assert "dlq redrive" in out
    # WHEN the operator redeploys (which restores the setting) and redrives the dead letters
    redeploy(stack, "load_range_rows=2")
    code, out = stack.cli("dlq", "redrive", "inventory")
    assert code == 0, out
    # THEN the load completes and its report says so
    done = wait_for(lambda: (r := report(stack, path.name))["status"] == "loaded" and r, 120)
    assert done["rows_loaded"] == 7 and done["ranges"]["failed"] == []
    assert [row for row in scan_table(stack) if row[0] == "Redrive"] == sorted(
        ("Redrive", f"i{n}", n) for n in range(7)
    )


def test_destroy_completes_with_keys_holding_plus_spaces_and_non_ascii(
    stack: DeployedStack,
) -> None:
    # GIVEN objects whose keys S3 must URL-encode in listings
    s3 = stack.target.client("s3")
    bucket = stack.outputs["upload_bucket_name"]
    for key in ("other/a+b.csv", "other/with space.csv", "other/ünïcödé.csv", "other/+ +.csv"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    # WHEN the stack is destroyed
    code, out = stack.cli("destroy", "inventory")
    # THEN it completes and the bucket is gone
    assert code == 0, out
    names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    assert bucket not in names
    assert stack.target.client("sqs").list_queues().get("QueueUrls", []) == []
