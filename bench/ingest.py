"""Ingest benchmark: the streaming loader against a naive one, on a moto server.

    python -m bench.ingest [--rows 1000,1000000] [--naive-max-rows 20000] [--port 4621]

For each size it writes a CSV to a temp dir, uploads it to a moto server started here (so moto's
own storage is not counted), and loads it in a child process whose peak RSS (``ru_maxrss``) is
the memory figure. It prints rows per second, DynamoDB write requests per 1,000 rows (goal 40:
25 items per BatchWriteItem) and peak memory, for both loaders, and their ratios.

The streaming loader is the real one (``app_inventory.inventory_loader``). The naive loader
reads the whole object, parses it into a list, and calls ``put_item`` once per row; with one
HTTP request per row it is only run up to ``--naive-max-rows`` (and says so).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.inventory_table import create_inventory_table
from tests.moto_server import moto_server as run_moto_server

REPO_ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bench-uploads"
REGION = "us-east-1"
MEMORY_GOAL_MB = 50
REQUESTS_GOAL = 40
STORES = [f"store-{n:02d}" for n in range(50)]


# ---------------------------------------------------------------- child: one load, measured


def run_child(loader: str, key: str, table_name: str) -> None:
    """Load one object with one loader; print a JSON line of figures."""
    import boto3

    s3 = boto3.client("s3")
    table = boto3.resource("dynamodb").Table(table_name)
    requests = {"BatchWriteItem": 0, "PutItem": 0, "GetObject": 0}

    def count(model: Any, **_: Any) -> None:
        if model.name in requests:
            requests[model.name] += 1

    table.meta.client.meta.events.register("before-call.dynamodb.*", count)
    s3.meta.events.register("before-call.s3.GetObject", count)
    rss_before_mb = _peak_rss_mb()
    started = time.perf_counter()
    if loader == "streaming":
        from app_inventory.inventory_loader import load_inventory_object
        from app_inventory.load_report import LoadReport

        report = LoadReport(bucket=BUCKET, key=key)
        load_inventory_object(s3, table, report)
        rows, status = report.rows_loaded, report.status
    else:
        rows, status = _naive_load(s3, table, key), "loaded"
    seconds = time.perf_counter() - started
    figures = {
        "rows_loaded": rows,
        "status": status,
        "seconds": seconds,
        "requests": requests,
        "rss_before_mb": rss_before_mb,
        "peak_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(figures))


def _naive_load(s3: Any, table: Any, key: str) -> int:
    """What the loader would be without care: whole file in memory, one request per row."""
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    rows = list(csv.reader(body.decode("utf-8-sig").splitlines()))
    header = [name.strip().lower() for name in rows[0]]
    store, item, count = (header.index(name) for name in ("store", "item", "count"))
    for row in rows[1:]:
        table.put_item(Item={"store": row[store], "item": row[item], "count": int(row[count])})
    return len(rows) - 1


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------- parent: server, files, report


@dataclass
class Result:
    rows: int
    loader: str
    figures: dict[str, Any]

    @property
    def rows_per_second(self) -> float:
        return float(self.figures["rows_loaded"]) / self.figures["seconds"]

    @property
    def write_requests_per_1000(self) -> float:
        requests = self.figures["requests"]
        writes = requests["BatchWriteItem"] + requests["PutItem"]
        return writes * 1000 / max(self.figures["rows_loaded"], 1)

    @property
    def peak_mb(self) -> float:
        return float(self.figures["peak_rss_mb"])


@contextmanager
def moto_server(port: int, log: Path) -> Iterator[str]:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is in use; pick another with --port (4620-4629)")
    with run_moto_server(port, log) as endpoint:
        yield endpoint


def write_csv(path: Path, rows: int) -> None:
    generator = random.Random(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["store", "item", "count"])
        for n in range(rows):
            writer.writerow([STORES[n % len(STORES)], f"item-{n:07d}", generator.randint(0, 500)])


def run_load(loader: str, rows: int, key: str, endpoint: str, dynamodb: Any) -> Result:
    table_name = f"bench-{loader}-{rows}"
    create_inventory_table(dynamodb, table_name, stream=False)
    environment = os.environ | {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "PYTHONPATH": str(REPO_ROOT),
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.ingest", "--child", loader, key, table_name],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise SystemExit(f"{loader} loader failed on {rows} rows:\n{completed.stderr}")
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        # Free moto's copy of the items before the next, larger run.
        dynamodb.delete_table(TableName=table_name)
    if figures["rows_loaded"] != rows:
        raise SystemExit(f"{loader} loader wrote {figures['rows_loaded']} of {rows} rows")
    return Result(rows, loader, figures)


def print_results(results: list[Result], naive_max_rows: int) -> None:
    print()
    print(
        f"{'rows':>10}  {'loader':<9} {'seconds':>8} {'rows/s':>9} "
        f"{'writes/1k rows':>14} {'S3 GETs':>7} {'peak RSS MB':>11}"
    )
    for r in results:
        print(
            f"{r.rows:>10,}  {r.loader:<9} {r.figures['seconds']:>8.1f} "
            f"{r.rows_per_second:>9,.0f} {r.write_requests_per_1000:>14.1f} "
            f"{r.figures['requests']['GetObject']:>7} {r.peak_mb:>11.1f}"
        )
    by_key = {(r.rows, r.loader): r for r in results}
    print()
    print("Streaming vs naive, same file:")
    for rows in sorted({r.rows for r in results}):
        streaming, naive = by_key.get((rows, "streaming")), by_key.get((rows, "naive"))
        if streaming and naive:
            speed = streaming.rows_per_second / naive.rows_per_second
            fewer = naive.write_requests_per_1000 / streaming.write_requests_per_1000
            print(
                f"  {rows:>10,} rows: {speed:.1f}x the rows/s, {fewer:.1f}x fewer write "
                f"requests, peak RSS {streaming.peak_mb:.1f} vs {naive.peak_mb:.1f} MB"
            )
        elif streaming:
            print(
                f"  {rows:>10,} rows: naive not run (above --naive-max-rows={naive_max_rows:,}: "
                f"one PutItem request per row; at its measured speed it would take about "
                f"{_naive_estimate(results, rows)})"
            )
    streaming_runs = sorted((r for r in results if r.loader == "streaming"), key=lambda r: r.rows)
    print()
    print(
        f"Write requests per 1,000 rows, streaming: "
        f"{', '.join(f'{r.write_requests_per_1000:.1f}' for r in streaming_runs)} "
        f"(goal {REQUESTS_GOAL})"
    )
    if len(streaming_runs) >= 2:
        small, large = streaming_runs[0], streaming_runs[-1]
        growth = large.peak_mb - small.peak_mb
        verdict = "meets" if growth <= MEMORY_GOAL_MB else "MISSES"
        print(
            f"Peak memory, streaming: {large.rows:,} rows {large.peak_mb:.1f} MB vs "
            f"{small.rows:,} rows {small.peak_mb:.1f} MB: +{growth:.1f} MB "
            f"({verdict} the goal of +{MEMORY_GOAL_MB} MB)"
        )
    naive_runs = sorted((r for r in results if r.loader == "naive"), key=lambda r: r.rows)
    if len(naive_runs) >= 2:
        small, large = naive_runs[0], naive_runs[-1]
        print(
            f"Peak memory, naive: {large.rows:,} rows {large.peak_mb:.1f} MB vs "
            f"{small.rows:,} rows {small.peak_mb:.1f} MB: +{large.peak_mb - small.peak_mb:.1f} MB"
        )


def _naive_estimate(results: list[Result], rows: int) -> str:
    naive = [r for r in results if r.loader == "naive"]
    if not naive:
        return "an unknown time (no naive run)"
    seconds = rows / max(naive, key=lambda r: r.rows).rows_per_second
    return f"{seconds / 60:,.0f} minutes" if seconds < 7200 else f"{seconds / 3600:,.1f} hours"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,1000000", help="comma-separated file sizes")
    parser.add_argument(
        "--naive-max-rows",
        type=int,
        default=20_000,
        help="largest file the naive loader (one request per row) is run on",
    )
    parser.add_argument("--port", type=int, default=4621, help="moto server port (4620-4629)")
    parser.add_argument(
        "--child", nargs=3, metavar=("LOADER", "KEY", "TABLE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        run_child(*args.child)
        return 0

    import boto3

    sizes = [int(size.replace("_", "")) for size in args.rows.split(",")]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        work_dir = Path(work)
        with moto_server(args.port, work_dir / "moto.log") as endpoint:
            clients = {
                "endpoint_url": endpoint,
                "region_name": REGION,
                "aws_access_key_id": "testing",
                "aws_secret_access_key": "testing",
            }
            s3 = boto3.client("s3", **clients)
            dynamodb = boto3.client("dynamodb", **clients)
            s3.create_bucket(Bucket=BUCKET)
            print(f"moto server on {endpoint}; loaders run in child processes")
            for rows in sizes:
                path = work_dir / f"inventory-{rows}.csv"
                write_csv(path, rows)
                key = f"uploads/{path.name}"
                s3.upload_file(str(path), BUCKET, key)
                size_mb = path.stat().st_size / 1e6
                loaders = ["streaming"] + (["naive"] if rows <= args.naive_max_rows else [])
                for loader in loaders:
                    print(f"  {rows:>10,} rows ({size_mb:.1f} MB): {loader} loader...", flush=True)
                    results.append(run_load(loader, rows, key, endpoint, dynamodb))
                s3.delete_object(Bucket=BUCKET, Key=key)
    print_results(results, args.naive_max_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
