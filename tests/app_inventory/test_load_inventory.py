"""The loader end to end on moto: planner, range workers, failures; the table and the report.

Every test runs twice (the ``loader`` fixture): with the whole file in one range, and cut into
ranges of two rows, so that bad rows and duplicates also fall in different workers' ranges.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from app_inventory import aws_clients, load_clients, load_inventory, range_writer
from app_inventory.load_report import MAX_LISTED
from tests.app_inventory.csv_samples import ONE_OF_EACH_BAD_ROW
from tests.app_inventory.loader_harness import Loader, loader, loader_1000
from tests.conftest import REPO_ROOT

from .conftest import BUCKET

__all__ = ["loader", "loader_1000"]

SAMPLE = (REPO_ROOT / "app_inventory" / "samples" / "inventory-sample.csv").read_bytes()
SAMPLE_KEY = "uploads/inventory-sample.csv"
SAMPLE_REPORT_KEY = "reports/inventory-sample.csv.report.json"


def final_fields(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs from run to run (ids, times, range counts)."""
    volatile = {"load_id", "started_at", "finished_at", "ranges"}
    return {name: value for name, value in report.items() if name not in volatile}


def test_sample_loads_every_row_and_reports_it(loader: Loader) -> None:
    # GIVEN the sample CSV uploaded under uploads/
    # WHEN the planner handles the S3 event and the workers write the ranges
    result = loader.load(SAMPLE_KEY, SAMPLE)
    # THEN the table holds exactly the sample's rows: {store, item, count}, plus the low-stock
    # mark on the items below the threshold (5), which puts them in the sparse index
    items = loader.stack.items()
    assert len(items) == 17
    assert {store for store, _ in items} == {"Berlin", "Madrid"}
    assert loader.stack.counts()[("Berlin", "Eggs")] == 0
    assert loader.stack.counts()[("Madrid", "Olive Oil")] == 33
    for item in items.values():
        expected = {"store", "item", "count"} | ({"low_stock"} if item["count"] < 5 else set())
        assert set(item) == expected
        assert item.get("low_stock", "LOW") == "LOW"
    # AND the report sits under reports/ and says everything loaded
    report = loader.stack.report(SAMPLE_REPORT_KEY)
    assert final_fields(report) == {
        "source": f"s3://{BUCKET}/{SAMPLE_KEY}",
        "status": "loaded",
        "rows_loaded": 17,
        "rows_rejected": 0,
        "rows_duplicate": 0,
        "rejected": [],
        "duplicates": [],
        "error": None,
    }
    ranges = 1 if load_clients.rows_per_range() >= 17 else 9
    assert report["ranges"] == {"total": ranges, "done": ranges, "failed": []}
    assert report["finished_at"] >= report["started_at"]
    assert result["loads"][0]["report"] == SAMPLE_REPORT_KEY
    assert result["loads"][0]["status"] == "running"


def test_report_is_also_logged(loader: Loader, caplog: pytest.LogCaptureFixture) -> None:
    loader.load(SAMPLE_KEY, SAMPLE)
    logged = [record for record in caplog.records if record.getMessage() == "load report"]
    assert len(logged) == 1
    assert logged[0].report["rows_loaded"] == 17  # type: ignore[attr-defined]


def test_a_messy_but_valid_file_loads(loader: Loader) -> None:
    # GIVEN BOM, CRLF, header in other case and order with an extra column, quotes and spaces
    body = (
        b"\xef\xbb\xbf Item ,STORE,Count,notes\r\n"
        b'"Flour, rye", Berlin ,7,"restock ""soon"""\r\n'
        b'  Milk  ,"Madrid", 3 ,\r\n'
    )
    # WHEN loaded
    loader.load("uploads/messy.csv", body)
    # THEN both rows are in, trimmed and unquoted
    assert loader.stack.counts() == {("Berlin", "Flour, rye"): 7, ("Madrid", "Milk"): 3}
    assert loader.stack.report("reports/messy.csv.report.json")["status"] == "loaded"


