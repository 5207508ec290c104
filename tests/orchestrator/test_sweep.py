"""`orchestrate.py sweep`: what it counts as held, its refusals, and deleting the TODO's types.

The TODO stack's resources are made by hand on the local cloud, tagged as its default tags tag
them (a Terraform apply of that stack waits about a minute on its load balancer alone); the
inventory stack is swept after a real deploy in tests/integration/test_sweep.py.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from devtools.ports import free_port
from orchestrator import sweep
from orchestrator.cli import main
from orchestrator.targets import Target, resolve_target
from tests.integration.local_stack import require_local_cloud_parts
from tests.orchestrator.moto_inventory import Clients, use_as_aws

ENV = "dev"
ACCOUNT = "123456789012"


def run_cli(*argv: str) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(argv))
    print(buffer.getvalue())
    return code, buffer.getvalue()


# ------------------------------------------------------------------------- held or stranded
def test_a_resource_is_held_by_its_arn_or_its_alias_and_log_groups_either_way() -> None:
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f:*"
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    target = f"arn:aws:application-autoscaling:us-east-1:{ACCOUNT}:scalable-target/abc"
    found = [
        sweep.Tagged(sweep.kind_of(arn), arn, aliases)
        for arn, aliases in (
            (group, ()),
            (table, ()),
            (role, ()),
            (target, ("service/c/s",)),
        )
    ]
    state = {
        "values": {
            "root_module": {
                "child_modules": [
                    {
                        "resources": [
                            {"values": {"arn": group[:-2], "id": "/aws/lambda/f"}},
                            {"values": {"arn": table, "id": "t"}},
                            {"values": {"id": "service/c/s"}},
                        ]
                    }
                ]
            }
        }
    }

    loose = sweep.stranded(found, sweep.held_identifiers(state))

    assert [item.arn for item in loose] == [role]


def test_stranded_resources_come_in_a_safe_deletion_order() -> None:
    arns = [
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-1",
        f"arn:aws:iam::{ACCOUNT}:role/r",
        f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/tg/1",
        f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/lb/1",
        f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/c",
        f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/c/s",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
    ]
    kinds = [
        item.kind
        for item in sweep.stranded([sweep.Tagged(sweep.kind_of(a), a) for a in arns], set())
    ]

    assert kinds == [
        "lambda:function",
        "ecs:service",
        "ecs:cluster",
        "elasticloadbalancing:loadbalancer",
        "elasticloadbalancing:targetgroup",
        "iam:role",
        "ec2:security-group",
    ]


def test_delete_without_yes_is_refused_before_anything_is_reached() -> None:
    # GIVEN no terminal to ask on (pytest's stdin) WHEN --delete comes without --yes
    code = main(["sweep", "inventory", "--target", "local", "--delete"])

    # THEN it is bad usage, and nothing was looked at
    assert code == 2


def test_without_a_running_local_cloud_nothing_can_be_stranded() -> None:
    code, out = run_cli("sweep", "todo", "--target", "local")

    assert code == 0
    assert "not running" in out


# ------------------------------------------------------------------- the TODO's types
@pytest.fixture
def local_cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    require_local_cloud_parts()
    monkeypatch.setenv("ORCHESTRATE_LOCAL_PORT", str(free_port(range(4581, 4599))))
    target = resolve_target("local")
    try:
        yield target
    finally:
        run_cli("local", "down")


def tag_list(environment: str, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sweep.wanted_tags("todo", environment).items()]


def make_todo_resources(target: Target, environment: str) -> dict[str, Any]:
    """What the ecs_todo module makes, by hand, each tagged for the TODO stack and
    ``environment``; returns ids to look them up by."""
    prefix = f"todo-{environment}"
    ec2, ecs, elbv2 = target.client("ec2"), target.client("ecs"), target.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = [
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
            "Subnets"
        ]
    ][:2]
    sg_tags = [{"ResourceType": "security-group", "Tags": tag_list(environment)}]
    alb_sg = ec2.create_security_group(
        GroupName=f"{prefix}-alb", Description="alb", VpcId=vpc["VpcId"], TagSpecifications=sg_tags
    )["GroupId"]
    task_sg = ec2.create_security_group(
        GroupName=f"{prefix}-tasks",
        Description="tasks",
        VpcId=vpc["VpcId"],
        TagSpecifications=sg_tags,
    )["GroupId"]
    # The tasks' group admits the load balancer's: the load balancer's cannot go first.
    ec2.authorize_security_group_ingress(
        GroupId=task_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8000,
                "ToPort": 8000,
                "UserIdGroupPairs": [{"GroupId": alb_sg}],
            }
        ],
    )
    cluster = ecs.create_cluster(
        clusterName=f"{prefix}-cluster", tags=tag_list(environment, "key", "value")
    )["cluster"]["clusterArn"]
    task_definition = ecs.register_task_definition(
        family=f"{prefix}-api",
        containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        tags=tag_list(environment, "key", "value"),
    )["taskDefinition"]["taskDefinitionArn"]
    lb = elbv2.create_load_balancer(
        Name=f"{prefix}-alb", Subnets=subnets, SecurityGroups=[alb_sg], Tags=tag_list(environment)
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name=f"{prefix}-api",
        Protocol="HTTP",
        Port=8000,
        VpcId=vpc["VpcId"],
        TargetType="ip",
        Tags=tag_list(environment),
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        Tags=tag_list(environment),
    )
    service = ecs.create_service(
        cluster=cluster,
        serviceName=f"{prefix}-api",
        taskDefinition=task_definition,
        desiredCount=1,
        launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": group, "containerName": "api", "containerPort": 8000}],
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [task_sg]}
        },
        tags=tag_list(environment, "key", "value"),
    )["service"]["serviceArn"]
    target.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{prefix}-cluster/{prefix}-api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
        Tags=dict(sweep.wanted_tags("todo", environment)),
    )
    rds = target.client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{prefix}-db",
        DBSubnetGroupDescription="db",
        SubnetIds=subnets,
        Tags=tag_list(environment),
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{prefix}-db",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        AllocatedStorage=20,
        MasterUsername="todo",
        MasterUserPassword="not-a-secret-1",
        DBSubnetGroupName=f"{prefix}-db",
        Tags=tag_list(environment),
    )
    target.client("secretsmanager").create_secret(
        Name=f"{prefix}-db-password", SecretString="x", Tags=tag_list(environment)
    )
    target.client("ecr").create_repository(
        repositoryName=f"{prefix}-api", tags=tag_list(environment)
    )
    target.client("logs").create_log_group(
        logGroupName=f"/ecs/{prefix}-api", tags=dict(sweep.wanted_tags("todo", environment))
    )
    iam = target.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    iam.create_role(
        RoleName=f"{prefix}-task-execution",
        AssumeRolePolicyDocument=trust,
        Tags=tag_list(environment),
    )
    iam.put_role_policy(
        RoleName=f"{prefix}-task-execution",
        PolicyName="logs",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )
    topic = target.client("sns").create_topic(Name=f"{prefix}-alarms", Tags=tag_list(environment))[
        "TopicArn"
    ]
    return {
        "service": service,
        "cluster": cluster,
        "lb": lb,
        "topic": topic,
        "sgs": [alb_sg, task_sg],
    }


def sweep_json(*extra: str) -> tuple[int, dict[str, Any]]:
    code, out = run_cli("sweep", "todo", "--target", "local", "--env", ENV, "--json", *extra)
    return code, json.loads(out)


def test_the_todo_stacks_types_are_found_and_deleted_and_another_env_is_left(
    local_cloud: Target, tmp_path: Path
) -> None:
    # GIVEN the TODO stack's resources with no state, and the same for another environment
    mine = make_todo_resources(local_cloud, ENV)
    theirs = make_todo_resources(local_cloud, "prod")

    # WHEN the sweep lists THEN every type is found stranded (exit 1), none of prod's
    code, listed = sweep_json()
    assert code == 1
    kinds = {entry["type"] for entry in listed["stranded"]}
    assert {
        "ecs:service",
        "ecs:cluster",
        "ecs:task-definition",
        "elasticloadbalancing:loadbalancer",
        "elasticloadbalancing:targetgroup",
        "application-autoscaling:scalable-target",
        "rds:db",
        "rds:subgrp",
        "secretsmanager:secret",
        "ecr:repository",
        "logs:log-group",
        "iam:role",
        "sns:topic",
        "ec2:security-group",
    } <= kinds, sorted(kinds)
    assert not any("todo-prod" in entry["arn"] for entry in listed["stranded"])

    # WHEN it deletes THEN each one goes, and a second sweep finds none
    code, deleted = sweep_json("--delete", "--yes")
    assert code == 0, deleted
    assert all(entry["deleted"] for entry in deleted["stranded"]), deleted
    code, again = sweep_json()
    assert (code, again["stranded"]) == (0, [])
    ec2 = local_cloud.client("ec2")
    remaining = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert not set(mine["sgs"]) & remaining

    # AND prod's are all there
    ecs = local_cloud.client("ecs")
    services = ecs.describe_services(cluster=theirs["cluster"], services=[theirs["service"]])
    assert services["services"][0]["status"] == "ACTIVE"
    local_cloud.client("elbv2").describe_load_balancers(LoadBalancerArns=[theirs["lb"]])
    local_cloud.client("sns").get_topic_attributes(TopicArn=theirs["topic"])
    assert set(theirs["sgs"]) <= remaining
    code, prod = run_cli("sweep", "todo", "--target", "local", "--env", "prod")
    assert code == 1


def test_a_deregistered_task_definition_is_not_stranded(local_cloud: Target) -> None:
    # GIVEN two revisions tagged for the stack, as a destroy leaves the first (deregistered:
    # the provider does not delete revisions) and a killed deploy the second (active)
    ecs = local_cloud.client("ecs")

    def register() -> str:
        return str(
            ecs.register_task_definition(
                family=f"todo-{ENV}-api",
                containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}],
                tags=tag_list(ENV, "key", "value"),
            )["taskDefinition"]["taskDefinitionArn"]
        )

    destroyed, stranded = register(), register()
    ecs.deregister_task_definition(taskDefinition=destroyed)

    # WHEN the sweep lists THEN only the active revision is stranded
    code, listed = sweep_json()
    assert code == 1
    assert [entry["arn"] for entry in listed["stranded"]] == [stranded]


def test_a_listing_the_target_refuses_stops_the_sweep_naming_what_it_needs(
    aws: Clients, endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an emulator that cannot list the tags of scalable targets (plain moto answers 500)
    use_as_aws(monkeypatch, endpoint)
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="todo-dev-cluster")
    ecs.register_task_definition(
        family="todo-dev-api",
        containerDefinitions=[{"name": "api", "image": "api:1", "memory": 512}],
    )
    ecs.create_service(
        cluster="todo-dev-cluster", serviceName="todo-dev-api", taskDefinition="todo-dev-api"
    )
    aws("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/todo-dev-cluster/todo-dev-api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
    )

    # WHEN the sweep runs
    code = main(["sweep", "todo", "--target", "aws", "--delete", "--yes"])

    # THEN it stops (a partial list would read as "nothing stranded") and says what it needs
    assert code == 1
    error = capsys.readouterr().err
    assert "could not list" in error
    assert "application-autoscaling:DescribeScalableTargets" in error
