"""The idle cost estimate: the calculator on hand-made plan fragments, then both stacks' real
plans on the local cloud, checked against a hand computation from the price table.

GIVEN a plan (or state) as ``terraform show -json`` describes it
WHEN the orchestrator estimates its monthly idle cost
THEN each hourly or monthly resource is counted with its planned size, and the total is the sum
of quantity x unit price.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator import prices_us_east_1 as prices
from orchestrator.cli import EXIT_OK, main
from orchestrator.cost import CostEstimate, estimate
from orchestrator.deploy import StackRun
from orchestrator.stacks import get_stack
from orchestrator.targets import Target, TargetName, resolve_target
from tests.integration.local_stack import require_local_cloud_parts

H = 730.0


def resource(kind: str, label: str, /, **values: Any) -> dict[str, Any]:
    return {"address": f"{kind}.{label}", "mode": "managed", "type": kind, "values": values}


def plan_of(*found: dict[str, Any]) -> dict[str, Any]:
    """Planned values with the resources in a child module, as the stacks have them."""
    return {
        "planned_values": {
            "root_module": {"child_modules": [{"address": "module.x", "resources": list(found)}]}
        }
    }


def test_an_arm_service_half_on_spot_with_a_multi_az_database() -> None:
    # GIVEN an internet-facing ALB in three zones, four ARM tasks of 1 vCPU / 2 GB with public
    # IPs (one on FARGATE as the base, the other three split 1:1 with FARGATE_SPOT), a Multi-AZ
    # db.t4g.micro with 50 GB gp3 and a managed password, one secret and three alarms
    plan = plan_of(
        resource("aws_lb", "this", load_balancer_type="application", internal=False,
                 subnets=["a", "b", "c"]),
        resource("aws_ecs_task_definition", "this", family="t", cpu="1024", memory="2048",
                 runtime_platform=[{"cpu_architecture": "ARM64"}]),
        resource("aws_ecs_service", "this", name="s", desired_count=4,
                 network_configuration=[{"assign_public_ip": True}],
                 capacity_provider_strategy=[
                     {"capacity_provider": "FARGATE", "base": 1, "weight": 1},
                     {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 1},
                 ]),
        resource("aws_db_instance", "this", instance_class="db.t4g.micro", multi_az=True,
                 allocated_storage=50, storage_type="gp3", manage_master_user_password=True),
        resource("aws_secretsmanager_secret", "token"),
        *(resource("aws_cloudwatch_metric_alarm", f"a{i}", period=300) for i in range(3)),
        resource("aws_iam_role", "this"),
        resource("aws_lambda_function", "f"),
    )  # fmt: skip

    # WHEN it is estimated
    found = estimate(plan)

    # THEN 2 tasks run on demand (base 1 + half of 3, rounded) and 2 on Spot
    on_demand = 2 * H * (prices.FARGATE_VCPU_HOUR["ARM64"] + 2 * prices.FARGATE_GB_HOUR["ARM64"])
    spot = on_demand * prices.FARGATE_SPOT_FRACTION
    expected = (
        H * prices.ALB_HOUR
        + (3 + 4) * H * prices.PUBLIC_IPV4_HOUR
        + on_demand
        + spot
        + 2 * H * prices.RDS_MYSQL_HOUR["db.t4g.micro"]
        + 2 * 50 * prices.RDS_STORAGE_GB_MONTH["gp3"]
        + 2 * prices.SECRET_MONTH
        + 3 * prices.ALARM_MONTH
    )
    assert found.monthly == pytest.approx(expected)
    assert found.daily == pytest.approx(expected * 24 / H)
    assert found.line("Public IPv4 (7)").quantity == 7 * H
    assert found.usage_based == {"aws_lambda_function": 1, "aws_lb": 1}  # LCUs
    assert any("Spot" in note for note in found.notes)


def test_a_state_is_read_like_a_plan_and_unknown_classes_are_named() -> None:
    # GIVEN an applied state (values, not planned_values) with an instance class not in the table
    state = {
        "values": {
            "root_module": {
                "resources": [
                    resource("aws_db_instance", "db", instance_class="db.x9.huge",
                             allocated_storage=20, storage_type="gp2"),
                    resource("aws_nat_gateway", "nat"),
                ]
            }
        }
    }  # fmt: skip

    # WHEN it is estimated
    found = estimate(state)

    # THEN the storage, the NAT gateway and its address count, and the class is named as unpriced
    assert found.monthly == pytest.approx(
        20 * prices.RDS_STORAGE_GB_MONTH["gp2"]
        + H * prices.NAT_GATEWAY_HOUR
        + H * prices.PUBLIC_IPV4_HOUR
    )
    assert any("db.x9.huge" in note for note in found.notes)


def test_nothing_hourly_renders_a_zero_total() -> None:
    text = estimate(plan_of(resource("aws_s3_bucket", "b"))).render()
    assert "Idle cost: $0.00 a month, $0.00 a day" in text
    assert "S3:" in text
    assert prices.PRICES_AS_OF in text


def test_the_short_estimate_is_said_before_an_apply_on_aws_only() -> None:
    plan = plan_of(resource("aws_lb", "this", subnets=["a", "b"]))
    cases: tuple[tuple[TargetName, bool], ...] = (("aws", True), ("local", False))
    for name, expected in cases:
        said: list[str] = []
        run = StackRun(get_stack("todo"), Target(name=name, region="us-east-1"), "dev", said.append)
        run._say_cost(plan)
        assert any("Idle cost: $23.73 a month" in line for line in said) is expected


# ------------------------------------------------------------------ the stacks' real plans
@pytest.fixture
def local_target(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """The local cloud, in this test's own work dir and on a free port, stopped at teardown."""
    require_local_cloud_parts()
    monkeypatch.setenv("ORCHESTRATE_LOCAL_PORT", str(free_port(range(4600, 4620))))
    try:
        yield resolve_target("local")
    finally:
        assert main(["local", "down"]) == EXIT_OK