def test_bad_rows_are_rejected_with_line_and_reason_and_good_rows_load(loader: Loader) -> None:
    # GIVEN one good row and one of each kind of bad row
    # WHEN loaded
    loader.load("uploads/bad-rows.csv", ONE_OF_EACH_BAD_ROW)
    # THEN the good row is in and every bad one is reported at its line
    assert loader.stack.counts() == {("Berlin", "Apples"): 42}
    report = loader.stack.report("reports/bad-rows.csv.report.json")
    assert report["status"] == "partial"
    assert (report["rows_loaded"], report["rows_rejected"]) == (1, 5)
    assert report["rejected"] == [
        {"line": 3, "reason": "expected 3 fields as in the header, found 2"},
        {"line": 4, "reason": "count is not a whole number: 'many'"},
        {"line": 5, "reason": "negative count '-1'"},
        {"line": 6, "reason": "empty store"},
        {"line": 7, "reason": "empty item"},
    ]


def test_a_file_where_every_row_is_bad_fails(loader: Loader) -> None:
    loader.load("uploads/all-bad.csv", b"store,item,count\nBerlin,Milk,x\n")
    report = loader.stack.report("reports/all-bad.csv.report.json")
    assert (report["status"], report["rows_loaded"], report["rows_rejected"]) == ("failed", 0, 1)
    assert loader.stack.items() == {}


def test_non_utf8_file_loads_nothing_even_after_many_good_lines(loader: Loader) -> None:
    # GIVEN a Latin-1 file whose only non-ASCII byte is on its last line, after 200 good rows
    rows = b"".join(b"Berlin,item-%d,%d\n" % (n, n) for n in range(200))
    body = b"store,item,count\n" + rows + b"Berlin,K\xe4se,3\n"
    # WHEN loaded
    loader.load("uploads/latin1.csv", body)
    # THEN nothing was written, and the report fails the file with a clear reason and line
    assert loader.stack.items() == {}
    report = loader.stack.report("reports/latin1.csv.report.json")
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
    loader: Loader, body: bytes, error: str
) -> None:
    loader.load("uploads/no-header.csv", body)
    report = loader.stack.report("reports/no-header.csv.report.json")
    assert report["status"] == "failed"
    assert error in report["error"]
    assert loader.stack.items() == {}


def test_header_only_file_loads_nothing_without_error(loader: Loader) -> None:
    loader.load("uploads/header-only.csv", b"store,item,count\r\n")
    report = loader.stack.report("reports/header-only.csv.report.json")
    assert (report["status"], report["rows_loaded"], report["error"]) == ("loaded", 0, None)


def test_duplicates_last_wins_is_the_only_write_and_is_reported(loader: Loader) -> None:
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
    start = len(loader.stack.stream_records())
    # WHEN loaded
    loader.load("uploads/dups.csv", body)
    # THEN the last valid row of each key is in the table
    assert loader.stack.counts() == {
        ("Berlin", "Milk"): 2,
        ("Berlin", "Eggs"): 8,
        ("Madrid", "Milk"): 1,
    }
    # AND only that row was written: one stream record per key, none for superseded rows
    records = loader.stack.stream_records(start)
    assert len(records) == 3
    # AND the report lists each duplicate with the line it replaces
    report = loader.stack.report("reports/dups.csv.report.json")
    assert report["status"] == "partial"
    assert (report["rows_loaded"], report["rows_rejected"], report["rows_duplicate"]) == (3, 1, 2)
    assert report["duplicates"] == [
        {"line": 5, "replaces_line": 2, "store": "Berlin", "item": "Milk"},
        {"line": 7, "replaces_line": 5, "store": "Berlin", "item": "Milk"},
    ]


def test_loading_the_same_file_twice_leaves_the_same_table_and_changes_nothing(
    loader: Loader,
) -> None:
    # GIVEN the sample loaded once
    loader.load(SAMPLE_KEY, SAMPLE)
    first_items = loader.stack.items()
    first_report = loader.stack.report(SAMPLE_REPORT_KEY)
    start = len(loader.stack.stream_records())
    # WHEN the same file is uploaded again (a new PUT: a new load)
    loader.load(SAMPLE_KEY, SAMPLE)
    # THEN the table and the report are identical
    assert loader.stack.items() == first_items
    assert final_fields(loader.stack.report(SAMPLE_REPORT_KEY)) == final_fields(first_report)
    # AND no stream record of the reload changes any item (new image == old image)
    records = loader.stack.stream_records(start)
    assert records, "moto records a MODIFY even for an identical put"
    assert all(r["eventName"] == "MODIFY" for r in records)
    assert all(r["dynamodb"]["NewImage"] == r["dynamodb"]["OldImage"] for r in records)


