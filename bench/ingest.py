"""Ingest benchmark: the fan-out loader, end to end on the local cloud and piece by piece.

    python -m bench.ingest [--rows 100000,1000000] [--workers 2,5] [--quick] [--skip-cloud]

Three parts, printed side by side at the end:

1. Pieces, each in a child process whose peak RSS (``ru_maxrss``) is its memory figure:
   the planner's survey (``load_plan.survey``) reading the file from disk (no network), and one
   worker (``range_writer.write_range``) writing one range against a plain moto server, with a
   botocore hook counting the DynamoDB write requests it makes (goal: 40 per 1,000 rows).
2. Worker speed-up: N worker processes writing N ranges at once, against one moto server (the
   emulator is the bottleneck) and against no server at all (DynamoDB answered in-process by a
   ``before-send`` hook, so only the worker's own CPU counts: boto3 serialization included).
3. End to end on the local cloud with the real Terraform stack, deployed into a temporary
   ``ORCHESTRATE_HOME`` on a free port and always destroyed: upload to the final report (the
   last worker writes it after its last write), the invocations the local cloud recorded, and
   the same file with one worker (``load_range_rows`` above the file's rows: a single range,
   since ``load_worker_concurrency`` cannot go below 2) against N (``load_worker_concurrency``).

``--quick`` is 20,000 rows only. Every load writes new keys (item names carry a run tag), so
each is a first load of fresh data, not an overwrite of the previous run's.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.inventory_table import create_inventory_table
from devtools.moto_server import moto_server
from devtools.ports import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
PORTS = range(4700, 4720)
BUCKET = "bench-uploads"
TABLE = "bench-inventory"
REGION = "us-east-1"
ENVIRONMENT = "bench"
REQUESTS_GOAL = 40
WORKER_RANGE_ROWS = 20_000
THRESHOLD = 5
STORES = [f"store-{n:02d}" for n in range(50)]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
ROLES = ("load_inventory", "load_inventory_range", "load_range_failed", "notify_low_stock")


def say(line: str = "") -> None:
    print(line, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_csv(path: Path, rows: int, tag: str = "") -> None:
    """``rows`` distinct keys over 50 stores; counts 0-500 (about 1% below the threshold)."""
    generator = random.Random(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["store", "item", "count"])
        for n in range(rows):
            writer.writerow(
                [STORES[n % len(STORES)], f"item-{tag}{n:07d}", generator.randint(0, 500)]
            )


# ------------------------------------------------------------------ children: one piece, measured


def child_survey(csv_path: str, rows_per_range: str, out_path: str) -> None:
    """Survey a file as the planner does; write figures and the planned range tasks as JSON."""
    from app_inventory.load_plan import survey
    from app_inventory.load_report import LoadReport
    from app_inventory.range_task import RangeTask

    key = f"uploads/{Path(csv_path).name}"
    baseline = peak_rss_mb()
    started = time.perf_counter()
    with open(csv_path, "rb") as body:
        plan = survey(body, LoadReport(BUCKET, key), rows_per_range=int(rows_per_range))
    seconds = time.perf_counter() - started
    tasks = [
        RangeTask.of_range(
            byte_range,
            load_id="bench",
            bucket=BUCKET,
            key=key,
            version_id=None,
            etag="",
            columns=plan.columns,
        ).to_json()
        for byte_range in plan.ranges
    ]
    figures = {
        "seconds": seconds,
        "keys": plan.rows_to_write,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
        "tasks": tasks,
    }
    Path(out_path).write_text(json.dumps(figures))


class _Answer:
    """The raw body of a response made in-process (what ``AWSResponse.content`` streams)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _answer_dynamodb_locally(request: Any, **_: Any) -> Any:
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.0"
    return AWSResponse(request.url, 200, headers, _Answer(b'{"UnprocessedItems": {}}'))


class _LocalFileS3:
    """``get_object`` with a byte ``Range``, served from the file on disk."""

    def __init__(self, path: str) -> None:
        self._path = path

    def get_object(self, **request: Any) -> dict[str, Any]:
        first, last = (int(n) for n in request["Range"].removeprefix("bytes=").split("-"))
        with open(self._path, "rb") as handle:
            handle.seek(first)
            return {"Body": io.BytesIO(handle.read(last - first + 1))}


