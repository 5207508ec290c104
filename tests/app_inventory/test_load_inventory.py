"""The S3-triggered loader, on moto: what lands in the table and what the report says."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from app_inventory import aws_clients, inventory_loader
from app_inventory.load_inventory import handler
from app_inventory.load_report import MAX_LISTED, LoadReport
from tests.conftest import REPO_ROOT

from .conftest import BUCKET, FakeLambdaContext, InventoryStack

SAMPLE = (REPO_ROOT / "app_inventory" / "samples" / "inventory-sample.csv").read_bytes()
SAMPLE_KEY = "uploads/inventory-sample.csv"
SAMPLE_REPORT_KEY = "reports/inventory-sample.csv.report.json"


def load(stack: InventoryStack, key: str, body: bytes, context: FakeLambdaContext) -> Any:
    return handler(stack.upload(key, body), context)


def test_sample_loads_every_row_and_reports_it(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the sample CSV uploaded under uploads/
    # WHEN the loader handles the S3 event
    result = load(stack, SAMPLE_KEY, SAMPLE, lambda_context)
    # THEN the table holds exactly the sample's rows, each item exactly {store, item, count}
    items = stack.items()
    assert len(items) == 17
    assert {store for store, _ in items} == {"Berlin", "Madrid"}
    assert stack.counts()[("Berlin", "Eggs")] == 0
    assert stack.counts()[("Madrid", "Olive Oil")] == 33
    assert all(set(item) == {"store", "item", "count"} for item in items.values())
    # AND the report sits under reports/ and says everything loaded
    report = stack.report(SAMPLE_REPORT_KEY)
    assert report == {
        "source": f"s3://{BUCKET}/{SAMPLE_KEY}",
        "status": "loaded",
        "rows_loaded": 17,
        "rows_rejected": 0,
        "rows_duplicate": 0,
        "rejected": [],
        "duplicates": [],
        "error": None,
    }
    assert result == {
        "loads": [
            {
                "source": f"s3://{BUCKET}/{SAMPLE_KEY}",
                "status": "loaded",
                "report": SAMPLE_REPORT_KEY,
            }
        ]
    }


def test_report_is_also_logged(
    stack: InventoryStack, lambda_context: FakeLambdaContext, caplog: pytest.LogCaptureFixture
) -> None:
    load(stack, SAMPLE_KEY, SAMPLE, lambda_context)
    logged = [record for record in caplog.records if record.getMessage() == "load report"]
    assert len(logged) == 1
    assert logged[0].report["rows_loaded"] == 17  # type: ignore[attr-defined]


def test_a_messy_but_valid_file_loads(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN BOM, CRLF, header in other case and order with an extra column, quotes and spaces
    body = (
        b"\xef\xbb\xbf Item ,STORE,Count,notes\r\n"
        b'"Flour, rye", Berlin ,7,"restock ""soon"""\r\n'
        b'  Milk  ,"Madrid", 3 ,\r\n'
    )
    # WHEN loaded
    load(stack, "uploads/messy.csv", body, lambda_context)
    # THEN both rows are in, trimmed and unquoted
    assert stack.counts() == {("Berlin", "Flour, rye"): 7, ("Madrid", "Milk"): 3}
    assert stack.report("reports/messy.csv.report.json")["status"] == "loaded"


