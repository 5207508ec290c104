"""Redeploy benchmark: a one-line change to one handler against a deploy that changes nothing.

    python -m bench.lambda_redeploy [--function notify_low_stock] [--rounds 3] [--port N]

Deploys the inventory stack on a private local cloud (a temporary ``ORCHESTRATE_HOME`` on a free
port, always destroyed) from a temporary copy of ``app_inventory/`` (the repository's files are
never touched), then, for each round, times a deploy with nothing changed and a deploy after one
line was added to one handler in the copy. Each deploy is the whole command (packaging, init,
plan, apply). Printed: the resources each plan changed, the medians, and their ratio (goal: 1
resource changed, at most 1.5x the no-change deploy).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devtools.inventory_sources import change_one_line, copy_inventory_sources
from devtools.ports import free_port

PORTS = range(4720, 4740)
ENVIRONMENT = "redeploy"
RATIO_GOAL = 1.5
_PLAN_LINE = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.")


def say(line: str = "") -> None:
    print(line, flush=True)


@dataclass
class Deploys:
    """Seconds and resources changed of each timed deploy, by kind."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    changed: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, changed: int) -> None:
        self.seconds.setdefault(kind, []).append(seconds)
        self.changed.setdefault(kind, []).append(changed)

    def median(self, kind: str) -> float:
        return statistics.median(self.seconds[kind])


class Log:
    """The orchestrator's lines go to a file; the plan's totals are kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = 0

    def __call__(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        if "No changes." in line:
            self.changed = 0
        found = _PLAN_LINE.search(line)
        if found:
            # Resources added, changed or destroyed (a replacement counts once as an add).
            self.changed = int(found[1]) + int(found[2]) + int(found[3])


@contextlib.contextmanager
def private_local_cloud(work: Path, port: int) -> Iterator[None]:
    """A private ORCHESTRATE_HOME and port; destroy the stack and stop the cloud at the end."""
    from orchestrator.cli import main

    saved = dict(os.environ)
    os.environ["ORCHESTRATE_HOME"] = str(work / "orchestrate")
    os.environ["ORCHESTRATE_LOCAL_PORT"] = str(port)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    log = work / "teardown.log"
    try:
        yield
    finally:
        say("Destroying the stack and stopping the local cloud...")
        try:
            with log.open("a") as handle, contextlib.redirect_stdout(handle):
                main(["destroy", "inventory", "--target", "local", "--env", ENVIRONMENT])
        finally:
            with log.open("a") as handle, contextlib.redirect_stdout(handle):
                main(["local", "down"])
            os.environ.clear()
            os.environ.update(saved)


def measure(function: str, rounds: int, work: Path, port: int) -> tuple[float, Deploys]:
    from orchestrator.deploy import StackRun
    from orchestrator.stacks.inventory import inventory_from
    from orchestrator.targets import resolve_target

    sources = copy_inventory_sources(work / "src")
    log = Log(work / "orchestrate.log")
    deploys = Deploys()
    with private_local_cloud(work, port):
        target = resolve_target("local")
        run = StackRun(inventory_from(sources), target, ENVIRONMENT, log)
        say(f"First deploy of the inventory stack (log: {log.path})...")
        started = time.monotonic()
        run.deploy({})
        first = time.monotonic() - started
        say(f"  {first:.1f} s, {log.changed} resources")
        for round_ in range(1, rounds + 1):
            for kind in ("no change", "one-line change"):
                if kind == "one-line change":
                    change_one_line(sources, function)
                started = time.monotonic()
                run.deploy({})
                seconds = time.monotonic() - started
                deploys.add(kind, seconds, log.changed)
                say(f"  round {round_}: {kind:<16} {log.changed} changed  {seconds:6.1f} s")
    return first, deploys


def print_summary(function: str, first: float, deploys: Deploys) -> None:
    say()
    say(f"Inventory redeploy on the local cloud ({os.cpu_count()} CPUs), change to {function}:")
    say(f"  first deploy                          {first:6.1f} s")
    for kind in ("no change", "one-line change"):
        changed = ",".join(str(n) for n in sorted(set(deploys.changed[kind])))
        say(
            f"  {kind:<16} resources changed {changed:<4} {deploys.median(kind):6.1f} s "
            f"(median of {len(deploys.seconds[kind])})"
        )
    ratio = deploys.median("one-line change") / deploys.median("no change")
    say(f"  ratio one-line change / no change     {ratio:6.2f}  (goal <= {RATIO_GOAL})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--function", default="notify_low_stock", help="the handler to change")
    parser.add_argument("--rounds", type=int, default=3, help="timed pairs of deploys")
    parser.add_argument("--port", type=int, help="local cloud port (default: free in 4720-4739)")
    args = parser.parse_args(argv)
    if not os.environ.get("TF_PROVIDER_MIRROR"):
        say("note: TF_PROVIDER_MIRROR is not set; terraform init needs the registry or a mirror")
    with tempfile.TemporaryDirectory(prefix="bench-redeploy-") as temporary:
        first, deploys = measure(
            args.function, args.rounds, Path(temporary), args.port or free_port(PORTS)
        )
    print_summary(args.function, first, deploys)
    return 0


if __name__ == "__main__":
    sys.exit(main())
