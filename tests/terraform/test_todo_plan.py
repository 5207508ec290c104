"""Plan assertions on the ecs_todo module, through the todo root configuration.

GIVEN the todo stack initialised in a throwaway data dir, with a moto server answering the data
sources (default VPC, subnets, zones) and the random password
WHEN terraform plans it in sidecar mode with created roles, in managed mode with the Learner Lab
role, protected (a bearer token, HTTPS, alarm email), or with inputs it must refuse
THEN the planned resources carry the settings the design asks for, and refused inputs fail with
a message that says why.

Values AWS only makes at apply time (secret ARNs, the database address, security group IDs) are
unknown in a plan: the rules between security groups are checked through the configuration's
references, and the task's container definitions by the module's own ``terraform test`` runs,
which supply those values with overrides.
"""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.terraform.tf_helpers import Plan, Stack, TerraformFailed, emulator_env

TODO_MODULE = REPO_ROOT / "terraform" / "modules" / "ecs_todo"
M = "module.todo"
ENVIRONMENT = "plantest"
PREFIX = f"todo-{ENVIRONMENT}"
IMAGE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{PREFIX}:3f9c2a"
LAB_ROLE = "arn:aws:iam::123456789012:role/LabRole"
TAGS = {"Suite": "terraform-plan"}
SIDECAR_ONLY_MESSAGE = (
    'db_mode = "sidecar" runs MySQL inside the task: each task would have its own database, '
    'so desired_count must be 1; use db_mode = "managed" to scale out.'
)
OUTPUTS = {
    "alb_dns_name",
    "api_base_url",
    "docs_url",
    "ecr_repository_url",
    "ecr_repository_name",
    "cluster_name",
    "service_name",
    "task_definition_arn",
    "container_name",
    "target_group_arn",
    "log_group_name",
    "db_log_group_name",
    "db_mode",
    "db_endpoint",
    "db_secret_arn",
    "autoscaling_range",
    "uses_lab_role",
    "api_auth",
    "api_auth_reads",
    "api_token_secret_arn",
    "https_enabled",
    "alarms_topic_arn",
    "alarm_names",
}
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
SERVICE_ALARMS = {
    "alb-5xx": ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
    "target-5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
    "unhealthy-tasks": ("AWS/ApplicationELB", "UnHealthyHostCount"),
    "cpu": ("AWS/ECS", "CPUUtilization"),
    "memory": ("AWS/ECS", "MemoryUtilization"),
}
DATABASE_ALARMS = {
    "db-free-storage": ("AWS/RDS", "FreeStorageSpace"),
    "db-connections": ("AWS/RDS", "DatabaseConnections"),
}


def todo_vars(**overrides: Any) -> dict[str, Any]:
    return {"environment": ENVIRONMENT, "image_uri": IMAGE, "tags": TAGS, **overrides}


def refused(stack: Stack, name: str, variables: dict[str, Any]) -> str:
    """Terraform's output for a plan that must fail, with line wrapping undone."""
    with pytest.raises(TerraformFailed) as failure:
        stack.plan(name, variables)
    return " ".join(line.strip(" │╷╵") for line in failure.value.output.splitlines())


def module_config(plan: Plan) -> dict[str, dict[str, Any]]:
    """The module's resource blocks from the plan's configuration, by address within it."""
    module = plan.data["configuration"]["root_module"]["module_calls"]["todo"]["module"]
    return {resource["address"]: resource for resource in module["resources"]}


def references(plan: Plan, address: str, attribute: str) -> set[str]:
    """The objects an argument of a resource block refers to (``aws_security_group.alb``)."""
    expression = module_config(plan)[address]["expressions"].get(attribute, {})
    return {
        re.sub(r"\[[^\]]*\]", "", ref)
        for ref in expression.get("references", [])
        if re.fullmatch(r"\w+\.\w+(\[[^\]]*\])?", ref)
    }


