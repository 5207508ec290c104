"""The monthly idle cost of a stack, read from a plan or a state (``terraform show -json``).

Idle means deployed and running, with no requests: what the budget pays every hour for existing.
Sizes come from the planned (or applied) resources, never from the variables, so the estimate
matches what is deployed. Prices are the dated table in ``prices_us_east_1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator import prices_us_east_1 as prices

H = prices.HOURS_PER_MONTH
# An ALB spans at least two zones; used when a plan does not know its subnets yet.
ASSUMED_ZONES = 2


@dataclass(frozen=True)
class CostLine:
    item: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass
class CostEstimate:
    lines: list[CostLine] = field(default_factory=list)
    # Resource types billed by use only, with how many the stack has.
    usage_based: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Where the stack runs, when the plan or state tells (None: unknown).
    region: str | None = None

    @property
    def monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def daily(self) -> float:
        return self.monthly * 24 / H

    def line(self, item: str) -> CostLine:
        for line in self.lines:
            if line.item == item:
                return line
        raise KeyError(item)

    def _table(self) -> list[str]:
        rows = [("item", "quantity", "unit price", "monthly")]
        for line in self.lines:
            rows.append(
                (
                    line.item,
                    f"{_number(line.quantity)} {line.unit}",
                    _price(line.unit_price),
                    f"${line.monthly:,.2f}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return [
            f"  {a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d:>{widths[3]}}"
            for a, b, c, d in rows
        ]

    def _totals(self) -> str:
        return (
            f"Idle cost: ${self.monthly:,.2f} a month, ${self.daily:,.2f} a day "
            f"(us-east-1 on-demand prices as of {prices.PRICES_AS_OF})."
        )

    def region_warning(self) -> str | None:
        """Prices differ by region (often 5-30 % above us-east-1): say so when it is another."""
        if self.region is None or self.region == prices.REGION:
            return None
        return (
            f"WARNING: the stack is in {self.region}, but these figures are {prices.REGION}'s "
            f"prices; {self.region} may cost more (see the AWS pricing pages for that region)."
        )

    def render(self) -> str:
        lines = self._table() if self.lines else ["  nothing billed by the hour"]
        lines += ["", self._totals()]
        lines.append(
            "Usage comes on top: requests, storage growth, logs, data transfer, LCUs under load."
        )
        if self.usage_based:
            lines.append("Billed by use only (about $0 idle):")
            for kind, count in sorted(self.usage_based.items()):
                lines.append(f"  {count} x {prices.USAGE_BASED[kind]}")
        lines += [f"Note: {note}" for note in self.notes]
        lines.append(f"Prices: {prices.SOURCE}.")
        warning = self.region_warning()
        if warning:
            lines.append(warning)
        return "\n".join(lines)

    def render_short(self) -> str:
        """The few lines printed before an apply on AWS."""
        parts = ", ".join(f"{line.item} ${line.monthly:,.2f}" for line in self.lines)
        lines = [self._totals()]
        if parts:
            lines.append(f"  {parts}; usage (requests, storage, data transfer) on top.")
        lines += [f"  Note: {note}" for note in self.notes]
        warning = self.region_warning()
        if warning:
            lines.append(f"  {warning}")
        return "\n".join(lines)


def _price(value: float) -> str:
    """$0.40, $0.0225, $0.004445: cents always, more digits only when the price has them."""
    digits = f"{value:.6f}".rstrip("0")
    whole, _, cents = digits.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0")


def resources(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Managed resources of a plan (its planned values) or of a state, child modules included."""
    values = document.get("planned_values") or document.get("values") or {}
    pending = [values.get("root_module", {})]
    while pending:
        module = pending.pop()
        for resource in module.get("resources", []):
            if resource.get("mode", "managed") == "managed":
                yield resource
        pending.extend(module.get("child_modules", []))


_ARN_REGION = re.compile(r"^arn:aws[\w-]*:[\w-]+:([a-z]{2}(?:-[a-z]+)+-\d):")


def region_of(document: Mapping[str, Any], found: list[dict[str, Any]]) -> str | None:
    """The region of a plan (its ``region`` variable) or of a state (its resources' ARNs)."""
    variable = (document.get("variables") or {}).get("region") or {}
    if isinstance(variable.get("value"), str) and variable["value"]:
        return str(variable["value"])
    for resource in found:
        match = _ARN_REGION.match(str((resource.get("values") or {}).get("arn") or ""))
        if match:
            return match.group(1)
    return None


