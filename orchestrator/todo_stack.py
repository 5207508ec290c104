"""The TODO stack's steps: the registry first, then the image, then the rest, then health.

The ECS task definition names the image, and the image must be in the registry before ECS
pulls it: so the ECR repository is applied alone first (a targeted apply), the image is built
and pushed under a tag that is the hash of its build context (unchanged code: no build, no
push, no change in the plan), and only then is the whole stack planned with that image.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator import images, todo_ops
from orchestrator.local_task_common import DEFAULT_PORT, LocalTaskError
from orchestrator.local_tasks import run_local_task, stop_local_task
from orchestrator.stacks import StackContext, StackError, lab_role
from orchestrator.targets import Target
from orchestrator.workspace import REPO_ROOT

APP_DIR = REPO_ROOT / "app_todo"
MODULE = "module.todo"
REPOSITORY = f"{MODULE}.aws_ecr_repository.this"
HEALTH_TIMEOUT_S = 900.0
LOCAL_PORT_ENV = "TODO_LOCAL_PORT"
# Settings of the task's database, which the local runner replaces by its own.
LOCAL_DATABASE_PREFIX = "DB_"


def prepare(ctx: StackContext, user_vars: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = {"region": ctx.target.region, "environment": ctx.environment}
    variables.update({k: v for k, v in user_vars.items() if k != "lab_role_arn"})
    variables["lab_role_arn"] = lab_role(ctx.target, user_vars, ctx.say)
    return variables


def before_plan(ctx: StackContext, variables: dict[str, Any]) -> dict[str, Any]:
    """Create the repository if needed, publish the image, and name it in the variables."""
    if variables.get("image_uri"):
        ctx.say(f"Using the image given with --var image_uri: {variables['image_uri']}")
        return variables
    tf = ctx.terraform()
    repository = tf.state_values(REPOSITORY)
    if repository is None:
        ctx.say("Creating the ECR repository first (the image must exist before the service)...")
        phase_one = tf.data_dir / "registry.tfplan"
        tf.plan({**variables, "image_uri": None}, phase_one, targets=(REPOSITORY,))
        tf.apply(phase_one)
        repository = tf.state_values(REPOSITORY)
    if repository is None:
        raise StackError("the ECR repository is not in the state after its targeted apply")
    url, name = str(repository["repository_url"]), str(repository["name"])
    platform = _platform(variables)
    tag = images.image_tag(APP_DIR, images.build_args_for(_base_image(platform)), platform)
    if ctx.target.name == "aws":
        _publish_to_ecr(ctx, url, name, platform)
    else:
        _publish_locally(ctx, name, tag, platform)
    variables["image_uri"] = f"{url}:{tag}"
    return variables


def _platform(variables: dict[str, Any]) -> str:
    """The image's platform, from the task's ``cpu_architecture`` (the module's default)."""
    architecture = str(variables.get("cpu_architecture") or images.DEFAULT_CPU_ARCHITECTURE)
    try:
        return images.platform_for(architecture)
    except images.ImageError as error:
        raise StackError(str(error)) from error


def _base_image(platform: str = images.DEFAULT_PLATFORM) -> str | None:
    if not images.engine_available():
        return images.resolve_base_image(platform=platform)
    client = images.docker_client()
    try:
        return images.resolve_base_image(client, platform)
    finally:
        client.close()


def _publish_to_ecr(ctx: StackContext, url: str, name: str, platform: str) -> None:
    ecr = ctx.target.client("ecr")
    image = images.publish_image(
        APP_DIR,
        url,
        base_image=_base_image(platform),
        ca_bundle=images.resolve_ca_bundle(),
        registry_auth=images.ecr_login(ecr),
        tag_exists=lambda tag: images.image_exists_in_ecr(ecr, name, tag),
        platform=platform,
        on_line=lambda line: ctx.say(f"  {line}"),
    )
    ctx.say(f"Image: {image}")


def _local_registry_up() -> bool:
    try:
        with urllib.request.urlopen(f"http://{images.LOCAL_REGISTRY}/v2/", timeout=3):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _publish_locally(ctx: StackContext, name: str, tag: str, platform: str) -> None:
    """The emulator's ECR has no registry behind it: build for the local Docker engine and
    push to the loopback registry when one runs; with no engine the app runs under uvicorn."""
    if not images.engine_available():
        ctx.say("No Docker engine answers: no image is built; the app will run under uvicorn.")
        return
    say = lambda line: ctx.say(f"  {line}")  # noqa: E731
    local = images.local_registry_image(name, tag)
    base = _base_image(platform)
    if _local_registry_up():
        images.publish_image(
            APP_DIR, local.repository, base_image=base, platform=platform, on_line=say
        )
    else:
        say(f"no registry answers at {images.LOCAL_REGISTRY}: the image stays on the engine")
        images.build_image(
            APP_DIR, local.repository, base_image=base, platform=platform, on_line=say
        )


def finish(ctx: StackContext, outputs: dict[str, Any]) -> dict[str, Any]:
    task_definition = _task_definition(ctx, outputs)
    container = _app_container(task_definition, outputs)
    outputs["image_uri"] = str(container["image"])
    if ctx.target.name == "local":
        outputs = _run_locally(
            ctx,
            outputs,
            task_environment(ctx.target, container),
            cpu_architecture(task_definition),
        )
    else:
        wait_for_healthy_targets(ctx, outputs)
        outputs["tasks_url"] = f"{str(outputs['api_base_url']).rstrip('/')}/tasks"
    _show_token(ctx, outputs)
    return outputs


def _show_token(ctx: StackContext, outputs: dict[str, Any]) -> None:
    """Say the API's token once, after the deploy; it is never written into the outputs."""
    command = f"python orchestrate.py token todo --target {ctx.target.name} --env {ctx.environment}"
    try:
        token = todo_ops.api_token(ctx.target, outputs)
    except (BotoCoreError, ClientError, StackError) as error:
        # The stack is deployed: a token we cannot show must not fail the deploy.
        ctx.say(f"\nCould not read the API token ({error}); try later with '{command}'.")
        return
    if token is None:
        return
    guarded = "writes and reads" if outputs.get("api_auth_reads") else "writes"
    ctx.say(
        f"\nThe API's {guarded} on /tasks need this bearer token (print it again with '{command}'):"
    )
    ctx.say(f"  {token}")
    ctx.say(f"  {todo_ops.curl_example(outputs, token)}")


def local_task_name(environment: str) -> str:
    """Containers and processes of the local task are named per environment."""
    return f"todo-{environment}-local"


def local_port() -> int:
    """Where the local task listens: ``TODO_LOCAL_PORT``, read when deploying."""
    return int(os.environ.get(LOCAL_PORT_ENV, DEFAULT_PORT))


def _task_definition(ctx: StackContext, outputs: dict[str, Any]) -> dict[str, Any]:
    """The deployed task definition, as ECS describes it."""
    described = ctx.target.client("ecs").describe_task_definition(
        taskDefinition=outputs["task_definition_arn"]
    )
    return dict(described["taskDefinition"])


def cpu_architecture(task_definition: dict[str, Any]) -> str:
    """The task's ``runtimePlatform.cpuArchitecture``; X86_64 when unset, as Fargate runs it."""
    platform = task_definition.get("runtimePlatform") or {}
    return str(platform.get("cpuArchitecture") or images.DEFAULT_CPU_ARCHITECTURE)


def _app_container(task_definition: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """The app's container definition, as the deployed task definition holds it."""
    for container in task_definition["containerDefinitions"]:
        if container["name"] == outputs.get("container_name"):
            return dict(container)
    raise StackError(f"no container {outputs.get('container_name')!r} in the task definition")


def task_environment(target: Target, container: dict[str, Any]) -> dict[str, str]:
    """The app container's environment as ECS would start it: its plain variables, and its
    ``secrets`` read from Secrets Manager. The database settings (DB_*) are left out: the local
    runner wires its own database (a sidecar container or SQLite)."""
    environment = {
        str(pair["name"]): str(pair["value"])
        for pair in container.get("environment", [])
        if not str(pair["name"]).startswith(LOCAL_DATABASE_PREFIX)
    }
    secrets = [
        pair
        for pair in container.get("secrets", [])
        if not str(pair["name"]).startswith(LOCAL_DATABASE_PREFIX)
    ]
    if secrets:
        client = target.client("secretsmanager")
        for pair in secrets:
            environment[str(pair["name"])] = read_secret(client, str(pair["valueFrom"]))
    return environment


def read_secret(client: Any, value_from: str) -> str:
    """A task definition secret's value, as ECS reads it: ``valueFrom`` is a secret's ARN, whole
    (the secret string), or followed by ``:json-key:version-stage:version-id`` (each may be
    empty) to pick one key of a JSON secret."""
    parts = value_from.split(":")
    if len(parts) < 7 or parts[2] != "secretsmanager":
        raise StackError(
            f"cannot run the task locally: {value_from!r} is not a Secrets Manager secret ARN "
            "(the local run reads secrets from Secrets Manager only)"
        )
    arn = ":".join(parts[:7])
    json_key, stage, version = (parts[7:] + ["", "", ""])[:3]
    request: dict[str, str] = {"SecretId": arn}
    if stage:
        request["VersionStage"] = stage
    if version:
        request["VersionId"] = version
    try:
        secret = str(client.get_secret_value(**request)["SecretString"])
    except client.exceptions.ResourceNotFoundException:
        raise StackError(f"the task's secret {arn} does not exist") from None
    if not json_key:
        return secret
    try:
        return str(json.loads(secret)[json_key])
    except (json.JSONDecodeError, TypeError, KeyError):
        raise StackError(f"the secret {arn} has no JSON key {json_key!r}") from None


def _run_locally(
    ctx: StackContext,
    outputs: dict[str, Any],
    environment: dict[str, str],
    architecture: str = images.DEFAULT_CPU_ARCHITECTURE,
) -> dict[str, Any]:
    """ECS on the emulator stores the service but runs nothing: run the task here."""
    image_uri = str(outputs.get("image_uri") or "")
    tag = image_uri.rsplit(":", 1)[-1] if ":" in image_uri else None
    name = str(outputs.get("ecr_repository_name") or "")
    image = None
    if tag and name and images.engine_available():
        image = str(images.local_registry_image(name, tag))
    ctx.say("Starting the task locally...")
    try:
        task = run_local_task(
            image,
            port=local_port(),
            name=local_task_name(ctx.environment),
            db_mode=str(outputs.get("db_mode") or "sidecar"),
            environment=environment,
            cpu_architecture=architecture,
            on_line=lambda line: ctx.say(f"  {line}"),
        )
    except LocalTaskError as error:
        raise StackError(f"the TODO task did not start locally: {error}") from error
    outputs["alb_api_base_url"] = outputs.get("api_base_url")
    outputs["api_base_url"] = task.base_url
    outputs["docs_url"] = f"{task.base_url}/docs"
    outputs["tasks_url"] = f"{task.base_url}/tasks"
    outputs["local_runner"] = task.runner
    outputs["local_database"] = task.database
    return outputs


def after_destroy(ctx: StackContext) -> None:
    if ctx.target.name == "local":
        stop_local_task(
            name=local_task_name(ctx.environment), on_line=lambda line: ctx.say(f"  {line}")
        )


def wait_for_healthy_targets(
    ctx: StackContext,
    outputs: dict[str, Any],
    *,
    timeout: float = HEALTH_TIMEOUT_S,
    interval: float = 10.0,
) -> None:
    """Wait until the load balancer reports every target healthy; explain when it never does."""
    elbv2 = ctx.target.client("elbv2")
    deadline = time.monotonic() + timeout
    last = ""
    ctx.say("Waiting for the load balancer to report the task healthy...")
    while time.monotonic() < deadline:
        described = elbv2.describe_target_health(TargetGroupArn=outputs["target_group_arn"])
        states = [d["TargetHealth"]["State"] for d in described["TargetHealthDescriptions"]]
        summary = ", ".join(sorted(states)) or "no targets registered yet"
        if summary != last:
            ctx.say(f"  targets: {summary}")
            last = summary
        if states and all(state == "healthy" for state in states):
            return
        time.sleep(interval)
    raise StackError(f"no healthy target after {timeout:.0f} s.\n" + _why_unhealthy(ctx, outputs))


def _why_unhealthy(ctx: StackContext, outputs: dict[str, Any]) -> str:
    ecs = ctx.target.client("ecs")
    lines: list[str] = []
    stopped = ecs.list_tasks(
        cluster=outputs["cluster_name"],
        serviceName=outputs["service_name"],
        desiredStatus="STOPPED",
    )["taskArns"][:5]
    if stopped:
        for task in ecs.describe_tasks(cluster=outputs["cluster_name"], tasks=stopped)["tasks"]:
            lines.append(f"stopped task: {task.get('stoppedReason', 'no reason given')}")
            for container in task.get("containers", []):
                if container.get("reason"):
                    lines.append(f"  {container['name']}: {container['reason']}")
    logs = ctx.target.client("logs")
    try:
        events = logs.filter_log_events(logGroupName=outputs["log_group_name"], limit=50)["events"]
    except Exception as error:  # the reason matters more than the log read failing
        events = []
        lines.append(f"(could not read {outputs['log_group_name']}: {error})")
    if events:
        lines.append(f"last lines of {outputs['log_group_name']}:")
        lines.extend(f"  {event['message'].rstrip()}" for event in events[-20:])
    return "\n".join(lines) or "no stopped tasks and no logs yet"
