"""The TODO stack's steps: the registry first, then the image, then the rest, then health.

The ECS task definition names the image, and the image must be in the registry before ECS
pulls it: so the ECR repository is applied alone first (a targeted apply), the image is built
and pushed under a tag that is the hash of its build context (unchanged code: no build, no
push, no change in the plan), and only then is the whole stack planned with that image.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.local_cloud.container_logs import awslogs_labels
from orchestrator.stack_spec import StackContext, StackError, lab_role
from orchestrator.stacks.todo import images, ops
from orchestrator.stacks.todo.container_task import MYSQL_IMAGE_ENV
from orchestrator.stacks.todo.local_task_common import (
    DEFAULT_PORT,
    LocalTask,
    LocalTaskError,
    TaskRoles,
)
from orchestrator.stacks.todo.local_tasks import run_local_task, stop_local_task
from orchestrator.targets import Target
from orchestrator.workspace import REPO_ROOT

APP_DIR = REPO_ROOT / "app_todo"
MODULE = "module.todo"
REPOSITORY = f"{MODULE}.aws_ecr_repository.this"
HEALTH_TIMEOUT_S = 900.0
LOCAL_PORT_ENV = "TODO_LOCAL_PORT"
# Settings of the task's database, which the local runner replaces by its own.
LOCAL_DATABASE_PREFIX = "DB_"
# The fallback without Docker, asked for explicitly (as --no-docker does): the app under
# uvicorn on SQLite instead of the task's containers.
LOCAL_RUNNER_ENV = "TODO_LOCAL_RUNNER"
NO_DOCKER_HINT = f"--no-docker (or {LOCAL_RUNNER_ENV}=uvicorn)"


def preflight(ctx: StackContext, user_vars: Mapping[str, Any]) -> None:
    """A missing Docker engine never changes silently what is deployed: stop before anything
    slow and say what to start, unless the fallback was asked for."""
    local = ctx.target.name == "local"
    if local and not ctx.use_docker:
        return
    if not local and user_vars.get("image_uri"):
        return  # an image of the user's own, or the one a saved plan names: nothing to build
    if images.engine_available():
        return
    where = os.environ.get("DOCKER_HOST") or "its default socket"
    if local:
        raise StackError(
            f"no Docker engine answers ({where}): the TODO task runs as containers on it. Start "
            "the Docker engine (Docker Desktop, or 'sudo systemctl start docker' / 'sudo "
            f"dockerd'), then deploy again; or deploy with {NO_DOCKER_HINT} to run the app "
            "under uvicorn on SQLite instead (no image, no MySQL)"
        )
    raise StackError(
        f"no Docker engine answers ({where}): the TODO image is built with Docker before it is "
        "pushed to ECR. Start the Docker engine (Docker Desktop, or 'sudo systemctl start "
        "docker'), then deploy again; or give an image already pushed with --var image_uri=..."
    )


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
    elif ctx.use_docker:
        _publish_locally(ctx, name, tag, platform)
    else:
        ctx.say(
            "No image is built (--no-docker): the task definition names the image this code "
            "would make, and the app runs under uvicorn on SQLite."
        )
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
    push to the loopback registry when one runs."""
    if not images.engine_available():
        # It answered at the preflight: say so rather than deploy an image never built.
        raise StackError(
            "the Docker engine stopped answering before the image was built: start it and "
            f"deploy again (or deploy with {NO_DOCKER_HINT})"
        )
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
            LocalTaskSettings(
                task_environment(container),
                task_secrets(container),
                task_roles(ctx.target, task_definition),
                cpu_architecture(task_definition),
                task_log_labels(ctx.target, task_definition, container),
            ),
        )
    else:
        wait_for_healthy_targets(ctx, outputs)
        outputs["database"] = str(outputs.get("db_mode"))
        outputs["tasks_url"] = f"{str(outputs['api_base_url']).rstrip('/')}/tasks"
    _show_token(ctx, outputs)
    return outputs


def _show_token(ctx: StackContext, outputs: dict[str, Any]) -> None:
    """Say the API's token once, after the deploy; it is never written into the outputs."""
    command = f"python orchestrate.py token todo --target {ctx.target.name} --env {ctx.environment}"
    try:
        token = ops.api_token(ctx.target, outputs)
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
    ctx.say(f"  {ops.curl_example(outputs, token)}")


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