def rules_of_group(plan: Plan, rule_type: str, group: str) -> list[str]:
    """Addresses of the rules of one kind whose security group is ``group``."""
    return sorted(
        address
        for address, block in module_config(plan).items()
        if block["type"] == rule_type and group in references(plan, address, "security_group_id")
    )


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def sidecar_plan(todo_stack: Stack) -> Plan:
    """The defaults: sidecar database, one task, roles created by the module."""
    return todo_stack.plan("sidecar", todo_vars())


@pytest.fixture(scope="module")
def managed_plan(todo_stack: Stack) -> Plan:
    """RDS, two tasks to start with, autoscaling between 2 and 6 at 55 % CPU, the lab role,
    Fargate Spot, Graviton (ARM64)."""
    return todo_stack.plan(
        "managed",
        todo_vars(
            db_mode="managed",
            capacity="FARGATE_SPOT",
            cpu_architecture="ARM64",
            desired_count=2,
            autoscaling={"min": 2, "max": 6, "cpu_target": 55},
            ecr_keep_images=7,
            lab_role_arn=LAB_ROLE,
        ),
    )


@pytest.fixture(scope="module")
def protected_plan(todo_stack: Stack) -> Plan:
    """A bearer token for reads and writes, HTTPS on a domain of one's own, alarms by email."""
    return todo_stack.plan(
        "protected",
        todo_vars(
            api_auth="token",
            api_auth_reads=True,
            certificate_arn=CERTIFICATE,
            domain_name="todo.example.com",
            alarm_email="oncall@example.com",
            alarm_thresholds={"cpu_percent": 70},
        ),
    )


@pytest.fixture(scope="module")
def refusals(todo_stack: Stack) -> str:
    """One plan with several refused inputs: Terraform reports every invalid variable at once
    (a plan costs seconds, mostly the provider starting); each message names its own cause."""
    return refused(
        todo_stack,
        "refused",
        todo_vars(
            desired_count=2,
            autoscaling={"max": 3},
            cpu=256,
            memory=4096,
            api_auth="basic",
            certificate_arn="arn:aws:iam::123456789012:server-certificate/todo",
            alarm_thresholds={"memory_percent": 120},
            capacity="FARGATE_SPOT",
            alb_zone_count=1,
            cpu_architecture="arm64",
        ),
    )


# ------------------------------------------------------------------------- refused inputs
def test_sidecar_with_two_tasks_is_refused_with_the_reason(refusals: str) -> None:
    assert SIDECAR_ONLY_MESSAGE in refusals


def test_sidecar_with_autoscaling_beyond_one_task_is_refused(refusals: str) -> None:
    assert "so the service cannot scale beyond 1 task" in refusals
    assert 'use db_mode = "managed" to autoscale' in refusals


def test_memory_must_fit_the_fargate_cpu_size(refusals: str) -> None:
    assert "memory is not a Fargate combination with cpu" in refusals


def test_cpu_architecture_must_be_a_fargate_one(refusals: str) -> None:
    assert 'cpu_architecture must be "X86_64" or "ARM64"' in refusals


def test_api_auth_must_be_none_or_token(refusals: str) -> None:
    assert 'api_auth must be "none" (an open API) or "token"' in refusals


def test_reads_cannot_need_a_token_the_api_does_not_have(todo_stack: Stack) -> None:
    # A plan of its own: with api_auth itself refused, Terraform skips the rules that read it.
    output = refused(todo_stack, "reads-without-token", todo_vars(api_auth_reads=True))

    assert 'api_auth_reads = true needs api_auth = "token"' in output


def test_certificate_must_be_an_acm_certificate_arn(refusals: str) -> None:
    assert "certificate_arn must be an ACM certificate ARN" in refusals


def test_alarm_thresholds_are_checked(refusals: str) -> None:
    assert "alarm_thresholds needs" in refusals


def test_spot_capacity_is_refused_with_the_sidecar(refusals: str) -> None:
    assert 'capacity = "FARGATE_SPOT" needs db_mode = "managed"' in refusals
    assert "a Spot interruption stops the task" in refusals


def test_the_load_balancer_needs_at_least_two_zones(refusals: str) -> None:
    assert "alb_zone_count must be a whole number from 2 to 6" in refusals