def _of_type(found: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r.get("values") or {} for r in found if r.get("type") == kind]


def _first(block: Any) -> dict[str, Any]:
    """A nested block: a list of one object in the JSON, or nothing."""
    if isinstance(block, list) and block and isinstance(block[0], dict):
        return block[0]
    return {}


def estimate(document: Mapping[str, Any]) -> CostEstimate:
    """The idle monthly cost of what a ``show -json`` plan or state describes."""
    found = list(resources(document))
    result = CostEstimate(region=region_of(document, found))
    ipv4 = 0
    ipv4_guessed = False

    # ---------------------------------------------------------------- load balancers
    albs = [
        lb
        for lb in _of_type(found, "aws_lb")
        if lb.get("load_balancer_type", "application") == "application"
    ]
    if albs:
        result.lines.append(CostLine("Load balancer (ALB)", len(albs) * H, "h", prices.ALB_HOUR))
    for lb in albs:
        if lb.get("internal"):
            continue
        zones = len(lb.get("subnets") or []) or len(lb.get("subnet_mapping") or [])
        if not zones:
            zones, ipv4_guessed = ASSUMED_ZONES, True
        ipv4 += zones  # an internet-facing ALB has a public IPv4 in each of its zones

    # ------------------------------------------------------------------ ECS on Fargate
    task_defs = _of_type(found, "aws_ecs_task_definition")
    min_tasks = [
        int(t.get("min_capacity") or 0)
        for t in _of_type(found, "aws_appautoscaling_target")
        if t.get("service_namespace") == "ecs"
    ]
    for service in _of_type(found, "aws_ecs_service"):
        task_def = _task_definition(service, task_defs)
        if task_def is None:
            result.notes.append(f"no task definition found for ECS service {service.get('name')}")
            continue
        tasks = max([int(service.get("desired_count") or 0), *min_tasks])
        spot = _spot_tasks(service, tasks)
        vcpu = float(task_def.get("cpu") or 0) / 1024
        memory_gb = float(task_def.get("memory") or 0) / 1024
        arch = (_first(task_def.get("runtime_platform")).get("cpu_architecture")) or "X86_64"
        arch = "ARM64" if str(arch).upper() == "ARM64" else "X86_64"
        label = "ARM" if arch == "ARM64" else "x86"
        for share, kind, fraction in (
            (tasks - spot, "", 1.0),
            (spot, " Spot", prices.FARGATE_SPOT_FRACTION),
        ):
            if share <= 0:
                continue
            result.lines.append(
                CostLine(
                    f"Fargate{kind} vCPU ({share} x {vcpu:g} vCPU, {label})",
                    share * vcpu * H,
                    "vCPU-h",
                    prices.FARGATE_VCPU_HOUR[arch] * fraction,
                )
            )
            result.lines.append(
                CostLine(
                    f"Fargate{kind} memory ({share} x {memory_gb:g} GB)",
                    share * memory_gb * H,
                    "GB-h",
                    prices.FARGATE_GB_HOUR[arch] * fraction,
                )
            )
        if spot:
            result.notes.append(
                "Fargate Spot is priced by the market: taken as "
                f"{prices.FARGATE_SPOT_FRACTION:.0%} of on-demand"
            )
        if _first(service.get("network_configuration")).get("assign_public_ip"):
            ipv4 += tasks

    # ------------------------------------------------------------------------ RDS
    storage_gb: dict[str, float] = {}
    secrets = len(_of_type(found, "aws_secretsmanager_secret"))
    for db in _of_type(found, "aws_db_instance"):
        copies = 2 if db.get("multi_az") else 1
        klass = str(db.get("instance_class"))
        hourly = prices.RDS_MYSQL_HOUR.get(klass)
        if hourly is None:
            result.notes.append(f"no price for {klass} in the table: its hours are left out")
        else:
            az = ", Multi-AZ" if copies == 2 else ""
            result.lines.append(CostLine(f"RDS {klass}{az}", copies * H, "h", hourly))
        kind = str(db.get("storage_type") or "gp2")
        storage_gb[kind] = storage_gb.get(kind, 0) + copies * float(
            db.get("allocated_storage") or 0
        )
        if db.get("manage_master_user_password"):
            secrets += 1  # RDS keeps the master password in a secret of its own
    for kind, gb in storage_gb.items():
        unit_price = prices.RDS_STORAGE_GB_MONTH.get(kind)
        if unit_price is None:
            result.notes.append(f"no price for RDS storage type {kind}: left out")
            continue
        result.lines.append(CostLine(f"RDS storage ({kind})", gb, "GB-mo", unit_price))

    # ---------------------------------------------------------------- network extras
    nats = _of_type(found, "aws_nat_gateway")
    if nats:
        result.lines.append(CostLine("NAT gateway", len(nats) * H, "h", prices.NAT_GATEWAY_HOUR))
        ipv4 += sum(1 for n in nats if n.get("connectivity_type", "public") == "public")
    ipv4 += len(_of_type(found, "aws_eip"))
    if ipv4:
        result.lines.append(
            CostLine(f"Public IPv4 ({ipv4})", ipv4 * H, "h", prices.PUBLIC_IPV4_HOUR)
        )
        if ipv4_guessed:
            result.notes.append(
                f"a load balancer's zones are not known before apply: {ASSUMED_ZONES} assumed"
            )

    # ------------------------------------------------------------- monthly by the item
    if secrets:
        result.lines.append(
            CostLine("Secrets Manager secrets", secrets, "secret-mo", prices.SECRET_MONTH)
        )
    alarms = _of_type(found, "aws_cloudwatch_metric_alarm")
    fast = sum(1 for a in alarms if 0 < int(a.get("period") or 60) < 60)
    if len(alarms) - fast:
        result.lines.append(
            CostLine("CloudWatch alarms", len(alarms) - fast, "alarm-mo", prices.ALARM_MONTH)
        )
    if fast:
        result.lines.append(
            CostLine(
                "CloudWatch high-resolution alarms",
                fast,
                "alarm-mo",
                prices.HIGH_RESOLUTION_ALARM_MONTH,
            )
        )
    keys = _of_type(found, "aws_kms_key")
    if keys:
        result.lines.append(CostLine("KMS keys", len(keys), "key-mo", prices.KMS_KEY_MONTH))
    wcu = rcu = 0.0
    for table in _of_type(found, "aws_dynamodb_table"):
        if table.get("billing_mode") == "PROVISIONED":
            wcu += float(table.get("write_capacity") or 0)
            rcu += float(table.get("read_capacity") or 0)
    if wcu:
        result.lines.append(
            CostLine("DynamoDB write capacity", wcu * H, "WCU-h", prices.DYNAMODB_WCU_HOUR)
        )
    if rcu:
        result.lines.append(
            CostLine("DynamoDB read capacity", rcu * H, "RCU-h", prices.DYNAMODB_RCU_HOUR)
        )

    # ------------------------------------------------------------------- usage-based
    for kind in prices.USAGE_BASED:
        count = sum(1 for r in found if r.get("type") == kind)
        if count:
            result.usage_based[kind] = count
    return result


