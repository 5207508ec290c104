"""TODO API under load: the app, a connection-per-request baseline and a constant app, on MariaDB.

    python -m bench.todo [--levels 1,8,32,64,128,256] [--duration 3] [--port 4664] [--image NAME]

Each server runs in its own process under uvicorn (one worker, as in a task, with the image's
HTTP parser), on a fresh database of the MariaDB server of .ci/setup_mariadb.sh
(TODO_TEST_MYSQL_URL) holding 2,000 tasks. The modes:

- ``app``: the app as deployed (app/core/gate.py: pooled connections, bounded queue).
- ``per-request``: the same app with an engine that opens a new database connection for every
  request and closes it after (SQLAlchemy's NullPool), as the original design did.
- ``constant``: a minimal FastAPI app with the same routes that answers a constant without any
  database, the ceiling of this machine's HTTP and framework work.

Load comes from wrk (Debian package ``wrk``; C, so the load generator is not the bottleneck),
one connection per client, for get by id, list (a page of 20), update (PATCH) and create at
each concurrency. It prints req/s, p50, p99 and errors (non-2xx answers and socket errors) per
mode, the app's ratio to both other modes, and the liveness route's latency measured while the
app is saturated at the highest level. Then the image size when a Docker engine has the image.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import requests
from fastapi import Body, FastAPI
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import URL

from devtools.mysql_databases import fresh_mysql_database, mysql_server_url
from devtools.ports import free_port
from orchestrator.processes import stop_child

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_DIR = REPO_ROOT / "app_todo"
MODES = ("app", "per-request", "constant")
OPERATIONS = ("get", "list", "update", "create")  # create last: it grows the table
SEEDED_TASKS = 2000
LEVELS = (1, 8, 32, 64, 128, 256)

# wrk scripts, one per operation; ids stay within the seeded tasks.
SCRIPTS = {
    "get": 'request = function() return wrk.format("GET", "/tasks/" .. math.random(1, {n})) end',
    "list": (
        "request = function() return wrk.format("
        '"GET", "/tasks?limit=20&offset=" .. math.random(0, {n} - 20)) end'
    ),
    "update": (
        'wrk.method = "PATCH"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function() return wrk.format("
        'nil, "/tasks/" .. math.random(1, {n}), nil, '
        '\'{{"completed": \' .. (math.random(0, 1) == 1 and "true" or "false") .. "}}") end'
    ),
    "create": (
        'wrk.method = "POST"\n'
        'wrk.path = "/tasks"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        'wrk.body = \'{{"title": "bench task", "description": "made by bench/todo.py"}}\''
    ),
}


@dataclass
class Result:
    mode: str
    operation: str
    level: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


# ---------------------------------------------------------------- child: the server, one mode


def serve(mode: str, port: int) -> None:
    """Run one mode's app (DATABASE_URL from the environment) under uvicorn until terminated."""
    sys.path.insert(0, str(APP_DIR))
    import uvicorn

    if mode == "constant":
        app = constant_app()
    else:
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.pool import NullPool

        from app.main import create_app

        app = create_app()
        if mode == "per-request":
            gate = app.state.gate
            gate.engine = create_async_engine(
                gate.engine.url, poolclass=NullPool, connect_args={"connect_timeout": 5}
            )
    uvicorn.run(
        app, host="127.0.0.1", port=port, access_log=False, log_config=None, server_header=False
    )