def test_a_repeated_s3_event_is_planned_once(loader: Loader) -> None:
    # GIVEN the sample loaded from one S3 event
    event = loader.upload_event(SAMPLE_KEY, SAMPLE)
    loader.run(event)
    first_report = loader.stack.report(SAMPLE_REPORT_KEY)
    start = len(loader.stack.stream_records())
    # WHEN S3 delivers the very same event again (at-least-once delivery)
    result = loader.run(event)
    # THEN nothing is planned or written again, and the report is untouched
    assert result == {"loads": []}
    assert loader.stack.stream_records(start) == []
    assert loader.stack.report(SAMPLE_REPORT_KEY) == first_report


def test_keys_arrive_url_encoded_and_the_report_mirrors_the_path(loader: Loader) -> None:
    # GIVEN a key with a space, a plus sign and a sub-folder (S3 sends "march+2025/a%2Bb.csv")
    key = "uploads/march 2025/a+b.csv"
    # WHEN loaded
    loader.load(key, b"store,item,count\nBerlin,Milk,3\n")
    # THEN the object was found under its real name and the report is next to its path
    report = loader.stack.report("reports/march 2025/a+b.csv.report.json")
    assert report["source"] == f"s3://{BUCKET}/{key}"
    assert report["rows_loaded"] == 1


def test_a_report_object_is_never_loaded(loader: Loader) -> None:
    # GIVEN an event for an object under reports/ (a notification without its prefix filter)
    result = loader.load("reports/x.csv.report.json", b"store,item,count\nA,B,1\n")
    # THEN it is skipped: no load, no report of the report
    assert result == {"loads": []}
    assert loader.stack.items() == {}


def test_rejected_list_is_capped_but_counted(loader_1000: Loader) -> None:
    # GIVEN 1,500 bad rows and one good one
    body = b"store,item,count\n" + b"Berlin,Milk,x\n" * 1500 + b"Berlin,Milk,1\n"
    # WHEN loaded
    loader_1000.load("uploads/garbage.csv", body)
    # THEN the report keeps the first MAX_LISTED reasons and the full count
    report = loader_1000.stack.report("reports/garbage.csv.report.json")
    assert report["rows_rejected"] == 1500
    assert len(report["rejected"]) == MAX_LISTED
    assert report["rejected"][-1]["line"] == MAX_LISTED + 1
    assert report["rows_loaded"] == 1


def test_an_object_replaced_after_the_survey_loads_nothing_of_the_old_version(
    loader: Loader,
) -> None:
    # GIVEN an upload that is planned, then overwritten before the workers run
    event = loader.upload_event(SAMPLE_KEY, SAMPLE)
    load_inventory.handler(event, loader.context)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=SAMPLE_KEY, Body=b"store,item,count\n")
    # WHEN the workers run (and fail on every attempt: the ETag no longer matches)
    loader.drain()
    # THEN nothing from the old version was written, and the report says why, range by range
    assert loader.stack.items() == {}
    report = loader.stack.report(SAMPLE_REPORT_KEY)
    assert report["status"] == "failed"
    assert report["rows_loaded"] == 0
    failed = report["ranges"]["failed"]
    assert len(failed) == report["ranges"]["total"]
    assert all("replaced while it was being loaded" in f["error"] for f in failed)
    assert all("inventory-dev-load-range did not finish lines" in f["error"] for f in failed)