def child_write(task_path: str, backend: str, csv_path: str, start_at: str) -> None:
    """Write one range with the real worker code; print a JSON line of figures."""
    import boto3

    from app_inventory.range_task import RangeTask
    from app_inventory.range_writer import write_range

    task = RangeTask.from_json(Path(task_path).read_text())
    s3: Any
    if backend == "null":
        s3 = _LocalFileS3(csv_path)
        dynamodb = boto3.resource("dynamodb", endpoint_url="http://127.0.0.1:9")
        dynamodb.meta.client.meta.events.register("before-send.dynamodb", _answer_dynamodb_locally)
    else:
        s3 = boto3.client("s3")
        dynamodb = boto3.resource("dynamodb")
    table = dynamodb.Table(TABLE)
    requests = {"BatchWriteItem": 0, "PutItem": 0, "items_sent": 0}

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "BatchWriteItem" and TABLE in params.get("RequestItems", {}):
            requests["BatchWriteItem"] += 1
            requests["items_sent"] += len(params["RequestItems"][TABLE])
        elif model.name == "PutItem" and params.get("TableName") == TABLE:
            requests["PutItem"] += 1

    dynamodb.meta.client.meta.events.register("before-parameter-build.dynamodb", count)
    baseline = peak_rss_mb()
    time.sleep(max(float(start_at) - time.time(), 0.0))
    started = time.time()
    result = write_range(
        s3, table, task, superseded=set(), threshold=THRESHOLD, seconds_left=lambda: 900.0
    )
    finished = time.time()
    figures = {
        "rows": result.rows_written,
        "rest": result.rest is not None,
        "started": started,
        "finished": finished,
        "requests": requests,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(figures))


# ------------------------------------------------------------------ part 1 and 2: the pieces


@dataclass
class Survey:
    rows: int
    seconds: float
    peak_mb: float
    baseline_mb: float
    tasks: list[str]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


@dataclass
class Write:
    rows: int
    seconds: float
    peak_mb: float
    baseline_mb: float
    requests: dict[str, int]

    @property
    def writes_per_1000(self) -> float:
        return (self.requests["BatchWriteItem"] + self.requests["PutItem"]) * 1000 / self.rows


@dataclass
class Parallel:
    backend: str
    workers: int
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def child_env(endpoint: str | None) -> dict[str, str]:
    env = os.environ | CREDENTIALS | {"PYTHONPATH": str(REPO_ROOT)}
    env.pop("AWS_ENDPOINT_URL", None)
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def run_children(commands: list[list[str]], env: dict[str, str]) -> list[dict[str, Any]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.ingest", "--child", *command],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = []
    for process, command in zip(processes, commands, strict=True):
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"child {command} failed:\n{stderr}")
        results.append(json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {})
    return results


def run_survey(path: Path, rows: int, rows_per_range: int, work: Path) -> Survey:
    out = work / f"survey-{rows}.json"
    run_children([["survey", str(path), str(rows_per_range), str(out)]], child_env(None))
    figures = json.loads(out.read_text())
    if figures["keys"] != rows:
        raise SystemExit(f"the survey found {figures['keys']} keys in {rows} rows")
    return Survey(
        rows,
        figures["seconds"],
        figures["peak_rss_mb"],
        figures["baseline_rss_mb"],
        figures["tasks"],
    )


def run_writes(
    tasks: list[str], backend: str, path: Path, endpoint: str | None, work: Path
) -> list[dict[str, Any]]:
    """One child per task, all starting their range at the same moment."""
    commands = []
    start_at = time.time() + 3.0 + 0.5 * len(tasks)  # after every child has imported boto3
    for n, task in enumerate(tasks):
        task_path = work / f"task-{n}.json"
        task_path.write_text(task)
        commands.append(["write", str(task_path), backend, str(path), f"{start_at:.3f}"])
    return run_children(commands, child_env(endpoint))


def fresh_table(dynamodb: Any) -> None:
    with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.delete_table(TableName=TABLE)
    create_inventory_table(dynamodb, TABLE, stream=False)


def with_etag(tasks: list[str], etag: str) -> list[str]:
    from app_inventory.range_task import RangeTask

    return [replace(RangeTask.from_json(task), etag=etag).to_json() for task in tasks]


@dataclass
class Pieces:
    surveys: list[Survey] = field(default_factory=list)
    writes: dict[int, Write] = field(default_factory=dict)  # by file rows
    parallel: list[Parallel] = field(default_factory=list)
    range_rows: int = WORKER_RANGE_ROWS