@pytest.mark.parametrize("environment", ["dev-", "qa--1", "-dev", "Dev", "thirteen-char"])
def test_environment_names_aws_would_refuse_are_refused(
    todo_stack: Stack, environment: str
) -> None:
    # RDS identifiers (<name>-<environment>-db) may not end with a hyphen or hold "--"; load
    # balancer and target group names are limited to 32 characters.
    output = refused(todo_stack, "bad-environment", todo_vars(environment=environment))

    assert "environment must be 1 to 12 lowercase letters, digits and single hyphens" in output


def test_managed_mode_accepts_several_tasks(managed_plan: Plan) -> None:
    assert managed_plan.one("aws_ecs_service", "this")["desired_count"] == 2


def test_a_full_plan_without_an_image_says_how_to_make_one(todo_stack: Stack) -> None:
    variables = todo_vars()
    del variables["image_uri"]

    output = refused(todo_stack, "no-image", variables)

    assert "image_uri is null" in output
    assert "-target=module.<name>.aws_ecr_repository.this" in output


# ------------------------------------------------------------------------------- databases
def test_managed_mode_creates_a_private_encrypted_mysql_8_4_with_a_managed_password(
    managed_plan: Plan,
) -> None:
    db = managed_plan.one("aws_db_instance", "this", 0)

    # 8.4 LTS: a new 8.0 instance would be enrolled in paid Extended Support.
    assert (db["engine"], db["engine_version"]) == ("mysql", "8.4")
    # A major upgrade (8.0 to 8.4) only when asked for (db_allow_major_version_upgrade).
    assert db["allow_major_version_upgrade"] is False
    assert db["manage_master_user_password"] is True
    assert db.get("password") is None
    assert db["publicly_accessible"] is False
    assert db["storage_encrypted"] is True
    assert (db["db_name"], db["username"], db["instance_class"]) == ("todo", "todo", "db.t3.micro")
    assert (db["skip_final_snapshot"], db["deletion_protection"]) == (True, False)
    assert f"{M}.aws_db_subnet_group.this[0]" in managed_plan.addresses
    # RDS keeps the password in its own secret: the module makes none.
    assert not managed_plan.of_type("aws_secretsmanager_secret")


def test_managed_mode_autoscales_on_cpu_between_min_and_max(managed_plan: Plan) -> None:
    target = managed_plan.one("aws_appautoscaling_target", "this", 0)
    policy = managed_plan.one("aws_appautoscaling_policy", "cpu", 0)
    tracking = policy["target_tracking_scaling_policy_configuration"][0]

    assert (target["min_capacity"], target["max_capacity"]) == (2, 6)
    assert target["resource_id"] == f"service/{PREFIX}/{PREFIX}"
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    assert policy["policy_type"] == "TargetTrackingScaling"
    assert tracking["target_value"] == 55
    metric = tracking["predefined_metric_specification"][0]["predefined_metric_type"]
    assert metric == "ECSServiceAverageCPUUtilization"


def test_sidecar_mode_has_no_rds_and_no_autoscaling(sidecar_plan: Plan) -> None:
    types = {change["type"] for change in sidecar_plan.changes}

    assert not types & {
        "aws_db_instance",
        "aws_db_subnet_group",
        "aws_appautoscaling_target",
        "aws_appautoscaling_policy",
    }
    assert f"{M}.aws_security_group.db[0]" not in sidecar_plan.addresses
    assert f"{M}.aws_cloudwatch_log_group.db[0]" in sidecar_plan.addresses


def test_sidecar_password_is_written_only_to_secrets_manager(sidecar_plan: Plan) -> None:
    secret = sidecar_plan.one("aws_secretsmanager_secret", "sidecar", 0)
    version = sidecar_plan.one("aws_secretsmanager_secret_version", "sidecar", 0)

    assert secret["recovery_window_in_days"] == 0
    # Write-only: the generated password is in neither the plan nor the state.
    assert version.get("secret_string") is None
    assert version.get("secret_string_wo") is None
    assert version["secret_string_wo_version"] == 1