def constant_app() -> FastAPI:
    """The same routes answering a constant: what this machine's HTTP stack can do at most."""
    app = FastAPI()
    task = {"id": 1, "title": "constant", "description": None, "completed": False}

    @app.get("/")
    async def live() -> dict[str, str]:
        return {"message": "running"}

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/tasks")
    async def page(limit: int = 20, offset: int = 0) -> dict[str, Any]:
        return {"data": [task] * limit, "count": SEEDED_TASKS}

    @app.get("/tasks/{task_id}")
    async def get(task_id: int) -> dict[str, Any]:
        return task

    @app.patch("/tasks/{task_id}")
    async def update(task_id: int, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return task

    @app.post("/tasks", status_code=201)
    async def create(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return task

    return app


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


def seed(database: URL) -> None:
    sys.path.insert(0, str(APP_DIR))
    from app.crud import TASKS
    from app.models import utc_now

    engine = create_engine(database)
    now = utc_now()
    rows = [
        {"title": f"seeded {n}", "completed": False, "created_at": now, "updated_at": now}
        for n in range(SEEDED_TASKS)
    ]
    with engine.begin() as connection:
        connection.execute(insert(TASKS), rows)
    engine.dispose()


def run_wrk(
    base: str, script: Path, connections: int, seconds: int
) -> tuple[float, float, float, int]:
    """(req/s, p50 ms, p99 ms, errors) of one wrk run; errors are non-2xx/3xx and socket ones."""
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return rate, p50, p99, errors


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


@contextmanager
def liveness_probe(base: str) -> Iterator[list[float]]:
    """Ask ``GET /`` every 20 ms (as a health checker would, on its own connection)."""
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    session.get(f"{base}/", timeout=10).raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)
                except requests.RequestException:
                    latencies.append(float("inf"))
                stop.wait(0.02)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    try:
        yield latencies
    finally:
        stop.set()
        thread.join()


def run_mode(
    mode: str, base: str, scripts: dict[str, Path], levels: list[int], seconds: int
) -> tuple[list[Result], list[float]]:
    results: list[Result] = []
    liveness: list[float] = []
    run_wrk(base, scripts["get"], 8, 1)  # warm up: connections, imports, caches
    for operation in OPERATIONS:
        for level in levels:
            if level == max(levels) and mode == "app":
                with liveness_probe(base) as probed:
                    figures = run_wrk(base, scripts[operation], level, seconds)
                liveness += probed
            else:
                figures = run_wrk(base, scripts[operation], level, seconds)
            results.append(Result(mode, operation, level, *figures))
            rate, p50, p99, errors = figures
            print(
                f"  {mode:<12}{operation:<8}c={level:<4}{rate:8.0f} req/s  p50 {p50:7.1f} ms"
                f"  p99 {p99:7.1f} ms  errors {errors}",
                flush=True,
            )
    return results, liveness


def image_size(name: str | None) -> str:
    """The size of ``name``, or by default of the image ``deploy todo`` builds from app_todo/
    now (any repository with the tag that is the hash of the current build context)."""
    try:
        from docker.errors import DockerException, ImageNotFound

        from orchestrator.stacks.todo import images
    except ImportError:
        return "n/a (the docker Python package is not installed)"
    try:
        client = images.docker_client(timeout=5)
        if name is None:
            tag = images.image_tag(
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


def print_table(results: list[Result], levels: list[int], seconds: int, server: str) -> None:
    by_key = {(r.mode, r.operation, r.level): r for r in results}
    print()
    print(f"TODO API on {server}, one uvicorn worker, {seconds:g} s per cell, wrk clients")
    header = f"{'operation':<9}{'clients':>8}"
    for mode in MODES:
        header += f" | {mode + ' req/s':>17}{'p50':>7}{'p99':>8}{'err':>5}"
    print(header + f" | {'app/per-req':>11}{'app/const':>10}")
    for operation in OPERATIONS:
        for level in levels:
            line = f"{operation:<9}{level:>8}"
            for mode in MODES:
                r = by_key[(mode, operation, level)]
                line += f" | {r.requests_per_s:>17.0f}{r.p50_ms:>7.1f}{r.p99_ms:>8.1f}{r.errors:>5}"
            app = by_key[("app", operation, level)].requests_per_s
            baseline = by_key[("per-request", operation, level)].requests_per_s
            ceiling = by_key[("constant", operation, level)].requests_per_s
            print(line + f" | {app / baseline:>10.2f}x{app / ceiling:>9.0%}")
    print("(latencies in ms; err = non-2xx answers plus socket errors)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--levels", default=",".join(map(str, LEVELS)), help="client concurrencies, comma-separated"
    )
    parser.add_argument("--duration", type=int, default=3, help="seconds per measurement")
    parser.add_argument("--port", type=int, default=4664)
    parser.add_argument("--image", default=None, help="image to size (default: the current build)")
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 1
    levels = [int(level) for level in args.levels.split(",")]

    server = mysql_server_url()
    try:
        probe = create_engine(server, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            version = connection.execute(text("SELECT VERSION()")).scalar()
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means the same thing here
        print(f"MariaDB not reachable ({exc}): run .ci/setup_mariadb.sh", file=sys.stderr)
        return 1

    results: list[Result] = []
    liveness: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-todo-") as scratch:
        scripts = {}
        for operation, source in SCRIPTS.items():
            scripts[operation] = Path(scratch) / f"{operation}.lua"
            scripts[operation].write_text(source.format(n=SEEDED_TASKS) + "\n")
        for mode in MODES:
            with fresh_mysql_database(server, prefix="todo_bench") as database:
                port = free_port(range(args.port, args.port + 6))
                with running_server(mode, database, port) as base:
                    if mode != "constant":
                        seed(database)  # after the app's start-up migrations made the table
                    found, probed = run_mode(mode, base, scripts, levels, args.duration)
                    results += found
                    liveness += probed
    print_table(results, levels, args.duration, f"MariaDB {version}")
    print()
    if liveness:
        cuts = statistics.quantiles(liveness, n=100)
        print(
            f"liveness GET / while the app serves {max(levels)} clients: {len(liveness)} probes, "
            f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(liveness):.1f} ms"
        )
    print(f"image size: {image_size(args.image)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