def test_bad_rows_are_rejected_with_line_and_reason_and_good_rows_load(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN one good row and one of each kind of bad row
    body = (
        b"store,item,count\n"
        b"Berlin,Apples,42\n"
        b"Berlin,Pears\n"
        b"Berlin,Plums,many\n"
        b"Berlin,Figs,-1\n"
        b",Kiwis,3\n"
        b"Madrid,,3\n"
    )
    # WHEN loaded
    load(stack, "uploads/bad-rows.csv", body, lambda_context)
    # THEN the good row is in and every bad one is reported at its line
    assert stack.counts() == {("Berlin", "Apples"): 42}
    report = stack.report("reports/bad-rows.csv.report.json")
    assert report["status"] == "partial"
    assert (report["rows_loaded"], report["rows_rejected"]) == (1, 5)
    assert report["rejected"] == [
        {"line": 3, "reason": "expected 3 fields as in the header, found 2"},
        {"line": 4, "reason": "count is not a whole number: 'many'"},
        {"line": 5, "reason": "negative count '-1'"},
        {"line": 6, "reason": "empty store"},
        {"line": 7, "reason": "empty item"},
    ]


def test_a_file_where_every_row_is_bad_fails(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    load(stack, "uploads/all-bad.csv", b"store,item,count\nBerlin,Milk,x\n", lambda_context)
    report = stack.report("reports/all-bad.csv.report.json")
    assert (report["status"], report["rows_loaded"], report["rows_rejected"]) == ("failed", 0, 1)
    assert stack.items() == {}


def test_non_utf8_file_loads_nothing_even_after_many_good_lines(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a Latin-1 file whose only non-ASCII byte is on its last line, after 200 good rows
    rows = b"".join(b"Berlin,item-%d,%d\n" % (n, n) for n in range(200))
    body = b"store,item,count\n" + rows + b"Berlin,K\xe4se,3\n"
    # WHEN loaded
    load(stack, "uploads/latin1.csv", body, lambda_context)
    # THEN nothing was written, and the report fails the file with a clear reason and line
    assert stack.items() == {}
    report = stack.report("reports/latin1.csv.report.json")
    assert report["status"] == "failed"
    assert report["rows_loaded"] == 0
    assert "not valid UTF-8 (line 202:" in report["error"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "the file is empty"),
        (b"Berlin,Apples,42\nMadrid,Jamon,5\n", "no valid header"),
        (b"shop,product,qty\nBerlin,Apples,42\n", "missing: store, item, count"),
    ],
)
def test_a_file_without_a_valid_header_fails_with_a_clear_error(
    stack: InventoryStack, lambda_context: FakeLambdaContext, body: bytes, error: str
) -> None:
    load(stack, "uploads/no-header.csv", body, lambda_context)
    report = stack.report("reports/no-header.csv.report.json")
    assert report["status"] == "failed"
    assert error in report["error"]
    assert stack.items() == {}


def test_header_only_file_loads_nothing_without_error(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    load(stack, "uploads/header-only.csv", b"store,item,count\r\n", lambda_context)
    report = stack.report("reports/header-only.csv.report.json")
    assert (report["status"], report["rows_loaded"], report["error"]) == ("loaded", 0, None)


def test_duplicates_last_wins_is_the_only_write_and_is_reported(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN Milk three times and Eggs twice, with other rows between
    body = (
        b"store,item,count\n"
        b"Berlin,Milk,10\n"  # 2
        b"Berlin,Eggs,8\n"  # 3
        b"Madrid,Milk,1\n"  # 4: another store, not a duplicate
        b"Berlin,Milk,7\n"  # 5
        b"Berlin,Eggs,x\n"  # 6: rejected, so it replaces nothing
        b"Berlin,Milk,2\n"  # 7
    )
    start = len(stack.stream_records())
    # WHEN loaded
    load(stack, "uploads/dups.csv", body, lambda_context)
    # THEN the last valid row of each key is in the table
    assert stack.counts() == {("Berlin", "Milk"): 2, ("Berlin", "Eggs"): 8, ("Madrid", "Milk"): 1}
    # AND only that row was written: one stream record per key, none for superseded rows
    records = stack.stream_records(start)
    assert len(records) == 3
    # AND the report lists each duplicate with the line it replaces
    report = stack.report("reports/dups.csv.report.json")
    assert report["status"] == "partial"
    assert (report["rows_loaded"], report["rows_rejected"], report["rows_duplicate"]) == (3, 1, 2)
    assert report["duplicates"] == [
        {"line": 5, "replaces_line": 2, "store": "Berlin", "item": "Milk"},
        {"line": 7, "replaces_line": 5, "store": "Berlin", "item": "Milk"},
    ]


def test_loading_the_same_file_twice_leaves_the_same_table_and_changes_nothing(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the sample loaded once
    load(stack, SAMPLE_KEY, SAMPLE, lambda_context)
    first_items = stack.items()
    first_report = stack.report(SAMPLE_REPORT_KEY)
    start = len(stack.stream_records())
    # WHEN S3 delivers the same event again
    handler(stack.upload(SAMPLE_KEY, SAMPLE), lambda_context)
    # THEN the table and the report are identical
    assert stack.items() == first_items
    assert stack.report(SAMPLE_REPORT_KEY) == first_report
    # AND no stream record of the reload changes any item (new image == old image)
    records = stack.stream_records(start)
    assert records, "moto records a MODIFY even for an identical put"
    assert all(r["eventName"] == "MODIFY" for r in records)
    assert all(r["dynamodb"]["NewImage"] == r["dynamodb"]["OldImage"] for r in records)


def test_keys_arrive_url_encoded_and_the_report_mirrors_the_path(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a key with a space, a plus sign and a sub-folder (S3 sends "march+2025/a%2Bb.csv")
    key = "uploads/march 2025/a+b.csv"
    # WHEN loaded
    load(stack, key, b"store,item,count\nBerlin,Milk,3\n", lambda_context)
    # THEN the object was found under its real name and the report is next to its path
    report = stack.report("reports/march 2025/a+b.csv.report.json")
    assert report["source"] == f"s3://{BUCKET}/{key}"
    assert report["rows_loaded"] == 1


def test_a_report_object_is_never_loaded(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN an event for an object under reports/ (a notification without its prefix filter)
    result = load(stack, "reports/x.csv.report.json", b"store,item,count\nA,B,1\n", lambda_context)
    # THEN it is skipped: no load, no report of the report
    assert result == {"loads": []}
    assert stack.items() == {}


def test_rejected_list_is_capped_but_counted(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN 1,500 bad rows and one good one
    body = b"store,item,count\n" + b"Berlin,Milk,x\n" * 1500 + b"Berlin,Milk,1\n"
    # WHEN loaded
    load(stack, "uploads/garbage.csv", body, lambda_context)
    # THEN the report keeps the first MAX_LISTED reasons and the full count
    report = stack.report("reports/garbage.csv.report.json")
    assert report["rows_rejected"] == 1500
    assert len(report["rejected"]) == MAX_LISTED
    assert report["rejected"][-1]["line"] == MAX_LISTED + 1
    assert report["rows_loaded"] == 1


def test_an_object_replaced_between_the_two_passes_loads_nothing(
    stack: InventoryStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an upload that is overwritten right after the loader's first read
    stack.upload(SAMPLE_KEY, SAMPLE)
    survey = inventory_loader._survey

    def survey_then_overwrite(*args: Any) -> Any:
        result = survey(*args)
        boto3.client("s3").put_object(Bucket=BUCKET, Key=SAMPLE_KEY, Body=b"store,item,count\n")
        return result

    monkeypatch.setattr(inventory_loader, "_survey", survey_then_overwrite)
    report = LoadReport(bucket=BUCKET, key=SAMPLE_KEY)
    # WHEN loaded
    inventory_loader.load_inventory_object(
        aws_clients.s3_client(), aws_clients.inventory_table(), report
    )
    # THEN nothing from the old version was written and the report says why
    assert stack.items() == {}
    assert report.status == "failed"
    assert report.error is not None and "replaced while it was being loaded" in report.error


def test_a_write_failure_is_reported_and_raised_for_retry(
    stack: InventoryStack, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a table that does not exist (a misconfigured TABLE_NAME)
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    aws_clients.reset()
    # WHEN the sample is loaded
    # THEN the invocation fails (S3 retries it) and the report still says what happened
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        load(stack, SAMPLE_KEY, SAMPLE, lambda_context)
    report = stack.report(SAMPLE_REPORT_KEY)
    assert report["status"] == "failed"
    assert "the load stopped after" in report["error"]