def test_container_definitions_and_execution_policy(
    tmp_path_factory: pytest.TempPathFactory, todo_stack: Stack, moto_endpoint: str
) -> None:
    """The module's terraform test runs: secrets by reference, sidecar health and order."""
    copy = tmp_path_factory.mktemp("ecs-todo-module") / "ecs_todo"
    # A copy, so that init's lock file for the module stays out of the repository.
    shutil.copytree(TODO_MODULE, copy, ignore=shutil.ignore_patterns(".terraform*"))
    module = Stack(
        config_dir=copy, work_dir=copy.parent / "work", extra_env=emulator_env(moto_endpoint)
    )
    module.work_dir.mkdir()
    module.run("init", "-no-color", "-backend=false")

    output = module.run("test", "-no-color")

    assert 'run "sidecar"... pass' in output
    assert 'run "managed"... pass' in output
    assert 'run "token"... pass' in output
    # Rotation: DB_SECRET_ARN and the task role's read permission; RDS version variables.
    assert 'run "managed_lab_role"... pass' in output
    assert 'run "major_version_upgrade"... pass' in output
    assert 'run "engine_version_refused"... pass' in output


# ------------------------------------------------------------------------------------ access
def test_the_api_is_open_by_default_with_no_token_and_plain_http(sidecar_plan: Plan) -> None:
    outputs = sidecar_plan.data["planned_values"]["outputs"]

    assert not sidecar_plan.of_type("aws_secretsmanager_secret").keys() - {
        f"{M}.aws_secretsmanager_secret.sidecar[0]"
    }
    assert f"{M}.aws_lb_listener.https[0]" not in sidecar_plan.addresses
    assert (outputs["api_auth"]["value"], outputs["https_enabled"]["value"]) == ("none", False)
    assert outputs["api_token_secret_arn"].get("value") is None


def test_token_is_written_only_to_its_own_secret(protected_plan: Plan) -> None:
    secret = protected_plan.one("aws_secretsmanager_secret", "api_token", 0)
    version = protected_plan.one("aws_secretsmanager_secret_version", "api_token", 0)
    outputs = protected_plan.data["planned_values"]["outputs"]

    assert secret["name"] == f"{PREFIX}-api-token"
    assert secret["recovery_window_in_days"] == 0
    # Write-only: the generated token is in neither the plan nor the state.
    assert version.get("secret_string") is None
    assert version.get("secret_string_wo") is None
    assert version["secret_string_wo_version"] == 1
    assert (outputs["api_auth"]["value"], outputs["api_auth_reads"]["value"]) == ("token", True)


def test_with_a_certificate_https_serves_and_http_redirects(protected_plan: Plan) -> None:
    https = protected_plan.one("aws_lb_listener", "https", 0)
    http = protected_plan.one("aws_lb_listener", "http")
    [redirect] = http["default_action"][0]["redirect"]
    rules = protected_plan.of_type("aws_vpc_security_group_ingress_rule")
    outputs = protected_plan.data["planned_values"]["outputs"]

    assert (https["port"], https["protocol"], https["certificate_arn"]) == (
        443,
        "HTTPS",
        CERTIFICATE,
    )
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["default_action"][0]["type"] == "forward"
    assert http["default_action"][0]["type"] == "redirect"
    assert (redirect["protocol"], redirect["port"], redirect["status_code"]) == (
        "HTTPS",
        "443",
        "HTTP_301",
    )
    alb_https = rules[f'{M}.aws_vpc_security_group_ingress_rule.alb_https["0.0.0.0/0"]']
    assert (alb_https["from_port"], alb_https["to_port"]) == (443, 443)
    assert outputs["api_base_url"]["value"] == "https://todo.example.com"
    assert outputs["docs_url"]["value"] == "https://todo.example.com/docs"
    assert outputs["https_enabled"]["value"] is True


# ------------------------------------------------------------------------------------ alarms
def alarms_by_key(plan: Plan) -> dict[str, dict[str, Any]]:
    prefix = f"{M}.aws_cloudwatch_metric_alarm.this"
    return {
        address.removeprefix(prefix)[2:-2]: alarm
        for address, alarm in plan.of_type("aws_cloudwatch_metric_alarm").items()
    }


