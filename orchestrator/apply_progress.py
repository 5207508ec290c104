"""How far a terraform run is, read from its ``-json`` events: resources done of the planned
total, the ones in flight with their elapsed time, the ones that failed or were slow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.terraform import PlanSummary

# A resource slower than this gets its own line (an ALB, an RDS instance): what is slow.
SLOW_SECONDS = 30
# Actions that become apply_start/apply_complete events; a replacement is two (delete, create).
_STEPS = {"create": 1, "update": 1, "delete": 1, "replace": 2, "read": 1}
_PAST = {"create": "created", "update": "changed", "delete": "destroyed", "read": "read"}
# In-flight resources named on the progress line; the rest are counted.
SHOWN_IN_FLIGHT = 3


def short_address(resource: Mapping[str, Any]) -> str:
    """The address inside its module (``aws_lambda_function.this["load_inventory"]``): the
    module prefix is the same for every resource of a stack."""
    return str(resource.get("resource") or resource.get("addr", "?"))


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


@dataclass
class Failure:
    address: str
    action: str
    seconds: float


@dataclass
class RunProgress:
    """The state of one plan, apply or destroy, fed event by event (``now`` in seconds, any
    clock: the caller's, or the events' own timestamps in tests)."""

    verb: str  # applying, destroying, planning
    started: float
    total: int | None = None
    steps_left: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    in_flight: dict[str, tuple[str, float]] = field(default_factory=dict)  # address: short, since
    failures: list[Failure] = field(default_factory=list)
    slow: list[tuple[str, float]] = field(default_factory=list)
    read: int = 0
    changes: dict[str, Any] | None = None  # terraform's change_summary, once it came
    slow_seconds: float = SLOW_SECONDS

    def feed(self, event: Mapping[str, Any], now: float) -> str | None:
        """Take one event; return a line worth keeping (a failure, a slow resource) or None."""
        kind = event.get("type")
        hook = event.get("hook") or event.get("change") or {}
        resource = hook.get("resource") or {}
        address = str(resource.get("addr", ""))
        if kind == "planned_change":
            steps = _STEPS.get(str(hook.get("action")), 0)
            if steps and address not in self.steps_left:
                self.steps_left[address] = steps
                self.total = (self.total or 0) + 1
        elif kind == "apply_start":
            unplanned = address not in self.steps_left and address not in self.done
            if unplanned and hook.get("action") != "read":
                self.steps_left[address] = 1
                self.total = (self.total or 0) + 1
            # A data source read is shown while it runs, but is no change: not counted.
            self.in_flight[address] = (short_address(resource), now)
        elif kind == "apply_complete":
            self.in_flight.pop(address, None)
            if address not in self.steps_left:
                return None
            left = self.steps_left[address] - 1
            self.steps_left[address] = left
            if left <= 0:
                self.done.add(address)
            seconds = float(hook.get("elapsed_seconds", 0))
            if seconds >= self.slow_seconds:
                name = short_address(resource)
                self.slow.append((name, seconds))
                action = str(hook.get("action"))
                return f"  {name}: {_PAST.get(action, action)} in {duration(seconds)}"
        elif kind == "apply_errored":
            self.in_flight.pop(address, None)
            action = str(hook.get("action", "?"))
            seconds = float(hook.get("elapsed_seconds", 0))
            self.failures.append(Failure(short_address(resource), action, seconds))
            return f"  FAILED {short_address(resource)} ({action}, after {duration(seconds)})"
        elif kind == "refresh_complete":
            self.read += 1
        elif kind == "change_summary":
            changes = event.get("changes") or {}
            if changes.get("operation") in ("apply", "destroy"):
                self.changes = dict(changes)
        return None

    def status_line(self, now: float) -> str:
        """``applying: 14/31 done; aws_lambda_function.loader 12 s, aws_s3_bucket.site 3 s``."""
        elapsed = duration(now - self.started)
        if self.total is None and not self.in_flight:
            read = f", {self.read} resources read" if self.read else ""
            return f"{self.verb}: {elapsed}{read}"
        total = "?" if self.total is None else str(self.total)
        line = f"{self.verb}: {len(self.done)}/{total} done, {elapsed}"
        if self.failures:
            line += f", {len(self.failures)} failed"
        oldest = sorted(self.in_flight.values(), key=lambda item: item[1])
        if oldest:
            named = [f"{name} {duration(now - since)}" for name, since in oldest[:SHOWN_IN_FLIGHT]]
            more = len(oldest) - SHOWN_IN_FLIGHT
            line += "; " + ", ".join(named) + (f" and {more} more" if more > 0 else "")
        return line

    def summary(self, now: float) -> str:
        """One line: what changed and how long it took, and the slowest resource."""
        took = duration(now - self.started)
        changes = self.changes or {}
        if changes.get("operation") == "destroy":
            counts = f"{changes.get('remove', len(self.done))} destroyed"
        elif changes:
            counts = (
                f"{changes.get('add', 0)} added, {changes.get('change', 0)} changed, "
                f"{changes.get('remove', 0)} destroyed"
            )
        else:
            counts = f"{len(self.done)} of {self.total or 0} resources done"
        line = f"{self._noun()} complete in {took}: {counts}"
        if self.slow:
            name, seconds = max(self.slow, key=lambda item: item[1])
            line += f"; slowest {name} ({duration(seconds)})"
        return line + "."

    def failed_summary(self, now: float) -> str:
        """One line for a run that failed: how far it got and which resources failed."""
        line = f"{self._noun()} failed after {duration(now - self.started)}"
        if self.verb != "planning":
            total = "?" if self.total is None else self.total
            line += f": {len(self.done)} of {total} done"
        if self.failures:
            line += "; failed: " + ", ".join(failure.address for failure in self.failures)
        return line

    def _noun(self) -> str:
        return {"destroying": "Destroy", "planning": "Plan"}.get(self.verb, "Apply")


def brief_plan(summary: PlanSummary, *, listed: int = 8) -> str:
    """The plan's headline, then what a reviewer looks for first: replacements and destroys,
    then changes; adds only when few (a first deploy adds everything: the log lists them)."""
    full = summary.render().splitlines()
    if len(full) <= listed + 1:
        return "\n".join(full)
    lines = [full[0]]
    for mark, title, addresses in (
        ("-/+", "replace", summary.replaces),
        ("-", "destroy", summary.destroys),
        ("~", "change", summary.changes),
        ("+", "add", summary.adds),
    ):
        room = listed - (len(lines) - 1)
        shown = addresses if len(addresses) <= room else []
        lines.extend(f"  {mark} {address}  ({title})" for address in shown)
        if addresses and not shown:
            lines.append(f"  {mark} {len(addresses)} to {title} (listed in the terraform log)")
    return "\n".join(lines)
