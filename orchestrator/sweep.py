"""Find, and on request delete, tagged resources of a stack that no Terraform state holds.

Every resource of a stack carries the provider's default tags ``Project``, ``Stack`` and
``Environment``. A deploy killed mid-apply, or a state that was lost, leaves resources that
terraform no longer knows; this module finds them by their tags and compares them with the
stack's current state. It never touches a resource that lacks one of the three tags, is tagged
for another stack or environment, or is held by the state.

Where it looks: the Resource Groups Tagging API (``GetResources``), plus per-service listings for
what that API does not list (IAM roles and policies, which it never lists, and the types moto
leaves out: HTTP APIs, ECR repositories, application-autoscaling targets, RDS subnet groups).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator import state_backend
from orchestrator.deploy import StackRun
from orchestrator.stack_spec import StackError
from orchestrator.terraform import state_resources

PROJECT = "cloud-reference-stacks"


class SweepError(StackError):
    """The target would not say what it holds (a listing was refused or failed)."""


Say = Callable[[str], None]
Clients = Callable[[str], Any]


@dataclass(frozen=True)
class Tagged:
    """One resource found by its tags; ``kind`` is ``service:type`` as the tagging API says."""

    kind: str
    arn: str
    # Other identifiers the state may hold it by (an HTTP API's or a scalable target's id).
    aliases: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        resource = self.arn.split(":", 5)[-1]
        if self.kind.startswith(("s3:", "sqs:", "sns:")):
            return resource
        # After the type and its first separator: log-group:/aws/lambda/x, table/x, role/x
        parts = re.split(r"[/:]", resource, maxsplit=1)
        return parts[1] if len(parts) > 1 else resource


@dataclass(frozen=True)
class Outcome:
    resource: Tagged
    error: str | None = None


def wanted_tags(stack: str, environment: str) -> dict[str, str]:
    return {"Project": PROJECT, "Stack": stack, "Environment": environment}


def _normal(arn: str) -> str:
    # Log group ARNs come with and without the trailing ":*".
    return arn[:-2] if arn.endswith(":*") else arn


def kind_of(arn: str) -> str:
    """``service:type`` of an ARN, spelt as the tagging API's resource type filters are."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) > 5 else ""
    if service == "apigateway":  # /apis/ID, /apis/ID/stages/NAME...: the last collection
        segments = resource.strip("/").split("/")
        return "apigateway:" + (segments[-2] if len(segments) >= 2 else segments[0])
    defaults = {"s3": "bucket", "sqs": "queue", "sns": "topic"}
    if service in defaults:
        return f"{service}:{defaults[service]}"
    return f"{service}:{resource.replace(':', '/').split('/', 1)[0]}"


# ------------------------------------------------------------------------------ the state
def held_identifiers(state: Mapping[str, Any]) -> set[str]:
    """Every ``arn`` and ``id`` in a ``terraform show -json`` state, child modules included."""
    held: set[str] = set()
    for resource in state_resources(state):
        values = resource.get("values") or {}
        for key in ("arn", "id"):
            value = values.get(key)
            if isinstance(value, str) and value:
                held.add(_normal(value))
    return held


def stranded(found: Iterable[Tagged], held: set[str]) -> list[Tagged]:
    """The found resources that the state does not hold, in deletion order."""
    loose = [
        item
        for item in found
        if _normal(item.arn) not in held and not any(alias in held for alias in item.aliases)
    ]
    return sorted(loose, key=lambda item: (_rank(item.kind), item.arn))


# ---------------------------------------------------------------------------- discovery
def _matches(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(key) == value for key, value in wanted.items())


def _as_dict(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags or []}


def find_tagged(clients: Clients, stack: str, environment: str) -> list[Tagged]:
    """Every resource tagged for ``stack`` and ``environment``, each once."""
    wanted = wanted_tags(stack, environment)
    found: dict[str, Tagged] = {}
    listers = (
        (_from_tagging_api, "tag:GetResources"),
        (_iam_roles, "iam:ListRoles, iam:ListRoleTags"),
        (_iam_policies, "iam:ListPolicies, iam:ListPolicyTags"),
        (_http_apis, "apigateway:GET on /apis"),
        (_ecr, "ecr:DescribeRepositories, ecr:ListTagsForResource"),
        (_scalable_targets, "application-autoscaling:DescribeScalableTargets, ListTagsForResource"),
        (_subnet_groups, "rds:DescribeDBSubnetGroups, rds:ListTagsForResource"),
    )
    for lister, actions in listers:
        try:
            items = list(lister(clients, wanted))
        except (ClientError, BotoCoreError) as error:
            raise _listing_error(stack, environment, actions, error) from error
        for item in items:
            found.setdefault(_normal(item.arn), item)
    try:
        return [item for item in found.values() if not _inactive(clients, item)]
    except (ClientError, BotoCoreError) as error:
        actions = "ecs:DescribeClusters, ecs:DescribeServices, ecs:DescribeTaskDefinition"
        raise _listing_error(stack, environment, actions, error) from error