def test_alarms_watch_the_load_balancer_and_the_service(sidecar_plan: Plan) -> None:
    alarms = alarms_by_key(sidecar_plan)

    # No managed database: no database alarms.
    assert {key: (a["namespace"], a["metric_name"]) for key, a in alarms.items()} == SERVICE_ALARMS
    assert {a["treat_missing_data"] for a in alarms.values()} == {"notBreaching"}
    assert alarms["cpu"]["dimensions"] == {"ClusterName": PREFIX, "ServiceName": PREFIX}
    assert alarms["memory"]["threshold"] == 85
    assert sidecar_plan.one("aws_sns_topic", "alarms")["name"] == f"{PREFIX}-alarms"
    assert not sidecar_plan.of_type("aws_sns_topic_subscription")


def test_managed_mode_adds_the_database_alarms(managed_plan: Plan) -> None:
    alarms = alarms_by_key(managed_plan)

    assert {key: (a["namespace"], a["metric_name"]) for key, a in alarms.items()} == {
        **SERVICE_ALARMS,
        **DATABASE_ALARMS,
    }
    assert alarms["db-free-storage"]["comparison_operator"] == "LessThanThreshold"
    assert alarms["db-free-storage"]["threshold"] == 2 * 1024**3
    for key in DATABASE_ALARMS:
        assert alarms[key]["dimensions"] == {"DBInstanceIdentifier": f"{PREFIX}-db"}


def test_alarm_email_subscribes_to_the_alarms_topic(protected_plan: Plan) -> None:
    subscription = protected_plan.one("aws_sns_topic_subscription", "alarm_email", 0)

    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "oncall@example.com")
    assert alarms_by_key(protected_plan)["cpu"]["threshold"] == 70


# ----------------------------------------------------------------------------------- network
def test_load_balancer_admits_http_from_anywhere(sidecar_plan: Plan) -> None:
    rules = sidecar_plan.of_type("aws_vpc_security_group_ingress_rule")
    alb_http = rules[f'{M}.aws_vpc_security_group_ingress_rule.alb_http["0.0.0.0/0"]']

    assert (alb_http["from_port"], alb_http["to_port"], alb_http["ip_protocol"]) == (80, 80, "tcp")
    assert alb_http["cidr_ipv4"] == "0.0.0.0/0"
    assert sidecar_plan.one("aws_lb", "this")["internal"] is False
    listener = sidecar_plan.one("aws_lb_listener", "http")
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert listener["default_action"][0]["type"] == "forward"


def test_tasks_admit_the_api_port_from_the_load_balancer_only(sidecar_plan: Plan) -> None:
    rules = rules_of_group(
        sidecar_plan, "aws_vpc_security_group_ingress_rule", "aws_security_group.tasks"
    )
    rule = sidecar_plan.one("aws_vpc_security_group_ingress_rule", "tasks_from_alb")

    assert rules == ["aws_vpc_security_group_ingress_rule.tasks_from_alb"]
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (8000, 8000, "tcp")
    assert rule.get("cidr_ipv4") is None
    assert references(sidecar_plan, rules[0], "referenced_security_group_id") == {
        "aws_security_group.alb"
    }


def test_database_admits_mysql_from_the_tasks_only(managed_plan: Plan) -> None:
    rules = rules_of_group(
        managed_plan, "aws_vpc_security_group_ingress_rule", "aws_security_group.db"
    )
    rule = managed_plan.one("aws_vpc_security_group_ingress_rule", "db_from_tasks", 0)

    assert rules == ["aws_vpc_security_group_ingress_rule.db_from_tasks"]
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (3306, 3306, "tcp")
    assert rule.get("cidr_ipv4") is None
    assert references(managed_plan, rules[0], "referenced_security_group_id") == {
        "aws_security_group.tasks"
    }
    assert references(managed_plan, "aws_db_instance.this", "vpc_security_group_ids") == {
        "aws_security_group.db"
    }


