"""TODO API benchmark: the pooled app against a connection-per-request baseline, on MariaDB.

    python -m bench.todo [--requests 500] [--concurrency 16] [--port 4664] [--image NAME]

The app runs in its own process under uvicorn (one worker, as in a task), on a fresh database on
the MariaDB server of .ci/setup_mariadb.sh (TODO_TEST_MYSQL_URL). The baseline is the same app
with its engine swapped for one that opens a new database connection for every request and
closes it after (SQLAlchemy's NullPool), as the original design did. For create, get by id and
list it prints requests per second and p50/p99 latency at a fixed client concurrency, both modes
side by side, and their ratios; then the image size when a Docker engine has the image.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from devtools.ports import free_port
from orchestrator.processes import stop_child
from tests.app_todo.databases import fresh_mysql_database

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_DIR = REPO_ROOT / "app_todo"
DEFAULT_MYSQL_URL = "mysql+pymysql://todo:todo@127.0.0.1:3306/todo_test"
MODES = ("pooled", "per-request")
OPERATIONS = ("create", "get", "list")


@dataclass
class Result:
    operation: str
    mode: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float


# ---------------------------------------------------------------- child: the server, one mode


def serve(mode: str, port: int) -> None:
    """Run the app (DATABASE_URL from the environment) under uvicorn until terminated."""
    sys.path.insert(0, str(APP_DIR))
    import uvicorn
    from sqlalchemy.pool import NullPool

    from app.main import create_app

    app = create_app()
    if mode == "per-request":
        # Routes take their engine from app.state: every checkout is a new connection.
        pooled = app.state.engine
        app.state.engine = create_engine(
            pooled.url, poolclass=NullPool, connect_args={"connect_timeout": 5}
        )
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_config=None)


# ---------------------------------------------------------------- parent: load and figures


@contextmanager
def running_server(mode: str, database: URL, port: int) -> Iterator[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": database.render_as_string(hide_password=False),
        "LOG_LEVEL": "INFO",  # as deployed: one JSON line per request
        "DB_WAIT_ATTEMPTS": "3",
        "DB_WAIT_INTERVAL": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.todo", "--serve", mode, "--port", str(port)],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the {mode} server exited with {process.returncode}")
            try:
                if requests.get(f"{base}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the {mode} server did not get ready within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        stop_child(process, timeout=30)


def measure(
    total: int, concurrency: int, call: Callable[[requests.Session, int], None]
) -> tuple[float, list[float]]:
    """Run ``call`` ``total`` times from ``concurrency`` threads; (seconds, latencies in ms)."""
    counter = itertools.count()  # next() on it is atomic under the GIL

    def worker() -> list[float]:
        latencies: list[float] = []
        with requests.Session() as session:
            while (n := next(counter)) < total:
                started = time.perf_counter()
                call(session, n)
                latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(worker) for _ in range(concurrency)]
        latencies = [latency for future in futures for latency in future.result()]
    return time.perf_counter() - started, latencies


def run_mode(mode: str, base: str, total: int, concurrency: int) -> list[Result]:
    ids: list[int] = []

    def create(session: requests.Session, n: int) -> None:
        response = session.post(f"{base}/tasks", json={"title": f"bench task {n}"}, timeout=30)
        if response.status_code != 201:
            raise RuntimeError(f"create: {response.status_code} {response.text[:200]}")
        ids.append(response.json()["id"])

    def get(session: requests.Session, n: int) -> None:
        response = session.get(f"{base}/tasks/{ids[n % len(ids)]}", timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"get: {response.status_code} {response.text[:200]}")

    def list_page(session: requests.Session, n: int) -> None:
        offset = (n * 20) % max(len(ids) - 20, 1)
        response = session.get(f"{base}/tasks", params={"limit": 20, "offset": offset}, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"list: {response.status_code} {response.text[:200]}")

    measure(50, 4, lambda session, _: session.get(f"{base}/", timeout=10).raise_for_status())
    results = []
    for operation, call in (("create", create), ("get", get), ("list", list_page)):
        seconds, latencies = measure(total, concurrency, call)
        if operation == "create":
            random.shuffle(ids)  # reads spread over the table, not in insertion order
        cuts = statistics.quantiles(latencies, n=100)
        results.append(Result(operation, mode, total / seconds, cuts[49], cuts[98]))
        print(f"  {mode:<12} {operation:<7} {total / seconds:8.0f} req/s", flush=True)
    return results


def image_size(name: str | None) -> str:
    """The size of ``name``, or by default of the image ``deploy todo`` builds from app_todo/
    now (any repository with the tag that is the hash of the current build context)."""
    try:
        from docker.errors import DockerException, ImageNotFound

        from orchestrator import images
    except ImportError:
        return "n/a (the docker Python package is not installed)"
    try:
        client = images.docker_client(timeout=5)
        if name is None:
            tag = images.context_hash(
                APP_DIR, images.build_args_for(images.resolve_base_image(client))
            )
            found = [i for i in client.images.list() if any(t.endswith(f":{tag}") for t in i.tags)]
            if not found:
                return f"n/a (no image tagged {tag}: run 'make deploy-todo' or pass --image)"
            image, name = found[0], next(t for t in found[0].tags if t.endswith(f":{tag}"))
        else:
            image = client.images.get(name)
    except ImageNotFound:
        return f"n/a (no image {name}; build it from app_todo/ or pass --image)"
    except (DockerException, images.ImageError) as exc:
        return f"n/a (no Docker engine: {str(exc).splitlines()[0][:120]})"
    return f"{image.attrs['Size'] / 1e6:.1f} MB ({name}, uncompressed)"


def print_table(results: list[Result], concurrency: int, total: int, server: str) -> None:
    by_key = {(r.operation, r.mode): r for r in results}
    print()
    print(
        f"TODO API on {server}, one uvicorn worker, {concurrency} concurrent clients, "
        f"{total} requests per operation"
    )
    print(f"{'operation':<10}{'mode':<13}{'req/s':>9}{'p50 ms':>10}{'p99 ms':>10}")
    for operation in OPERATIONS:
        for mode in MODES:
            r = by_key[(operation, mode)]
            print(
                f"{operation:<10}{mode:<13}{r.requests_per_s:>9.0f}{r.p50_ms:>10.1f}{r.p99_ms:>10.1f}"
            )
    print()
    print("pooled / per-request (req/s higher is better; latency lower is better):")
    for operation in OPERATIONS:
        pooled, baseline = by_key[(operation, "pooled")], by_key[(operation, "per-request")]
        throughput = pooled.requests_per_s / baseline.requests_per_s
        p50, p99 = pooled.p50_ms / baseline.p50_ms, pooled.p99_ms / baseline.p99_ms
        print(f"  {operation:<7} req/s x{throughput:.2f}   p50 x{p50:.2f}   p99 x{p99:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per operation and mode")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=4664)
    parser.add_argument("--image", default=None, help="image to size (default: the current build)")
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0

    server = make_url(os.environ.get("TODO_TEST_MYSQL_URL", DEFAULT_MYSQL_URL))
    try:
        probe = create_engine(server, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            version = connection.execute(text("SELECT VERSION()")).scalar()
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means the same thing here
        print(f"MariaDB not reachable ({exc}): run .ci/setup_mariadb.sh", file=sys.stderr)
        return 1

    results: list[Result] = []
    for mode in MODES:
        with (
            fresh_mysql_database(server, prefix="todo_bench") as database,
            running_server(mode, database, free_port(range(args.port, args.port + 6))) as base,
        ):
            results += run_mode(mode, base, args.requests, args.concurrency)
    print_table(results, args.concurrency, args.requests, f"MariaDB {version}")
    print()
    print(f"image size: {image_size(args.image)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