def _listing_error(stack: str, environment: str, actions: str, error: Exception) -> SweepError:
    # A partial list would read as "nothing stranded": stop instead.
    return SweepError(
        f"the sweep could not list what is tagged for {stack}/{environment} "
        f"({_error_text(error)}); it needs read access: {actions}"
    )


def _inactive(clients: Clients, item: Tagged) -> bool:
    """An ECS cluster or service already deleted: ECS keeps describing it (and its tags) as
    INACTIVE for a while after. A task definition revision that is deregistered: destroy
    leaves it INACTIVE (the provider only deregisters), and it costs nothing."""
    if item.kind == "ecs:task-definition":
        try:
            found = clients("ecs").describe_task_definition(taskDefinition=item.arn)
        except ClientError as error:
            if _gone(error) or "Unable to describe task definition" in _error_text(error):
                return True
            raise
        status = found["taskDefinition"].get("status")
        return status in {"INACTIVE", "DELETE_IN_PROGRESS"}
    if item.kind == "ecs:cluster":
        found = clients("ecs").describe_clusters(clusters=[item.arn])["clusters"]
    elif item.kind == "ecs:service":
        parts = item.arn.split(":", 5)[5].split("/")
        if len(parts) != 3:
            return False
        found = clients("ecs").describe_services(cluster=parts[1], services=[item.arn])["services"]
    else:
        return False
    return bool(found) and all(entry.get("status") == "INACTIVE" for entry in found)


