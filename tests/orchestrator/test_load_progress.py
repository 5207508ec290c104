"""`orchestrate.py load`: progress while the load runs, the final report, and the wait's limits.

A thread plays the stack's loader against a moto S3 bucket: once the upload is there it writes
the reports a fan-out load writes (running, growing, then final), as the workers do.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from orchestrator.stacks.inventory import ops as inventory_ops
from orchestrator.targets import Target
from tests.orchestrator.moto_inventory import (
    REGION,
    Clients,
    use_as_aws,
    write_outputs,
)

CSV_NAME = "stock.csv"
REPORT_KEY = f"reports/{CSV_NAME}.report.json"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def report(status: str, rows: int, done: int, total: int = 2, **extra: Any) -> dict[str, Any]:
    finished = now() if status != "running" else None
    return {
        "source": f"s3://bucket/uploads/{CSV_NAME}",
        "status": status,
        "rows_loaded": rows,
        "rows_rejected": 2,
        "rows_duplicate": 3,
        "rejected": [{"line": 7, "reason": "count 'x' is not a whole number"}],
        "duplicates": [
            {"line": 9, "replaces_line": 4, "store": "Berlin", "item": "apple"},
        ],
        "error": None,
        "load_id": "load-1",
        "ranges": {"total": total, "done": done, "failed": extra.pop("failed", [])},
        "started_at": extra.pop("started_at", now()),
        "finished_at": finished,
        **extra,
    }


FAILED_RANGE = {
    "range": 1,
    "lines": [502, 1001],
    "rows_written": 120,
    "error": "load_inventory_range did not finish lines 502-1,001 after 3 attempts",
}


class FakeLoader:
    """Writes ``steps`` (seconds after the upload, report) to the report key, in a thread."""

    def __init__(self, aws: Clients, bucket: str, steps: list[tuple[float, dict[str, Any]]]):
        self._s3 = aws("s3")
        self._bucket = bucket
        self._steps = steps
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop = threading.Event()
        self.error: BaseException | None = None

    def __enter__(self) -> FakeLoader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self._uploaded():
                time.sleep(0.05)
            start = time.monotonic()
            for delay, body in self._steps:
                if self._stop.wait(max(start + delay - time.monotonic(), 0)):
                    return
                body = {**body, "source": f"s3://{self._bucket}/uploads/{CSV_NAME}"}
                self._s3.put_object(Bucket=self._bucket, Key=REPORT_KEY, Body=json.dumps(body))
        except BaseException as error:  # surfaced in the test by __exit__
            self.error = error

    def _uploaded(self) -> bool:
        listing = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=f"uploads/{CSV_NAME}")
        return bool(listing.get("KeyCount"))


@pytest.fixture
def bucket(aws: Clients) -> str:
    name = f"uploads-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """A header and 1,000 rows."""
    path = tmp_path / CSV_NAME
    rows = [f"Berlin,item-{n},{n % 9}" for n in range(1000)]
    path.write_text("store,item,count\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def deployed(
    bucket: str, endpoint: str, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    use_as_aws(monkeypatch, endpoint)
    write_outputs(
        isolated_environment,
        {"upload_bucket_name": bucket, "upload_prefix": "uploads/", "reports_prefix": "reports/"},
    )
    return bucket


# ------------------------------------------------------------------------ formatting
def test_progress_line_says_rows_of_the_estimate_and_ranges() -> None:
    running = report("running", 120_000, 3, total=4)

    line = inventory_ops.format_progress(running, 12.4, data_rows=200_005)

    assert line == "loading: 120,000 of ~200,000 rows, 3 of 4 ranges done, 12 s"


def test_progress_line_before_the_survey_and_without_an_estimate() -> None:
    assert inventory_ops.format_progress(None, 3) == "loading: waiting for the loader to start, 3 s"
    checking = report("running", 0, 0, total=0)
    assert inventory_ops.format_progress(checking, 75) == "loading: checking the file, 1 min 15 s"
    failing = report("running", 500, 1, failed=[FAILED_RANGE])
    assert (
        inventory_ops.format_progress(failing, 3725)
        == "loading: 500 rows, 1 of 2 ranges done, 1 failed, 1 h 02 min"
    )


def test_progress_is_said_when_it_changed_at_most_every_two_seconds() -> None:
    said: list[str] = []
    progress = inventory_ops.ProgressLine(said.append, data_rows=None)
    first, second = report("running", 10, 0), report("running", 20, 1)

    for elapsed, seen in [(0, first), (1, second), (2.1, second), (3, second), (5, second)]:
        progress.update(seen, elapsed)

    assert said == [
        "loading: 10 rows, 0 of 2 ranges done, 0 s",
        "loading: 20 rows, 1 of 2 ranges done, 2 s",
    ]
    progress.update(second, 40)  # nothing changed for a long while: a heartbeat
    assert said[-1] == "loading: 20 rows, 1 of 2 ranges done, 40 s"


def test_final_report_lists_failed_ranges_with_a_redrive_hint() -> None:
    partial = report("partial", 880, 1, failed=[FAILED_RANGE])
    partial["started_at"] = "2026-01-01T10:00:00+00:00"
    partial["finished_at"] = "2026-01-01T10:01:05+00:00"

    text = inventory_ops.format_report(partial, command_args="--target local")

    assert text.splitlines() == [
        f"Load of s3://bucket/uploads/{CSV_NAME}: partial",
        "  rows loaded:    880",
        "  rows rejected:  2",
        "  rows duplicate: 3",
        "  ranges:         1 of 2 done, 1 failed",
        "  took:           1 min 05 s",
        "    range 1, lines 502-1,001: 120 rows written; "
        "load_inventory_range did not finish lines 502-1,001 after 3 attempts",
        "  Redrive the failed ranges with: "
        "python orchestrate.py dlq redrive inventory --target local",
        "    line 7: count 'x' is not a whole number",
        "    ... and 1 more rejected rows (the report lists up to 1,000)",
        "    line 9 replaces line 4 (Berlin / apple)",
        "    ... and 2 more duplicate rows (the report lists up to 1,000)",
    ]


def test_a_report_older_than_the_upload_is_not_this_load() -> None:
    uploaded = datetime(2026, 1, 1, 10, 0, 0, 700_000, tzinfo=UTC)
    older = {"started_at": (uploaded - timedelta(minutes=5)).isoformat()}
    same_second = {"started_at": "2026-01-01T10:00:00+00:00"}
    failed_planner = {"started_at": None, "finished_at": "2026-01-01T10:00:03+00:00"}

    assert not inventory_ops.is_after(older, uploaded)
    assert inventory_ops.is_after(same_second, uploaded)
    assert inventory_ops.is_after(failed_planner, uploaded)


def test_data_rows_are_counted_without_the_header(tmp_path: Path, csv_file: Path) -> None:
    assert inventory_ops.count_data_rows(csv_file) == 1000
    no_final_newline = tmp_path / "b.csv"
    no_final_newline.write_bytes(b"store,item,count\r\nBerlin,a,1\r\nBerlin,b,2")
    assert inventory_ops.count_data_rows(no_final_newline) == 2


# ------------------------------------------------------------------------- waiting
def test_load_waits_through_running_reports_and_ignores_an_earlier_one(
    aws: Clients, bucket: str, csv_file: Path, endpoint: str
) -> None:
    # GIVEN a loader that first leaves the final report of an earlier upload of the same name
    earlier = report("loaded", 7, 2, started_at="2020-01-01T00:00:00+00:00")
    steps = [
        (0.0, earlier),
        (0.2, report("running", 0, 0, total=0)),
        (1.0, report("running", 500, 1)),
        (4.5, report("loaded", 995, 2)),
    ]
    target = Target(
        name="local",
        region=REGION,
        env={"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        endpoint_url=endpoint,
    )
    outputs = {"upload_bucket_name": bucket, "upload_prefix": "uploads/"}
    said: list[str] = []

    # WHEN the CSV is loaded
    with FakeLoader(aws, bucket, steps):
        final = inventory_ops.load_csv(target, outputs, csv_file, on_progress=said.append)

    # THEN the final report of this load comes back, after the progress it made
    assert final["status"] == "loaded" and final["rows_loaded"] == 995
    assert any(line.startswith("loading: 500 of ~995 rows, 1 of 2 ranges done, ") for line in said)
    assert not any(line.startswith("loading: 7 ") or "2 of 2" in line for line in said)
    assert said == sorted(set(said), key=said.index)  # no line said twice in a row


def test_the_wait_gives_up_saying_the_load_goes_on(
    bucket: str, csv_file: Path, aws: Clients
) -> None:
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="uploads/x.csv", Body=b"store,item,count\n")
    uploaded = s3.head_object(Bucket=bucket, Key="uploads/x.csv")["LastModified"]

    with pytest.raises(inventory_ops.LoadWaitTimeout) as raised:
        inventory_ops.wait_for_report(
            s3,
            bucket,
            "reports/x.csv.report.json",
            uploaded_at=uploaded,
            timeout=1.0,
            command_args="--env prod",
        )

    message = str(raised.value)
    assert "stopped waiting after 1 s (last seen: no report of this upload yet)" in message
    assert "The load goes on in the cloud" in message
    assert f"s3://{bucket}/reports/x.csv.report.json" in message
    assert "'python orchestrate.py logs load_inventory_range --follow --env prod'" in message
    assert "'python orchestrate.py dlq inventory --env prod'" in message


# ------------------------------------------------------------------------------ CLI
def test_cli_load_prints_progress_then_the_report(
    aws: Clients, deployed: str, csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = [(0.3, report("running", 500, 1)), (2.5, report("loaded", 995, 2))]

    with FakeLoader(aws, deployed, steps):
        code = main(["load", str(csv_file), "--target", "aws"])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert f"Uploading {csv_file} to s3://{deployed}..." in out
    assert "loading: 500 of ~995 rows, 1 of 2 ranges done, " in out
    assert f"Load of s3://{deployed}/uploads/{CSV_NAME}: loaded" in out
    assert "  rows loaded:    995" in out


def test_cli_load_partial_exits_0_with_the_failed_ranges(
    aws: Clients, deployed: str, csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = [(0.2, report("partial", 880, 1, failed=[FAILED_RANGE]))]

    with FakeLoader(aws, deployed, steps):
        code = main(["load", str(csv_file), "--target", "aws", "--env", "dev"])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "    range 1, lines 502-1,001: 120 rows written; " in out
    assert "python orchestrate.py dlq redrive inventory --target aws" in out


def test_cli_load_failed_exits_1(
    aws: Clients, deployed: str, csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = {**report("failed", 0, 0, total=0), "error": "the file has no header"}

    with FakeLoader(aws, deployed, [(0.2, failed)]):
        code = main(["load", str(csv_file), "--target", "aws"])

    assert code == EXIT_FAILED
    assert "  error: the file has no header" in capsys.readouterr().out


def test_cli_load_timeout_exits_1_and_says_where_to_look(
    deployed: str, csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(csv_file), "--target", "aws", "--timeout", "1"]) == EXIT_FAILED

    err = capsys.readouterr().err
    assert "The load goes on in the cloud" in err
    assert f"s3://{deployed}/{REPORT_KEY}" in err
    assert "logs load_inventory_range --follow --target aws" in err


def test_cli_load_of_a_missing_file_says_so(
    deployed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(tmp_path / "nope.csv"), "--target", "aws"]) == EXIT_FAILED
    assert "nope.csv is not a file" in capsys.readouterr().err


def test_cli_load_without_a_deployed_stack_says_to_deploy(
    endpoint: str,
    csv_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_as_aws(monkeypatch, endpoint)

    assert main(["load", str(csv_file), "--target", "aws"]) == EXIT_FAILED
    assert (
        "deploy it first with 'python orchestrate.py deploy inventory'" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["load"], "the following arguments are required: csv"),
        (["load", "x.csv", "--timeout", "soon"], "'soon' is not a number of seconds"),
        (["load", "x.csv", "--timeout", "-5"], "give a number of seconds above 0"),
    ],
)
def test_cli_load_bad_usage_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err