@dataclass(frozen=True)
class LocalTaskSettings:
    """What the task definition gives the local run: the app's plain settings, its secrets
    (read with the execution role), its roles and its CPU architecture."""

    environment: dict[str, str]
    secrets: dict[str, str]
    roles: TaskRoles
    cpu_architecture: str = images.DEFAULT_CPU_ARCHITECTURE
    # The app's and the sidecar's logConfiguration, as labels (container_logs.awslogs_labels).
    log_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def task_environment(container: dict[str, Any]) -> dict[str, str]:
    """The app container's plain ``environment`` as ECS would start it. The database settings
    (DB_*) are left out: the local runner wires its own database (a sidecar container or
    SQLite)."""
    return {
        str(pair["name"]): str(pair["value"])
        for pair in container.get("environment", [])
        if not str(pair["name"]).startswith(LOCAL_DATABASE_PREFIX)
    }


def task_secrets(container: dict[str, Any]) -> dict[str, str]:
    """The app container's ``secrets`` (name -> valueFrom) but the database's: the local runner
    reads them as ECS does, with the task's execution role."""
    return {
        str(pair["name"]): str(pair["valueFrom"])
        for pair in container.get("secrets", [])
        if not str(pair["name"]).startswith(LOCAL_DATABASE_PREFIX)
    }


def task_log_labels(
    target: Target, task_definition: dict[str, Any], app: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """The labels that make the local cloud ship the app's and the sidecar's output to their log
    groups, as the awslogs driver of their ``logConfiguration`` does on AWS."""
    endpoint = target.endpoint_url or ""
    labels = {"app": awslogs_labels(endpoint, str(app["name"]), app.get("logConfiguration"))}
    for container in task_definition.get("containerDefinitions", []):
        if container.get("name") != app.get("name"):
            labels["db"] = awslogs_labels(
                endpoint, str(container["name"]), container.get("logConfiguration")
            )
    return labels


def task_roles(target: Target, task_definition: dict[str, Any]) -> TaskRoles:
    """The task definition's roles on the local cloud, which ECS would run the task with."""
    if target.endpoint_url is None:
        raise StackError("the task runs locally only on the local cloud")
    return TaskRoles(
        target.endpoint_url,
        task_definition.get("executionRoleArn"),
        task_definition.get("taskRoleArn"),
        target.region,
    )


def _run_locally(
    ctx: StackContext,
    outputs: dict[str, Any],
    settings: LocalTaskSettings,
) -> dict[str, Any]:
    """ECS on the emulator stores the service but runs nothing: run the task here."""
    image_uri = str(outputs.get("image_uri") or "")
    tag = image_uri.rsplit(":", 1)[-1] if ":" in image_uri else None
    name = str(outputs.get("ecr_repository_name") or "")
    image = None
    if tag and name and ctx.use_docker:
        image = str(images.local_registry_image(name, tag))
    db_mode = str(outputs.get("db_mode") or "sidecar")
    ctx.say("Starting the task locally...")
    try:
        task = run_local_task(
            image,
            port=local_port(),
            name=local_task_name(ctx.environment),
            db_mode=db_mode,
            use_docker=ctx.use_docker,
            environment=settings.environment,
            secrets=settings.secrets,
            roles=settings.roles,
            cpu_architecture=settings.cpu_architecture,
            log_labels=settings.log_labels,
            on_line=lambda line: ctx.say(f"  {line}"),
        )
    except (LocalTaskError, images.ImageError) as error:
        raise StackError(f"the TODO task did not start locally: {error}") from error
    outputs["alb_api_base_url"] = outputs.get("api_base_url")
    outputs["api_base_url"] = task.base_url
    outputs["docs_url"] = f"{task.base_url}/docs"
    outputs["tasks_url"] = f"{task.base_url}/tasks"
    outputs["local_runner"] = task.runner
    outputs["local_database"] = task.database
    # What runs, not what the module was asked for: SQLite is not the MySQL of db_mode.
    if task.database.startswith("SQLite"):
        outputs["database"] = f"{task.database} (not the {db_mode} MySQL: {_why_sqlite(task)})"
    else:
        outputs["database"] = task.database
    return outputs


def _why_sqlite(task: LocalTask) -> str:
    if task.runner == "uvicorn":
        return "the app runs under uvicorn, without Docker"
    if os.environ.get(MYSQL_IMAGE_ENV) == "none":
        return f"{MYSQL_IMAGE_ENV}=none"
    return "no MySQL image on this engine"


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