def local_estimate(stack: str, target: Target, **user_vars: Any) -> CostEstimate:
    found, source = StackRun(get_stack(stack), target, "costtest", print).cost(dict(user_vars))
    assert source == "a plan of the current configuration"
    return found


def test_todo_in_its_default_settings(local_target: Target) -> None:
    found = local_estimate("todo", local_target)

    # By hand: sidecar mode, one task of 0.5 vCPU / 1 GB with a public IP, an internet-facing
    # ALB in two zones (alb_zone_count) with an address in each, the sidecar's secret and the
    # five service alarms.
    zones, tasks = 2, 1
    expected = (
        H * prices.ALB_HOUR
        + (zones + tasks) * H * prices.PUBLIC_IPV4_HOUR
        + tasks * H * 0.5 * prices.FARGATE_VCPU_HOUR["X86_64"]
        + tasks * H * 1.0 * prices.FARGATE_GB_HOUR["X86_64"]
        + 1 * prices.SECRET_MONTH
        + 5 * prices.ALARM_MONTH
    )
    assert found.monthly == pytest.approx(expected)
    assert not found.notes


def test_todo_managed_with_two_tasks(local_target: Target) -> None:
    found = local_estimate("todo", local_target, db_mode="managed", desired_count=2)

    # By hand: two tasks, their two addresses and the ALB's two, a db.t3.micro with 20 GB of
    # gp3, the password secret RDS manages, five service alarms and two database alarms.
    expected = (
        H * prices.ALB_HOUR
        + (2 + 2) * H * prices.PUBLIC_IPV4_HOUR
        + 2 * H * (0.5 * prices.FARGATE_VCPU_HOUR["X86_64"] + prices.FARGATE_GB_HOUR["X86_64"])
        + H * prices.RDS_MYSQL_HOUR["db.t3.micro"]
        + 20 * prices.RDS_STORAGE_GB_MONTH["gp3"]
        + 1 * prices.SECRET_MONTH
        + 7 * prices.ALARM_MONTH
    )
    assert found.monthly == pytest.approx(expected)


def test_inventory_in_its_default_settings(
    local_target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    # Through the command line: the table, the totals and what comes on top.
    assert main(["cost", "inventory", "--target", "local", "--env", "costtest"]) == EXIT_OK
    out = capsys.readouterr().out

    # By hand: nothing runs by the hour; the alarms (one per row of the table) are the whole
    # idle cost.
    table = out[out.index("Monthly idle cost") :]
    rows = [line.split() for line in table.splitlines() if line.startswith("  CloudWatch alarms")]
    assert len(rows) == 1
    alarms = int(rows[0][2])
    assert alarms >= 3  # the functions' errors, the dead-letter queues, the stream's age
    monthly = alarms * prices.ALARM_MONTH
    assert f"Idle cost: ${monthly:.2f} a month, ${monthly * 24 / H:.2f} a day" in out
    assert "Usage comes on top" in out
    for usage_based in ("Lambda:", "DynamoDB on-demand:", "S3:", "API Gateway HTTP API:"):
        assert usage_based in out


def test_todo_on_arm64_is_priced_at_the_arm_rates(local_target: Target) -> None:
    found = local_estimate("todo", local_target, cpu_architecture="ARM64")

    # By hand: the default task (0.5 vCPU / 1 GB) at Fargate's Linux/ARM prices
    assert prices.FARGATE_VCPU_HOUR["ARM64"] == 0.03238
    assert prices.FARGATE_GB_HOUR["ARM64"] == 0.00356
    vcpu = found.line("Fargate vCPU (1 x 0.5 vCPU, ARM)")
    memory = found.line("Fargate memory (1 x 1 GB)")
    assert vcpu.monthly == pytest.approx(0.5 * H * 0.03238)
    assert memory.monthly == pytest.approx(1.0 * H * 0.00356)
    assert found.region == "us-east-1" and found.region_warning() is None


def test_a_plan_in_another_region_warns_that_the_prices_are_us_east_1s(
    local_target: Target,
) -> None:
    found = local_estimate("todo", local_target, region="eu-west-1")

    assert found.region == "eu-west-1"
    for text in (found.render(), found.render_short()):
        assert "WARNING: the stack is in eu-west-1, but these figures are us-east-1's" in text


def test_the_region_of_a_state_comes_from_its_arns() -> None:
    arn = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:loadbalancer/app/x/1"
    state = {"values": {"root_module": {"resources": [resource("aws_lb", "this", arn=arn)]}}}

    found = estimate(state)

    assert found.region == "ap-southeast-2"
    assert "ap-southeast-2" in (found.region_warning() or "")
    assert estimate(plan_of(resource("aws_lb", "this"))).region_warning() is None  # unknown