def test_two_zones_by_default_shared_by_the_load_balancer_and_the_tasks(
    sidecar_plan: Plan,
) -> None:
    subnets = sidecar_plan.one("aws_lb", "this")["subnets"]
    service = sidecar_plan.one("aws_ecs_service", "this")

    # Each zone costs the load balancer a public IPv4 address.
    assert len(subnets) == 2
    assert sorted(service["network_configuration"][0]["subnets"]) == sorted(subnets)


def test_zone_count_picks_the_first_zones_by_name(todo_stack: Stack, managed_plan: Plan) -> None:
    plan = todo_stack.plan("three-zones", todo_vars(alb_zone_count=3))
    three = set(plan.one("aws_lb", "this")["subnets"])
    two = set(managed_plan.one("aws_db_subnet_group", "this", 0)["subnet_ids"])

    assert len(three) == 3
    # A stable choice: the two default zones are among the first three, in every plan.
    assert two < three


def test_target_group_checks_task_ips_on_the_health_path(sidecar_plan: Plan) -> None:
    group = sidecar_plan.one("aws_lb_target_group", "this")
    check = group["health_check"][0]

    assert (group["target_type"], group["port"], group["protocol"]) == ("ip", 8000, "HTTP")
    assert (check["path"], check["matcher"]) == ("/", "200")
    assert group["deregistration_delay"] == "30"


# ----------------------------------------------------------------------------------- service
def test_service_rolls_back_failed_deployments_and_never_runs_two_sidecars(
    sidecar_plan: Plan,
) -> None:
    service = sidecar_plan.one("aws_ecs_service", "this")

    assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert (service["launch_type"], service["desired_count"]) == ("FARGATE", 1)
    assert service["health_check_grace_period_seconds"] == 60
    assert service["wait_for_steady_state"] is False
    # Old task stopped before the new one starts: never two databases at once.
    assert service["deployment_minimum_healthy_percent"] == 0
    assert service["deployment_maximum_percent"] == 100
    assert service["network_configuration"][0]["assign_public_ip"] is True
    balancer = service["load_balancer"][0]
    assert (balancer["container_name"], balancer["container_port"]) == ("api", 8000)


def test_managed_service_starts_new_tasks_before_stopping_old_ones(managed_plan: Plan) -> None:
    service = managed_plan.one("aws_ecs_service", "this")

    assert service["deployment_minimum_healthy_percent"] == 100
    assert service["deployment_maximum_percent"] == 200