def test_a_failing_range_is_reported_with_its_lines_and_can_be_redriven(
    loader: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a table that does not exist (a misconfigured TABLE_NAME) while the workers run
    event = loader.upload_event(SAMPLE_KEY, SAMPLE)
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    aws_clients.reset()
    load_clients.reset()
    # WHEN the sample is loaded
    loader.run(event)
    # THEN every range failed on each of its attempts; the report names lines, rows and reason
    report = loader.stack.report(SAMPLE_REPORT_KEY)
    assert report["status"] == "failed"
    failed = report["ranges"]["failed"]
    assert len(failed) == report["ranges"]["total"]
    assert failed[0]["lines"][0] == 2
    assert failed[0]["rows_written"] == 0
    assert "after 3 attempts" in failed[0]["error"]
    assert "ResourceNotFoundException" in failed[0]["error"]
    # AND each failed range waits in the dead-letter queue, with what it takes to redrive it
    letters = loader.dead_letters()
    assert [letter["kind"] for letter in letters] == ["load-range"] * len(failed)
    # WHEN the table is fixed and the ranges are sent back to the ranges queue
    monkeypatch.setenv("TABLE_NAME", loader.stack.table.name)
    aws_clients.reset()
    load_clients.reset()
    sqs = boto3.client("sqs")
    for letter in letters:
        sqs.send_message(QueueUrl=loader.ranges_queue_url, MessageBody=json.dumps(letter["task"]))
    loader.drain()
    # THEN the load completes and the report says so
    report = loader.stack.report(SAMPLE_REPORT_KEY)
    assert (report["status"], report["rows_loaded"]) == ("loaded", 17)
    assert report["ranges"]["failed"] == []
    assert len(loader.stack.items()) == 17


class ShortLivedContext:
    """A Lambda context whose invocation has almost no time left after a few hundred rows."""

    def __init__(self, seconds: list[float]) -> None:
        self._seconds = seconds
        self.aws_request_id = "short-lived"
        self.function_name = "inventory-dev-load-range"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
        self.memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self) -> int:
        # Plenty on the first look of each invocation, then nearly none.
        return int(self._seconds.pop(0) * 1000) if self._seconds else 1000


def test_a_worker_short_of_time_hands_the_rest_on_and_the_load_completes(
    loader_1000: Loader,
) -> None:
    # GIVEN 3,000 rows, and workers that run out of time after each stretch of rows
    body = b"store,item,count\n" + b"".join(
        b"S%d,item-%d,%d\n" % (n % 7, n, n % 50) for n in range(3000)
    )
    event = loader_1000.upload_event("uploads/big.csv", body)
    # WHEN loaded
    load_inventory.handler(event, loader_1000.context)
    invocations = loader_1000.drain(worker_context=ShortLivedContext([]))
    # THEN each invocation wrote one stretch of rows and handed the rest on
    assert invocations == 3000 // range_writer.CHECK_EVERY_ROWS
    # AND every row is in and the report is complete
    report = loader_1000.stack.report("reports/big.csv.report.json")
    assert (report["status"], report["rows_loaded"]) == ("loaded", 3000)
    assert len(loader_1000.stack.items()) == 3000


def test_a_planner_that_failed_every_attempt_still_gets_a_failed_report(loader: Loader) -> None:
    # GIVEN Lambda's on-failure record for an upload whose planner timed out three times
    event = loader.upload_event("uploads/huge.csv", b"store,item,count\nA,b,1\n")
    failure = {
        "version": "1.0",
        "timestamp": "2026-12-02T12:00:00.000Z",
        "requestContext": {
            "requestId": "e1",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:inv-load:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {
            "errorType": "Sandbox.Timedout",
            "errorMessage": "Task timed out after 900.00 seconds",
        },
    }
    boto3.client("sqs").send_message(
        QueueUrl=loader.failures_queue_url, MessageBody=json.dumps(failure)
    )
    # WHEN the failures queue is handled
    loader.drain()
    # THEN the upload's report says it failed, which function, how often and why
    report = loader.stack.report("reports/huge.csv.report.json")
    assert report["status"] == "failed"
    assert "inv-load" in report["error"] and "3 attempts" in report["error"]
    assert "Task timed out after 900.00 seconds" in report["error"]
    # AND the failure waits in the dead-letter queue, redrivable with its S3 event
    [letter] = loader.dead_letters()
    assert letter["kind"] == "load-event"
    assert letter["failure"]["requestPayload"] == event
