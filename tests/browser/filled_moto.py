"""A moto server whose inventory is filled in its own process before it serves: the way to get
1,000,000 real table items into moto within a test's time (over HTTP it takes many minutes).

    python -m tests.browser.filled_moto --port 4655 --stores 1000 --items 1000 --threshold 5

The tables are created through the DynamoDB API as the spec defines them (the inventory with its
sparse ``low-stock`` index, the stores summary). The first store's items go through the API
(BatchWriteItem), which proves their shape; the rest are moto ``Item`` objects put where its
``Table.put_item`` puts them (``table.items[store][item]``), without re-checking each one: real
table items, carrying ``low_stock`` when below the threshold, so the index holds exactly those
(about 35 s for a million instead of about 50 s through ``put_item``, many minutes over HTTP).
The stores table is written through the API with the counts the stream would maintain. The
process prints ``READY <items> <seconds>`` when it serves, and runs until terminated.

moto answers every Query by sorting the whole table (``Table.all_items``) and then filtering it:
at a million items one Query takes seconds, which no real table does. ``speed_up_queries``
hands moto's own Query only the items that can match (the queried partition; for an index,
the items that carry the index's key attributes, which is what a sparse index holds), so
answers are the same and the time is the partition's, not the table's.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import moto
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Item, Table
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from devtools.inventory_table import create_inventory_table
from orchestrator.processes import stop_child
from tests.inventory_api_tables import (
    LOW_STOCK_VALUE,
    create_stores_table,
    inventory_item,
    summary_item,
)

MOTO_VERSION = "5.2.5"
REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"

_candidates = threading.local()


def item_count(store: int, item: int) -> int:
    """The count of item ``item`` of store ``store``: 0-99, about 5% below a threshold of 5."""
    return (store * 7919 + item * 104729) % 100


def store_name(store: int) -> str:
    return f"store-{store:04d}"


def item_name(item: int) -> str:
    return f"item-{item:04d}"


def speed_up_queries() -> None:
    """Let moto's Query see only the items that can match (see the module docstring)."""
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(f"filled_moto patches moto {MOTO_VERSION}, found {moto.__version__}")
    original_query: Callable[..., Any] = Table.query
    original_all_items: Callable[[Table], list[Any]] = Table.all_items
    signature = inspect.signature(original_query)
    for name in ("hash_key", "index_name"):
        if name not in signature.parameters:
            raise RuntimeError(f"moto's Table.query has no {name!r} parameter any more")
    if "for item in self.all_items()" not in inspect.getsource(original_query):
        raise RuntimeError("moto's Table.query no longer reads Table.all_items()")

    def all_items(self: Table) -> list[Any]:
        override = getattr(_candidates, "items", None)
        return original_all_items(self) if override is None else override

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        index_name, hash_key = arguments.get("index_name"), arguments.get("hash_key")
        if index_name:
            index = self.get_index(index_name)
            needed = [key["AttributeName"] for key in index.schema]
            candidates = [
                item
                for partition in self.items.values()
                for item in partition.values()
                if all(name in item.attrs for name in needed)
            ]
        elif hash_key is not None and self.range_key_attr:
            partition = self.items[hash_key] if hash_key in self.items else {}
            candidates = list(partition.values())
        else:
            return original_query(self, *args, **kwargs)
        _candidates.items = candidates
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _candidates.items = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]


def fill(endpoint: str, args: argparse.Namespace) -> int:
    dynamodb = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    # No stream: a million stream records would only cost memory; the stream is not under test.
    inventory = create_inventory_table(dynamodb, args.table, stream=False)
    create_stores_table(dynamodb, args.stores_table)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(args.table)
    written = 0
    with dynamodb.Table(args.stores_table).batch_writer() as summaries:
        for s in range(args.stores):
            rows = [(item_name(i), item_count(s, i)) for i in range(args.items)]
            if s == 0:
                with inventory.batch_writer() as batch:
                    for item, count in rows:
                        batch.put_item(
                            Item=inventory_item(store_name(s), item, count, args.threshold)
                        )
            else:
                store = {"S": store_name(s)}
                partition = table.items[DynamoType(store)]
                for item, count in rows:
                    attributes = {"store": store, "item": {"S": item}, "count": {"N": str(count)}}
                    if count < args.threshold:
                        attributes["low_stock"] = {"S": LOW_STOCK_VALUE}
                    row = Item(DynamoType(store), DynamoType(attributes["item"]), attributes)
                    partition[row.range_key] = row
            written += len(rows)
            low = sum(1 for _, count in rows if count < args.threshold)
            summaries.put_item(Item=summary_item(store_name(s), args.items, low))
    return written


@contextmanager
def filled_moto_server(
    port: int,
    log_path: Path,
    *,
    stores: int,
    items: int,
    threshold: int,
    table: str,
    stores_table: str,
    timeout: float = 300,
) -> Iterator[tuple[str, float]]:
    """Run this module in a child process; yield (endpoint, seconds it took to fill)."""
    command = [sys.executable, "-m", "tests.browser.filled_moto", "--port", str(port)]
    command += ["--stores", str(stores), "--items", str(items), "--threshold", str(threshold)]
    command += ["--table", table, "--stores-table", stores_table]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            lines: queue.Queue[str] = queue.Queue()
            reader = threading.Thread(
                target=lambda: lines.put(process.stdout.readline() if process.stdout else ""),
                daemon=True,
            )
            reader.start()
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError(
                    f"moto was not filled within {timeout} s: see {log_path}"
                ) from None
            if not line.startswith("READY "):
                raise RuntimeError(f"the filled moto server failed: see {log_path}")
            yield f"http://127.0.0.1:{port}", float(line.split()[2])
        finally:
            stop_child(process, timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stores", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--table", default="inventory-scale")
    parser.add_argument("--stores-table", default="inventory-scale-stores")
    args = parser.parse_args(argv)

    speed_up_queries()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    started = time.perf_counter()
    written = fill(f"http://127.0.0.1:{args.port}", args)
    print(f"READY {written} {time.perf_counter() - started:.1f}", flush=True)
    stop.wait()
    server.stop()
    sys.stdout.flush()
    # Freeing a million objects one by one takes longer than the whole test; the OS does it at once.
    os._exit(0)


if __name__ == "__main__":
    main()