def test_task_is_a_fargate_awsvpc_task_of_the_chosen_size(sidecar_plan: Plan) -> None:
    task = sidecar_plan.one("aws_ecs_task_definition", "this")

    assert task["requires_compatibilities"] == ["FARGATE"]
    assert task["network_mode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    assert task["runtime_platform"] == [
        {"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}
    ]


def test_the_task_runs_on_graviton_when_asked(managed_plan: Plan) -> None:
    task = managed_plan.one("aws_ecs_task_definition", "this")

    assert task["runtime_platform"][0]["cpu_architecture"] == "ARM64"


def test_tasks_run_on_demand_by_default_on_a_cluster_that_offers_spot(
    sidecar_plan: Plan,
) -> None:
    service = sidecar_plan.one("aws_ecs_service", "this")
    providers = sidecar_plan.one("aws_ecs_cluster_capacity_providers", "this")

    assert service["launch_type"] == "FARGATE"
    assert service["capacity_provider_strategy"] == []
    assert sorted(providers["capacity_providers"]) == ["FARGATE", "FARGATE_SPOT"]
    assert providers["cluster_name"] == PREFIX


def test_spot_capacity_is_accepted_with_the_managed_database(managed_plan: Plan) -> None:
    service = managed_plan.one("aws_ecs_service", "this")

    assert service.get("launch_type") in (None, "")
    assert [
        (strategy["capacity_provider"], strategy["weight"])
        for strategy in service["capacity_provider_strategy"]
    ] == [("FARGATE_SPOT", 1)]


def test_sidecar_image_is_mysql_8_4_from_the_public_ecr_gallery(sidecar_plan: Plan) -> None:
    call = sidecar_plan.data["configuration"]["root_module"]["module_calls"]["todo"]
    default = call["module"]["variables"]["db_sidecar_image"]["default"]

    # Not Docker Hub: anonymous pulls there are rate limited (CannotPullContainerError). The
    # image is unknown until apply (the task definition holds secret ARNs): the root leaves the
    # variable null, so the module's default is the image (the module's own test reads it there).
    assert sidecar_plan.data["variables"]["db_sidecar_image"].get("value") is None
    assert default == "public.ecr.aws/docker/library/mysql:8.4"


def test_log_groups_keep_logs_for_the_retention(sidecar_plan: Plan) -> None:
    groups = sidecar_plan.of_type("aws_cloudwatch_log_group")

    assert {group["name"]: group["retention_in_days"] for group in groups.values()} == {
        f"/ecs/{PREFIX}/api": 14,
        f"/ecs/{PREFIX}/mysql": 14,
    }


# ------------------------------------------------------------------------------------- image
def test_repository_is_immutable_scanned_and_always_deletable(managed_plan: Plan) -> None:
    repository = managed_plan.one("aws_ecr_repository", "this")
    policy = json.loads(managed_plan.one("aws_ecr_lifecycle_policy", "this")["policy"])

    assert repository["name"] == PREFIX
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == [{"scan_on_push": True}]
    assert repository["force_delete"] is True
    assert repository["encryption_configuration"][0]["encryption_type"] == "AES256"
    [rule] = policy["rules"]
    assert rule["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 7,
    }
    assert rule["action"] == {"type": "expire"}


# --------------------------------------------------------------------------------------- IAM
def test_lab_role_mode_creates_no_iam_and_runs_tasks_with_the_lab_role(
    managed_plan: Plan,
) -> None:
    task = managed_plan.one("aws_ecs_task_definition", "this")
    outputs = managed_plan.data["planned_values"]["outputs"]

    assert [c["address"] for c in managed_plan.changes if c["type"].startswith("aws_iam_")] == []
    assert (task["execution_role_arn"], task["task_role_arn"]) == (LAB_ROLE, LAB_ROLE)
    assert outputs["uses_lab_role"]["value"] is True


def test_created_roles_mode_makes_a_scoped_execution_role_and_an_empty_task_role(
    sidecar_plan: Plan,
) -> None:
    roles = sidecar_plan.of_type("aws_iam_role")
    trust = {
        address: json.loads(role["assume_role_policy"])["Statement"][0]["Principal"]
        for address, role in roles.items()
    }

    assert trust == {
        f"{M}.aws_iam_role.execution[0]": {"Service": "ecs-tasks.amazonaws.com"},
        f"{M}.aws_iam_role.task[0]": {"Service": "ecs-tasks.amazonaws.com"},
    }
    # One inline policy on the execution role (its statements: the module's terraform test);
    # the task role gets no permission at all.
    assert list(sidecar_plan.of_type("aws_iam_role_policy")) == [
        f"{M}.aws_iam_role_policy.execution[0]"
    ]
    assert not sidecar_plan.of_type("aws_iam_role_policy_attachment")
    assert sidecar_plan.data["planned_values"]["outputs"]["uses_lab_role"]["value"] is False


# ---------------------------------------------------------------------------- tags, outputs
def test_every_taggable_resource_carries_the_tags(managed_plan: Plan) -> None:
    untagged = [
        change["address"]
        for change in managed_plan.changes
        if "tags" in change["change"]["after"]
        and not TAGS.items() <= (change["change"]["after"]["tags"] or {}).items()
    ]

    assert untagged == []


def test_outputs_are_the_ones_the_orchestrator_reads(sidecar_plan: Plan) -> None:
    assert sidecar_plan.output_names == OUTPUTS
    outputs = sidecar_plan.data["planned_values"]["outputs"]
    assert outputs["db_mode"]["value"] == "sidecar"
    assert outputs["db_endpoint"].get("value") is None
    assert outputs["ecr_repository_name"]["value"] == PREFIX