def measure_pieces(
    pieces: Pieces, sizes: list[int], speed_rows: int, workers: list[int], work: Path, port: int
) -> None:
    """Fill ``pieces`` as figures come (a failure later keeps what was measured)."""
    import boto3

    pieces.range_rows = min(WORKER_RANGE_ROWS, speed_rows // max(workers))
    with moto_server(port, work / "moto.log") as endpoint:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        s3 = session.client("s3", endpoint_url=endpoint)
        dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        s3.create_bucket(Bucket=BUCKET)
        say(f"Pieces: plain moto server on {endpoint}, {pieces.range_rows:,} rows per range")
        for rows in sorted(set(sizes) | {speed_rows}):
            path = work / f"pieces-{rows}.csv"
            write_csv(path, rows)
            survey = run_survey(path, rows, pieces.range_rows, work)
            if rows in sizes:
                pieces.surveys.append(survey)
                say(
                    f"  {rows:>9,} rows  planner survey: {survey.seconds:6.1f} s "
                    f"{survey.rows_per_second:>9,.0f} rows/s, peak RSS {survey.peak_mb:.0f} MB"
                )
            s3.upload_file(str(path), BUCKET, f"uploads/{path.name}")
            etag = s3.head_object(Bucket=BUCKET, Key=f"uploads/{path.name}")["ETag"]
            tasks = with_etag(survey.tasks, etag)
            if rows in sizes:
                fresh_table(dynamodb)
                (one,) = run_writes(tasks[:1], "moto", path, endpoint, work)
                write = Write(
                    one["rows"],
                    one["finished"] - one["started"],
                    one["peak_rss_mb"],
                    one["baseline_rss_mb"],
                    one["requests"],
                )
                pieces.writes[rows] = write
                say(
                    f"  {rows:>9,} rows  one worker, range 1 ({write.rows:,} rows) on moto: "
                    f"{write.rows / write.seconds:,.0f} rows/s, {write.writes_per_1000:.1f} "
                    f"write requests per 1,000 rows, peak RSS {write.peak_mb:.0f} MB"
                )
            if rows == speed_rows:
                for backend in ("null", "moto"):
                    for n in [1, *workers]:
                        if backend == "moto":
                            fresh_table(dynamodb)
                        results = run_writes(tasks[:n], backend, path, endpoint, work)
                        seconds = max(r["finished"] for r in results) - min(
                            r["started"] for r in results
                        )
                        run = Parallel(backend, n, sum(r["rows"] for r in results), seconds)
                        pieces.parallel.append(run)
                        say(
                            f"  {n} worker process(es), {backend:<4} backend: {run.rows:,} rows "
                            f"in {run.seconds:.1f} s = {run.rows_per_second:,.0f} rows/s"
                        )
            s3.delete_object(Bucket=BUCKET, Key=f"uploads/{path.name}")
            path.unlink()
        with contextlib.suppress(Exception):
            dynamodb.delete_table(TableName=TABLE)


# ------------------------------------------------------------------ part 3: the local cloud


@dataclass
class CloudRun:
    label: str
    rows: int
    variables: dict[str, int]
    upload_seconds: float
    seconds: float  # upload start to the final report (written after the last write)
    status: str
    rows_loaded: int
    ranges: int
    items_added: int
    invocations: dict[str, int]
    errors: int
    drained_seconds: float | None  # after the report, until the stream handler went quiet
    backlog: bool = False  # the previous run's stream had not drained when this one began

    @property
    def rows_per_second(self) -> float:
        return self.rows_loaded / self.seconds


def _quiet(log: Path, call: Callable[[], Any]) -> Any:
    with log.open("a", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        return call()


@contextlib.contextmanager
def local_cloud_home(work: Path, port: int) -> Iterator[Path]:
    """A private ORCHESTRATE_HOME and port; destroy the stack and stop the cloud at the end."""
    from orchestrator.cli import main

    log = work / "orchestrate.log"
    saved = dict(os.environ)
    os.environ["ORCHESTRATE_HOME"] = str(work / "orchestrate")
    os.environ["ORCHESTRATE_LOCAL_PORT"] = str(port)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    try:
        yield log
    finally:
        try:
            say("Destroying the stack and stopping the local cloud...")
            _quiet(
                log,
                lambda: main(["destroy", "inventory", "--target", "local", "--env", ENVIRONMENT]),
            )
        finally:
            _quiet(log, lambda: main(["local", "down"]))
            os.environ.clear()
            os.environ.update(saved)


def deploy(log: Path, variables: dict[str, int]) -> tuple[Any, dict[str, Any]]:
    from orchestrator.cli import main
    from orchestrator.deploy import StackRun
    from orchestrator.stacks import get_stack
    from orchestrator.targets import resolve_target

    where = ["--target", "local", "--env", ENVIRONMENT]
    # Exactly these values: the --var values of the previous deploy are saved, so unset them.
    if _quiet(log, lambda: main(["config", "inventory", *where, "--unset-all"])) != 0:
        raise SystemExit(f"could not unset the saved settings (see {log})")
    argv = ["deploy", "inventory", *where]
    for name, value in variables.items():
        argv += ["--var", f"{name}={value}"]
    shown = " ".join(f"{k}={v}" for k, v in variables.items()) or "module defaults"
    say(f"Deploying the inventory stack ({shown}; log: {log})...")
    started = time.monotonic()
    code = _quiet(log, lambda: main(argv))
    if code != 0:
        tail = "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-30:])
        raise SystemExit(f"deploy failed (exit {code}); the end of {log}:\n{tail}")
    target = resolve_target("local")
    outputs = StackRun(get_stack("inventory"), target, ENVIRONMENT, print).outputs()
    say(f"  deployed in {time.monotonic() - started:.0f} s")
    return target, outputs


def invocations(endpoint: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{endpoint}/_local/lambda/invocations", timeout=30) as answer:
        found = json.load(answer)
    return found if isinstance(found, list) else []


class InvocationLog:
    """Every invocation that ends after ``since``, read often enough to beat the local cloud's
    record, which keeps only the last 1,000 invocations."""

    def __init__(self, endpoint: str, since: datetime) -> None:
        self._endpoint = endpoint
        self._since = since
        self._seen: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(2.0):
            self.read()

    def read(self) -> list[dict[str, Any]]:
        found = invocations(self._endpoint)
        with self._lock:
            for invocation in found:
                if datetime.fromisoformat(invocation["timestamp"]) >= self._since:
                    self._seen.setdefault(invocation["request_id"], invocation)
            return list(self._seen.values())

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join()
        return self.read()


def item_count(dynamodb: Any, table: str) -> int:
    return int(dynamodb.describe_table(TableName=table)["Table"].get("ItemCount", 0))


def cloud_load(
    target: Any,
    outputs: dict[str, Any],
    path: Path,
    rows: int,
    label: str,
    variables: dict[str, int],
    *,
    timeout: float,
    drain_timeout: float,
) -> CloudRun:
    from orchestrator.stacks.inventory.ops import report_key, wait_for_report

    s3 = target.client("s3")
    dynamodb = target.client("dynamodb")
    bucket = outputs["upload_bucket_name"]
    key = str(outputs.get("upload_prefix", "uploads/")) + path.name
    names = {name: role for role, name in outputs["function_names"].items()}
    recorder = InvocationLog(target.endpoint_url, datetime.now(UTC))
    items_before = item_count(dynamodb, outputs["table_name"])
    say(f"  {label}: uploading {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB)...")
    started = time.monotonic()
    s3.upload_file(str(path), bucket, key)
    uploaded_at = s3.head_object(Bucket=bucket, Key=key)["LastModified"]
    upload_seconds = time.monotonic() - started
    report = wait_for_report(
        s3,
        bucket,
        report_key(outputs, key),
        uploaded_at=uploaded_at,
        timeout=timeout,
        on_progress=lambda line: say(f"    {line}"),
        data_rows=rows,
        poll_seconds=0.5,
    )
    seconds = time.monotonic() - started
    items_added = item_count(dynamodb, outputs["table_name"]) - items_before
    drained_seconds = _wait_for_stream(recorder, names, drain_timeout)
    recorded = recorder.stop()
    counts = dict.fromkeys(ROLES, 0)
    errors = 0
    for invocation in recorded:
        role = names.get(invocation.get("function", ""))
        if role in counts:
            counts[role] += 1
        if invocation.get("status") != "ok":
            errors += 1
    run = CloudRun(
        label=label,
        rows=rows,
        variables=variables,
        upload_seconds=upload_seconds,
        seconds=seconds,
        status=str(report.get("status")),
        rows_loaded=int(report.get("rows_loaded") or 0),
        ranges=int((report.get("ranges") or {}).get("total") or 0),
        items_added=items_added,
        invocations=counts,
        errors=errors,
        drained_seconds=drained_seconds,
    )
    drained = (
        f"stream drained {drained_seconds:.0f} s later"
        if drained_seconds is not None
        else f"stream still draining after {drain_timeout:.0f} s"
    )
    say(
        f"  {label}: {run.status}, {run.rows_loaded:,} rows in {run.seconds:.1f} s "
        f"(upload {upload_seconds:.1f} s) = {run.rows_per_second:,.0f} rows/s; "
        f"{run.ranges} range(s); invocations {_invocations_text(counts)}, {errors} not ok; "
        f"{drained}"
    )
    return run


def _wait_for_stream(
    recorder: InvocationLog, names: dict[str, str], timeout: float
) -> float | None:
    """Seconds until notify_low_stock has had no new invocation for 5 s; None on timeout."""
    started = time.monotonic()
    last_count, last_change = -1, started
    while time.monotonic() - started < timeout:
        recorded = recorder.read()
        count = sum(1 for i in recorded if names.get(i.get("function", "")) == "notify_low_stock")
        now = time.monotonic()
        if count != last_count:
            last_count, last_change = count, now
        elif now - last_change >= 5:
            return last_change - started
        time.sleep(1)
    return None


def _invocations_text(counts: dict[str, int]) -> str:
    return (
        f"planner {counts['load_inventory']}, workers {counts['load_inventory_range']}, "
        f"failed-range {counts['load_range_failed']}, notifier {counts['notify_low_stock']}"
    )


def measure_cloud(
    runs: list[CloudRun],
    sizes: list[int],
    speed_rows: int,
    workers: list[int],
    work: Path,
    port: int,
    *,
    timeout: float,
    drain_timeout: float,
) -> None:
    """Append to ``runs`` as loads finish (a failure later keeps what was measured)."""

    def load(rows: int, label: str, variables: dict[str, int], target: Any, outputs: Any) -> None:
        tag = f"{len(runs)}-"
        path = work / f"cloud-{rows}-{len(runs)}.csv"
        write_csv(path, rows, tag)
        try:
            run = cloud_load(
                target,
                outputs,
                path,
                rows,
                label,
                variables,
                timeout=timeout,
                drain_timeout=drain_timeout,
            )
            run.backlog = bool(runs) and runs[-1].drained_seconds is None
            runs.append(run)
        finally:
            path.unlink()

    say(f"Local cloud on port {port} (ORCHESTRATE_HOME under {work})")
    # The speed-up runs first, the biggest file last: a stream backlog left by one run (the
    # stream handler is slower than the loader here) slows the runs after it.
    with local_cloud_home(work, port) as log:
        one = {"load_range_rows": speed_rows + 1, "load_worker_concurrency": 2}
        target, outputs = deploy(log, one)
        load(speed_rows, "1 worker", one, target, outputs)
        range_rows = math.ceil(speed_rows / (2 * max(workers)))
        for n in workers:
            many = {"load_range_rows": range_rows, "load_worker_concurrency": n}
            target, outputs = deploy(log, many)
            load(speed_rows, f"{n} workers", many, target, outputs)
        target, outputs = deploy(log, {})
        for rows in sorted(sizes):
            load(rows, "defaults", {}, target, outputs)


# ------------------------------------------------------------------ summary


def print_summary(pieces: Pieces | None, runs: list[CloudRun], speed_rows: int) -> None:
    say()
    say("=" * 100)
    say(
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, {_moto_version()}"
    )
    if runs:
        say()
        say(
            "End to end on the local cloud "
            "(upload to the final report, written after the last write):"
        )
        say(
            f"  {'run':<10} {'rows':>9} {'variables':<46} {'seconds':>8} {'rows/s':>7} "
            f"{'status':<7} {'ranges':>6}  invocations (planner/worker/failed/notifier)"
        )
        for run in runs:
            variables = " ".join(f"{k}={v}" for k, v in run.variables.items()) or "defaults"
            counts = "/".join(str(run.invocations[role]) for role in ROLES)
            drained = "" if run.drained_seconds is not None else " (stream still draining)"
            if run.backlog:
                drained += " (began with an earlier run's stream backlog)"
            say(
                f"  {run.label:<10} {run.rows:>9,} {variables:<46} {run.seconds:>8.1f} "
                f"{run.rows_per_second:>7,.0f} {run.status:<7} {run.ranges:>6}  {counts}"
                f"{drained}; items added {run.items_added:,}, report rows {run.rows_loaded:,}"
            )
        single = next((r for r in runs if r.label == "1 worker"), None)
        for many in runs:
            if single and many.label.endswith("workers"):
                say(
                    f"  speed-up, {many.label} over 1 ({speed_rows:,} rows): "
                    f"{single.seconds / many.seconds:.2f}x"
                )
    if pieces is not None:
        say()
        say("Pieces (child processes; a plain moto server where a server is used):")
        for survey in pieces.surveys:
            say(
                f"  planner survey   {survey.rows:>9,} rows: "
                f"{survey.rows_per_second:>9,.0f} rows/s, peak RSS {survey.peak_mb:.0f} MB "
                f"({survey.baseline_mb:.0f} MB before reading)"
            )
        if len(pieces.surveys) >= 2:
            small, large = pieces.surveys[0], pieces.surveys[-1]
            per_million = (large.peak_mb - small.peak_mb) / ((large.rows - small.rows) / 1e6)
            say(f"  planner memory per million distinct keys: {per_million:.0f} MB")
        for rows, write in sorted(pieces.writes.items()):
            averaged = write.requests["items_sent"] / max(write.requests["BatchWriteItem"], 1)
            say(
                f"  one worker, one {write.rows:,}-row range of a {rows:,}-row file: peak RSS "
                f"{write.peak_mb:.0f} MB ({write.baseline_mb:.0f} MB before writing); "
                f"{write.requests['BatchWriteItem']} BatchWriteItem + {write.requests['PutItem']} "
                f"PutItem = {write.writes_per_1000:.1f} per 1,000 rows (goal {REQUESTS_GOAL}), "
                f"{averaged:.1f} items per batch; {write.rows / write.seconds:,.0f} rows/s on moto"
            )
        by_backend: dict[str, dict[int, Parallel]] = {}
        for parallel in pieces.parallel:
            by_backend.setdefault(parallel.backend, {})[parallel.workers] = parallel
        for backend, label in (
            ("null", "no server (worker CPU only)"),
            ("moto", "one moto server          "),
        ):
            found = by_backend.get(backend, {})
            if 1 not in found:
                continue
            base = found[1].rows_per_second
            figures = ", ".join(
                f"{n}: {p.rows_per_second:,.0f} rows/s ({p.rows_per_second / base:.2f}x)"
                for n, p in sorted(found.items())
            )
            say(f"  worker processes against {label}: {figures}")
    say("=" * 100)


def _moto_version() -> str:
    try:
        from importlib.metadata import version

        return f"moto {version('moto')}"
    except Exception:
        return "moto (version unknown)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated file sizes")
    parser.add_argument("--workers", default="2,5", help="worker counts to compare with one")
    parser.add_argument(
        "--speedup-rows", type=int, help="file size for the speed-up runs (default: the smallest)"
    )
    parser.add_argument("--quick", action="store_true", help="20,000 rows only")
    parser.add_argument("--skip-cloud", action="store_true", help="only the pieces (no Terraform)")
    parser.add_argument("--skip-pieces", action="store_true", help="only the local cloud runs")
    parser.add_argument("--port", type=int, help="local cloud port (default: free in 4700-4719)")
    parser.add_argument("--moto-port", type=int, help="plain moto port (default: free, 4700-4719)")
    parser.add_argument(
        "--load-timeout", type=float, default=3600, help="seconds to wait for one load's report"
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=120,
        help="seconds to wait, after a load, for the stream handler to go quiet",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        children: dict[str, Callable[..., None]] = {"survey": child_survey, "write": child_write}
        children[args.child[0]](*args.child[1:])
        return 0

    sizes = [20_000] if args.quick else [int(s.replace("_", "")) for s in args.rows.split(",")]
    workers = sorted({int(n) for n in args.workers.split(",")} - {1})
    speed_rows = args.speedup_rows or min(sizes)
    if not os.environ.get("TF_PROVIDER_MIRROR") and not args.skip_cloud:
        say("note: TF_PROVIDER_MIRROR is not set; terraform init needs the registry or a mirror")
    pieces: Pieces | None = None
    runs: list[CloudRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as temporary:
        work = Path(temporary)
        try:
            if not args.skip_pieces:
                moto_port = args.moto_port or free_port(PORTS)
                pieces = Pieces()
                measure_pieces(pieces, sizes, speed_rows, workers, work, moto_port)
            if not args.skip_cloud:
                port = args.port or free_port(PORTS, exclude={args.moto_port or 0})
                measure_cloud(
                    runs,
                    sizes,
                    speed_rows,
                    workers,
                    work,
                    port,
                    timeout=args.load_timeout,
                    drain_timeout=args.drain_timeout,
                )
        finally:
            print_summary(pieces, runs, speed_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