def _from_tagging_api(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    tagging = clients("resourcegroupstaggingapi")
    filters = [{"Key": key, "Values": [value]} for key, value in wanted.items()]
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
        for mapping in page.get("ResourceTagMappingList", []):
            # The API filters already; checked again because deleting is at stake.
            if _matches(_as_dict(mapping.get("Tags")), wanted):
                arn = str(mapping["ResourceARN"])
                yield Tagged(kind_of(arn), arn)


def _iam_roles(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    iam = clients("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            tags = _as_dict(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
            if _matches(tags, wanted):
                yield Tagged("iam:role", str(role["Arn"]))


def _iam_policies(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    iam = clients("iam")
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            tags = _as_dict(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags"))
            if _matches(tags, wanted):
                yield Tagged("iam:policy", str(policy["Arn"]))


def _http_apis(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    apis = clients("apigatewayv2")
    region = apis.meta.region_name
    token: str | None = None
    while True:
        page = apis.get_apis(**({"NextToken": token} if token else {}))
        for api in page.get("Items", []):
            if _matches(api.get("Tags") or {}, wanted):
                arn = f"arn:aws:apigateway:{region}::/apis/{api['ApiId']}"
                yield Tagged("apigateway:apis", arn, (str(api["ApiId"]),))
        token = page.get("NextToken")
        if not token:
            return


def _ecr(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    ecr = clients("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repository in page["repositories"]:
            arn = repository["repositoryArn"]
            tags = _as_dict(ecr.list_tags_for_resource(resourceArn=arn).get("tags"))
            if _matches(tags, wanted):
                yield Tagged("ecr:repository", str(arn))


def _scalable_targets(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    scaling = clients("application-autoscaling")
    for page in scaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="ecs"):
        for target in page["ScalableTargets"]:
            arn = target.get("ScalableTargetARN")
            if not arn:
                continue
            tags = scaling.list_tags_for_resource(ResourceARN=arn).get("Tags") or {}
            if _matches(tags, wanted):
                details = {
                    "namespace": str(target["ServiceNamespace"]),
                    "resource_id": str(target["ResourceId"]),
                    "dimension": str(target["ScalableDimension"]),
                }
                yield Tagged(
                    "application-autoscaling:scalable-target",
                    str(arn),
                    (str(target["ResourceId"]),),
                    details,
                )


def _subnet_groups(clients: Clients, wanted: Mapping[str, str]) -> Iterator[Tagged]:
    rds = clients("rds")
    for page in rds.get_paginator("describe_db_subnet_groups").paginate():
        for group in page["DBSubnetGroups"]:
            arn = group.get("DBSubnetGroupArn")
            if not arn:
                continue
            tags = _as_dict(rds.list_tags_for_resource(ResourceName=arn).get("TagList"))
            if _matches(tags, wanted):
                yield Tagged("rds:subgrp", str(arn), (str(group["DBSubnetGroupName"]),))


# ----------------------------------------------------------------------------- deleting
# Dependents first: mappings and functions before the roles they run as, services scaled to 0
# before their cluster, load balancers (with their listeners) before target groups, the
# database before its subnet group, security groups last (load balancers and tasks hold them).
DELETE_ORDER = (
    "apigateway:apis",
    "lambda:event-source-mapping",
    "lambda:function",
    "application-autoscaling:scalable-target",
    "ecs:service",
    "ecs:task-definition",
    "ecs:cluster",
    "elasticloadbalancing:listener",
    "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup",
    "rds:db",
    "rds:subgrp",
    "sns:topic",
    "sqs:queue",
    "dynamodb:table",
    "s3:bucket",
    "cloudwatch:alarm",
    "logs:log-group",
    "secretsmanager:secret",
    "ecr:repository",
    "iam:role",
    "iam:policy",
    "ec2:security-group-rule",
    "ec2:security-group",
)
# Deleted with their parent: listed, never deleted on their own.
GOES_WITH_PARENT = {
    "ecs:task": "its ECS service",
    "apigateway:stages": "its HTTP API",
    "apigateway:routes": "its HTTP API",
    "apigateway:integrations": "its HTTP API",
    "elasticloadbalancing:listener-rule": "its listener",
}


# Refusals that last only until what holds the resource is gone (a service still draining, a
# network interface not yet released, a database still being deleted): tried again.
STILL_HELD = {
    "DependencyViolation",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ResourceInUse",
    "InvalidDBSubnetGroupStateFault",
}


def _rank(kind: str) -> int:
    return DELETE_ORDER.index(kind) if kind in DELETE_ORDER else len(DELETE_ORDER)


def _gone(error: ClientError) -> bool:
    """The resource no longer exists (deleted by hand, or with its parent)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code.endswith(
        ("NotFound", "NotFoundException", "NotFoundFault", "NonExistentQueue")
    ) or code in {"NoSuchEntity", "NoSuchBucket", "QueueDoesNotExist"}


def _error_text(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".rstrip(": ")
    return str(error)


class _Deleter:
    def __init__(self, clients: Clients, *, wait_seconds: float) -> None:
        self.clients = clients
        # How long to keep retrying what AWS releases late (security groups held by network
        # interfaces of a deleted load balancer or task); 0 on the local cloud.
        self.wait_seconds = wait_seconds

    def delete(self, item: Tagged) -> None:
        method = getattr(self, "_" + item.kind.replace(":", "_").replace("-", "_"), None)
        if method is None:
            raise RuntimeError(f"no way to delete a {item.kind} is known: delete it by hand")
        method(item)

    def _apigateway_apis(self, item: Tagged) -> None:
        self.clients("apigatewayv2").delete_api(ApiId=item.arn.rsplit("/", 1)[-1])

    def _lambda_event_source_mapping(self, item: Tagged) -> None:
        self.clients("lambda").delete_event_source_mapping(UUID=item.arn.rsplit(":", 1)[-1])

    def _lambda_function(self, item: Tagged) -> None:
        client = self.clients("lambda")
        pages = client.get_paginator("list_event_source_mappings").paginate(FunctionName=item.arn)
        for page in pages:
            for mapping in page.get("EventSourceMappings", []):
                client.delete_event_source_mapping(UUID=mapping["UUID"])
        client.delete_function(FunctionName=item.arn)

    def _application_autoscaling_scalable_target(self, item: Tagged) -> None:
        # Deregistering also deletes the target's scaling policies.
        self.clients("application-autoscaling").deregister_scalable_target(
            ServiceNamespace=item.details["namespace"],
            ResourceId=item.details["resource_id"],
            ScalableDimension=item.details["dimension"],
        )

    def _ecs_service(self, item: Tagged) -> None:
        ecs = self.clients("ecs")
        parts = item.arn.split(":", 5)[5].split("/")  # service/CLUSTER/NAME
        if len(parts) != 3:
            raise RuntimeError(
                "an ECS service ARN in the old format (no cluster): delete it by hand"
            )
        cluster, service = parts[1], parts[2]
        ecs.update_service(cluster=cluster, service=service, desiredCount=0)
        ecs.delete_service(cluster=cluster, service=service, force=True)

    def _ecs_task_definition(self, item: Tagged) -> None:
        ecs = self.clients("ecs")
        ecs.deregister_task_definition(taskDefinition=item.arn)
        try:
            # AWS keeps a deregistered (INACTIVE) revision, tags and all, until it is deleted.
            ecs.delete_task_definitions(taskDefinitions=[item.arn])
        except ClientError as error:
            if "not implemented" not in _error_text(error).lower():
                raise

    def _ecs_cluster(self, item: Tagged) -> None:
        self.clients("ecs").delete_cluster(cluster=item.arn)

    def _elasticloadbalancing_listener(self, item: Tagged) -> None:
        self.clients("elbv2").delete_listener(ListenerArn=item.arn)

    def _elasticloadbalancing_loadbalancer(self, item: Tagged) -> None:
        elbv2 = self.clients("elbv2")
        for page in elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=item.arn):
            for listener in page["Listeners"]:
                elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
        elbv2.delete_load_balancer(LoadBalancerArn=item.arn)

    def _elasticloadbalancing_targetgroup(self, item: Tagged) -> None:
        self.clients("elbv2").delete_target_group(TargetGroupArn=item.arn)

    def _rds_db(self, item: Tagged) -> None:
        rds = self.clients("rds")
        identifier = item.name
        # Deletion protection is a deliberate choice: refused by RDS, reported, not turned off.
        rds.delete_db_instance(
            DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
        )
        if self.wait_seconds:  # its subnet group can go only once it is gone
            rds.get_waiter("db_instance_deleted").wait(
                DBInstanceIdentifier=identifier,
                WaiterConfig={"Delay": 20, "MaxAttempts": 60},
            )

    def _rds_subgrp(self, item: Tagged) -> None:
        self.clients("rds").delete_db_subnet_group(DBSubnetGroupName=item.name)

    def _sns_topic(self, item: Tagged) -> None:
        self.clients("sns").delete_topic(TopicArn=item.arn)

    def _sqs_queue(self, item: Tagged) -> None:
        sqs = self.clients("sqs")
        account = item.arn.split(":")[4]
        url = sqs.get_queue_url(QueueName=item.name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)

    def _dynamodb_table(self, item: Tagged) -> None:
        self.clients("dynamodb").delete_table(TableName=item.name)

    def _s3_bucket(self, item: Tagged) -> None:
        s3 = self.clients("s3")
        bucket = item.name
        # Every version and delete marker first: S3 refuses to delete a bucket that holds any.
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            keys = [
                {"Key": entry["Key"], "VersionId": entry["VersionId"]}
                for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for start in range(0, len(keys), 1000):
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True}
                )
        s3.delete_bucket(Bucket=bucket)

    def _cloudwatch_alarm(self, item: Tagged) -> None:
        self.clients("cloudwatch").delete_alarms(AlarmNames=[item.name])

    def _logs_log_group(self, item: Tagged) -> None:
        self.clients("logs").delete_log_group(logGroupName=_normal(item.name))

    def _secretsmanager_secret(self, item: Tagged) -> None:
        self.clients("secretsmanager").delete_secret(
            SecretId=item.arn, ForceDeleteWithoutRecovery=True
        )

    def _ecr_repository(self, item: Tagged) -> None:
        self.clients("ecr").delete_repository(repositoryName=item.name, force=True)

    def _iam_role(self, item: Tagged) -> None:
        iam = self.clients("iam")
        role = item.arn.rsplit("/", 1)[-1]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
        profiles = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
        for profile in profiles:
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=role
            )
        iam.delete_role(RoleName=role)

    def _iam_policy(self, item: Tagged) -> None:
        iam = self.clients("iam")
        entities = iam.list_entities_for_policy(PolicyArn=item.arn)
        for role in entities.get("PolicyRoles", []):
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=item.arn)
        for user in entities.get("PolicyUsers", []):
            iam.detach_user_policy(UserName=user["UserName"], PolicyArn=item.arn)
        for group in entities.get("PolicyGroups", []):
            iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=item.arn)
        for version in iam.list_policy_versions(PolicyArn=item.arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=item.arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=item.arn)

    def _ec2_security_group_rule(self, item: Tagged) -> None:
        ec2 = self.clients("ec2")
        rule_id = item.arn.rsplit("/", 1)[-1]
        rules = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])
        for rule in rules.get("SecurityGroupRules", []):
            revoke = (
                ec2.revoke_security_group_egress
                if rule["IsEgress"]
                else ec2.revoke_security_group_ingress
            )
            revoke(GroupId=rule["GroupId"], SecurityGroupRuleIds=[rule_id])

    def _ec2_security_group(self, item: Tagged) -> None:
        self.clients("ec2").delete_security_group(GroupId=item.arn.rsplit("/", 1)[-1])


def delete_all(
    clients: Clients, items: list[Tagged], say: Say, *, wait_seconds: float = 0.0
) -> list[Outcome]:
    """Delete ``items`` in order, reporting each, going on past failures.

    What another resource still holds (``STILL_HELD``: security groups that refer to one
    another or that network interfaces of a deleted load balancer or task hold for minutes, a
    cluster whose services still drain) is tried again in further rounds while a round deletes
    something, then for up to ``wait_seconds``.
    """
    deleter = _Deleter(clients, wait_seconds=wait_seconds)
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + wait_seconds
    pending = sorted(items, key=lambda item: (_rank(item.kind), item.arn))
    while pending:
        held: list[tuple[Tagged, ClientError]] = []
        progressed = False
        for item in pending:
            if item.kind in GOES_WITH_PARENT:
                parent = GOES_WITH_PARENT[item.kind]
                say(f"  left    {item.kind:<27} {item.arn} (goes with {parent})")
                outcomes.append(Outcome(item))
                continue
            try:
                deleter.delete(item)
            except ClientError as error:
                if _gone(error):
                    say(f"  gone    {item.kind:<27} {item.arn} (already deleted)")
                    outcomes.append(Outcome(item))
                elif error.response.get("Error", {}).get("Code") in STILL_HELD:
                    held.append((item, error))
                else:
                    outcomes.append(_failed(item, error, say))
                continue
            except (BotoCoreError, RuntimeError, KeyError) as error:
                outcomes.append(_failed(item, error, say))
                continue
            say(f"  deleted {item.kind:<27} {item.arn}")
            outcomes.append(Outcome(item))
            progressed = True
        if held and not progressed:
            if time.monotonic() >= deadline:
                outcomes.extend(_failed(item, error, say) for item, error in held)
                break
            time.sleep(15)
        pending = [item for item, _ in held]
    return outcomes


def _failed(item: Tagged, error: Exception, say: Say) -> Outcome:
    text = _error_text(error)
    say(f"  FAILED  {item.kind:<27} {item.arn}: {text}")
    return Outcome(item, text)


# ------------------------------------------------------------------------------- a sweep
@dataclass(frozen=True)
class SweepResult:
    stack: str
    environment: str
    target: str
    stranded: list[Tagged]
    # Filled by a sweep with deleting; empty otherwise.
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.error]

    def why(self) -> str:
        return f"tagged for {self.stack}/{self.environment}, not in the state"

    def to_dict(self) -> dict[str, Any]:
        errors = {outcome.resource.arn: outcome.error for outcome in self.outcomes}
        entries = []
        for item in self.stranded:
            entry: dict[str, Any] = {"type": item.kind, "arn": item.arn, "why": self.why()}
            if self.outcomes:
                entry["deleted"] = item.arn in errors and errors[item.arn] is None
                if errors.get(item.arn):
                    entry["error"] = errors[item.arn]
            entries.append(entry)
        return {
            "stack": self.stack,
            "environment": self.environment,
            "target": self.target,
            "tags": wanted_tags(self.stack, self.environment),
            "stranded": entries,
        }


def held_by_state(run: StackRun) -> set[str]:
    """What the stack's current state holds (local file or S3): empty when there is none.

    A state that exists but cannot be read raises: guessing "empty" would delete what it holds.
    """
    if not state_backend.might_hold_state(run.workspace):
        return set()
    tf = run.terraform()
    state_backend.init(tf, run.workspace, run.target, say=run.say)
    return held_identifiers(tf.show_state())


def lock_on_state(run: StackRun) -> str | None:
    """Where a lock on the stack's state is held (a deploy running, or a killed one's), or None.

    A running deploy has created resources it has not yet written to the state: they would
    look stranded.
    """
    location = state_backend.choose(run.workspace, run.target)
    if isinstance(location, state_backend.S3State):
        bucket = state_backend.StateBucket(location, run.target)
        try:
            bucket.client.head_object(Bucket=location.bucket, Key=location.lock_key)
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise SweepError(
                f"cannot tell whether a deploy holds the state's lock "
                f"s3://{location.bucket}/{location.lock_key}: {_error_text(error)}"
            ) from error
        return f"s3://{location.bucket}/{location.lock_key}"
    # Terraform's local backend keeps its lock next to the state file.
    lock = location.path.with_name(f".{location.path.name}.lock.info")
    return str(lock) if lock.exists() else None


def sweep(run: StackRun) -> SweepResult:
    """The stack's stranded resources on the run's target (``delete_all`` deletes them)."""
    held = held_by_state(run)
    found = find_tagged(run.target.client, run.spec.name, run.environment)
    return SweepResult(run.spec.name, run.environment, run.target.name, stranded(found, held))