def _task_definition(
    service: Mapping[str, Any], task_defs: list[dict[str, Any]]
) -> dict[str, Any] | None:
    # In a plan the service names its task definition by an ARN not known yet: with one task
    # definition in the stack that is the one; otherwise match the ARN's family.
    arn = str(service.get("task_definition") or "")
    family = arn.rsplit("/", 1)[-1].split(":", 1)[0] if arn else ""
    for task_def in task_defs:
        if family and task_def.get("family") == family:
            return task_def
    return task_defs[0] if len(task_defs) == 1 else None


def _spot_tasks(service: Mapping[str, Any], tasks: int) -> int:
    """How many of ``tasks`` a capacity provider strategy puts on FARGATE_SPOT."""
    strategy = service.get("capacity_provider_strategy") or []
    if not strategy:
        return 0
    left = tasks
    placed = dict.fromkeys((s.get("capacity_provider") for s in strategy), 0)
    for item in strategy:  # the base is placed first, then the rest by weight
        base = min(int(item.get("base") or 0), left)
        placed[item.get("capacity_provider")] += base
        left -= base
    weights = {s.get("capacity_provider"): int(s.get("weight") or 0) for s in strategy}
    total = sum(weights.values())
    spot_weight = weights.get("FARGATE_SPOT", 0)
    spot = placed.get("FARGATE_SPOT", 0)
    if total and left:
        spot += round(left * spot_weight / total)
    return min(spot, tasks)
