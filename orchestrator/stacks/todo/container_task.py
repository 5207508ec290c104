"""The local TODO task on a Docker engine, as ECS runs it: a private network, a MySQL sidecar
that must be healthy before the app starts, the app published on 127.0.0.1 only.

The sidecar is MySQL 8.4 from the public ECR gallery (as in the task definition), or the MariaDB
stand-in that .ci/setup_docker.sh makes where no registry is in reach. With neither, the app runs on
SQLite in a named volume instead, and says so: the container, its health check and the HTTP API
are the same; only the database differs. A ``database_url`` runs it against another database.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.stacks.todo.images import (
    DEFAULT_CPU_ARCHITECTURE,
    PLATFORMS,
    docker_client,
    image_architecture,
    image_exists_locally,
)
from orchestrator.stacks.todo.local_task_common import (
    DEFAULT_NAME,
    DEFAULT_PORT,
    LineSink,
    LocalTask,
    LocalTaskError,
    config_hash,
    http_ok,
    ignore,
    wait_until,
)

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

CONTAINER_PORT = 8000  # the module's container_port default
MYSQL_IMAGE_ENV = "TODO_LOCAL_MYSQL_IMAGE"
# The module's db_sidecar_image default: Docker's official image on the public ECR gallery, with
# no anonymous pull limits (Docker Hub's own mysql image has them).
DEFAULT_MYSQL_IMAGE = "public.ecr.aws/docker/library/mysql:8.4"
# MariaDB behind the official image's variables, made by .ci/setup_docker.sh where Docker Hub
# is out of reach.
LOCAL_SIDECAR_IMAGE = "local/mariadb-sidecar:bookworm"
# Where the SQLite file goes when the image does not say (its SQLITE_PATH does).
DEFAULT_SQLITE_PATH = "/data/todo.db"
LABEL = "cloud-reference-stacks.local-task"
CONFIG_LABEL = "cloud-reference-stacks.config"
# The sidecar is reachable only on the task's private network, never published; a fixed
# password keeps a re-run able to reuse its data volume.
SIDECAR_DB = {"MYSQL_DATABASE": "todo", "MYSQL_USER": "todo", "MYSQL_PASSWORD": "todo-local"}
START_TIMEOUT_S = 120.0
LOCAL_HEALTH_INTERVAL_NS = 2_000_000_000
SIDECAR_TIMEOUT_S = 180.0


def _names(name: str) -> dict[str, str]:
    return {
        "network": f"{name}-net",
        "app": f"{name}-app",
        "db": f"{name}-db",
        "db_volume": f"{name}-mysql",
        "data_volume": f"{name}-data",
    }


def _get_container(client: DockerClient, container_name: str) -> Container | None:
    from docker.errors import NotFound

    try:
        return client.containers.get(container_name)
    except NotFound:
        return None


def _remove(client: DockerClient, container_name: str) -> bool:
    container = _get_container(client, container_name)
    if container is None:
        return False
    container.remove(force=True)
    return True


def _ensure_network(client: DockerClient, name: str) -> None:
    from docker.errors import NotFound

    try:
        client.networks.get(name)
    except NotFound:
        client.networks.create(name, driver="bridge", labels={LABEL: name})


def _image_available(client: DockerClient, image: str, on_line: LineSink) -> bool:
    """Whether ``image`` is on the engine, pulling it when it is not (False if that fails)."""
    from docker.errors import DockerException

    if image_exists_locally(client, image):
        return True
    on_line(f"pulling {image}")
    try:
        client.images.pull(image)
    except DockerException as exc:
        reason = getattr(exc, "explanation", None) or str(exc)
        on_line(f"cannot pull {image}: {str(reason).splitlines()[0][:200]}")
        return False
    return True


def _sidecar_image(client: DockerClient, requested: str | None, on_line: LineSink) -> str | None:
    """The database sidecar's image, or None for SQLite.

    Asked for (argument or ``$TODO_LOCAL_MYSQL_IMAGE``; ``none`` = no sidecar): that one. Else
    MySQL 8.4 if the engine has it, the local MariaDB stand-in if it has that, MySQL 8.4 pulled.
    """
    requested = requested or os.environ.get(MYSQL_IMAGE_ENV)
    if requested:
        if requested == "none":
            return None
        return requested if _image_available(client, requested, on_line) else None
    for candidate in (DEFAULT_MYSQL_IMAGE, LOCAL_SIDECAR_IMAGE):
        if image_exists_locally(client, candidate):
            return candidate
    return DEFAULT_MYSQL_IMAGE if _image_available(client, DEFAULT_MYSQL_IMAGE, on_line) else None


def _image_env(client: DockerClient, image: str) -> dict[str, str]:
    pairs = client.images.get(image).attrs.get("Config", {}).get("Env") or []
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def _health(container: Container) -> str:
    """``healthy``/``unhealthy``/``starting``, or ``none`` when the image has no health check."""
    container.reload()
    state: dict[str, Any] = container.attrs.get("State", {})
    return str(state.get("Health", {}).get("Status", "none"))


def _logs_tail(container: Container, lines: int = 25) -> str:
    try:
        return bytes(container.logs(tail=lines)).decode(errors="replace")
    except Exception:  # a removed container has no logs; the error is what matters
        return ""


def _not_running(container: Container, what: str) -> str | None:
    container.reload()
    if container.status in {"exited", "dead"}:
        code = container.attrs.get("State", {}).get("ExitCode")
        return f"{what} exited (code {code}); last log lines:\n{_logs_tail(container)}"
    if _health(container) == "unhealthy":
        return f"{what} reports unhealthy; last log lines:\n{_logs_tail(container)}"
    return None


def _start_sidecar(
    client: DockerClient,
    names: Mapping[str, str],
    image: str,
    on_line: LineSink,
    labels: Mapping[str, str],
) -> dict[str, str]:
    """Start (or reuse) the MySQL sidecar; wait until healthy; return the app's DB_* settings."""
    container = _get_container(client, names["db"])
    if container is not None and container.status != "running":
        container.remove(force=True)
        container = None
    if container is None:
        on_line(f"starting the database sidecar {names['db']} ({image})")
        password = SIDECAR_DB["MYSQL_PASSWORD"]
        container = client.containers.run(
            image,
            name=names["db"],
            detach=True,
            network=names["network"],
            environment={**SIDECAR_DB, "MYSQL_ROOT_PASSWORD": password},
            volumes={names["db_volume"]: {"bind": "/var/lib/mysql", "mode": "rw"}},
            labels={**labels, LABEL: names["app"]},
            healthcheck={
                "test": ["CMD-SHELL", f"mysqladmin ping -h 127.0.0.1 -uroot -p{password}"],
                "interval": 5_000_000_000,
                "timeout": 5_000_000_000,
                "retries": 20,
                "start_period": 30_000_000_000,
            },
        )
    # As the task definition's dependsOn HEALTHY: the app starts after the database answers.
    healthy = wait_until(
        lambda: _health(container) == "healthy",
        timeout=SIDECAR_TIMEOUT_S,
        interval=1.0,
        failed=lambda: _not_running(container, f"the database sidecar {names['db']}"),
    )
    if not healthy:
        raise LocalTaskError(
            f"the database sidecar {names['db']} was not healthy within {SIDECAR_TIMEOUT_S:.0f} s;"
            f" last log lines:\n{_logs_tail(container)}"
        )
    return {
        "DB_HOST": names["db"],
        "DB_PORT": "3306",
        "DB_USER": SIDECAR_DB["MYSQL_USER"],
        "DB_PASSWORD": SIDECAR_DB["MYSQL_PASSWORD"],
        "DB_NAME": SIDECAR_DB["MYSQL_DATABASE"],
    }


def check_image_architecture(client: DockerClient, image: str, cpu_architecture: str) -> None:
    """Refuse an image that is not built for the task's ``runtime_platform.cpu_architecture``.

    Fargate does not run it: the pull fails (CannotPullContainerError: image manifest does not
    contain descriptor matching platform) or the container stops with ``exec format error``.
    The local engine might run it under emulation, which would hide that until the deploy.
    """
    platform = PLATFORMS.get(cpu_architecture)
    if platform is None:
        raise LocalTaskError(
            f"the task definition's cpu_architecture {cpu_architecture!r} is not X86_64 or ARM64"
        )
    built = image_architecture(client, image) or "unknown"
    wanted = platform.partition("/")[2]
    if built != wanted:
        other = next((name for name, p in PLATFORMS.items() if p == f"linux/{built}"), None)
        choice = f', or set cpu_architecture = "{other}"' if other else ""
        raise LocalTaskError(
            f"the image {image} is built for linux/{built}, but the task definition's "
            f"runtime_platform.cpu_architecture is {cpu_architecture} ({platform}). Fargate "
            f"would not run it: the task would stop with CannotPullContainerError (image "
            f"manifest does not contain descriptor matching platform '{platform}') or "
            f"'exec format error'. Build the image for {platform} (deploy does so from "
            f"cpu_architecture){choice}."
        )


def run_container_task(
    image: str,
    *,
    port: int = DEFAULT_PORT,
    name: str = DEFAULT_NAME,
    db_mode: str = "sidecar",
    mysql_image: str | None = None,
    database_url: str | None = None,
    host_mounts: Mapping[Path, str] | None = None,
    environment: Mapping[str, str] | None = None,
    cpu_architecture: str = DEFAULT_CPU_ARCHITECTURE,
    log_labels: Mapping[str, Mapping[str, str]] | None = None,
    on_line: LineSink = ignore,
) -> LocalTask:
    """Run the task's containers (reusing them when unchanged); return when the app is healthy.

    ``cpu_architecture``: the task definition's (X86_64 or ARM64); an image built for the other
    one is refused, as Fargate refuses it.

    ``mysql_image``: the sidecar's image (see ``_sidecar_image``; ``none`` turns it off, and
    without one the app runs on SQLite in a volume). In ``managed`` mode the sidecar stands in
    for RDS. ``database_url`` and
    ``host_mounts`` (host path -> container path) point the app at a database of your own.
    ``environment``: the app's other settings, as the task definition gives them (the database
    settings above win).
    ``log_labels``: extra labels of the ``app`` and ``db`` containers; the local cloud ships the
    output of containers labelled by ``container_logs.awslogs_labels`` to CloudWatch Logs.
    """
    from docker.errors import APIError

    names = _names(name)
    base_url = f"http://127.0.0.1:{port}"
    client = docker_client()
    try:
        check_image_architecture(client, image, cpu_architecture)
        _ensure_network(client, names["network"])
        volumes: dict[str, dict[str, str]] = {
            str(host): {"bind": inside, "mode": "rw"}
            for host, inside in (host_mounts or {}).items()
        }
        notes: list[str] = []
        containers: tuple[str, ...] = (names["app"],)
        sidecar = None if database_url else _sidecar_image(client, mysql_image, on_line)
        if database_url:
            database_env = {"DATABASE_URL": database_url}
            database = "the given database"
        elif sidecar:
            database_env = _start_sidecar(
                client, names, sidecar, on_line, (log_labels or {}).get("db", {})
            )
            containers = (names["app"], names["db"])
            role = "standing in for RDS" if db_mode == "managed" else "sidecar"
            database = f"MySQL container {names['db']} ({sidecar}, {role})"
        else:
            sqlite_path = _image_env(client, image).get("SQLITE_PATH", DEFAULT_SQLITE_PATH)
            database_env = {"SQLITE_PATH": sqlite_path}
            # The volume goes on the file's directory, which the image gives the app's user: a
            # fresh named volume takes that directory's owner, so the non-root app can write.
            volumes[names["data_volume"]] = {"bind": posixpath.dirname(sqlite_path), "mode": "rw"}
            database = f"SQLite in volume {names['data_volume']}"
            # TODO_LOCAL_MYSQL_IMAGE=none asked for SQLite: no image was missing.
            if (mysql_image or os.environ.get(MYSQL_IMAGE_ENV)) != "none":
                notes.append(
                    "no MySQL image on this engine (and none could be pulled), so the app runs "
                    f"on SQLite; set {MYSQL_IMAGE_ENV} to a MySQL 8.4 image to run the sidecar"
                )
        for note in notes:
            on_line(note)
        app_env = {**(environment or {}), **database_env}
        image_id = client.images.get(image).id
        app_labels = dict((log_labels or {}).get("app", {}))
        spec = {
            "image": image_id,
            "env": app_env,
            "port": port,
            "volumes": volumes,
            "labels": app_labels,
        }
        config = config_hash(spec)
        container = _get_container(client, names["app"])
        if (
            container is not None
            and container.status == "running"
            and container.labels.get(CONFIG_LABEL) == config
            and http_ok(base_url + "/")
        ):
            on_line(f"{names['app']} already running {image} on {base_url}")
            return LocalTask(base_url, "docker", database, containers, notes=tuple(notes))
        if container is not None:
            container.remove(force=True)
        on_line(f"starting {names['app']} ({image}) on {base_url}, data in {database}")
        try:
            container = client.containers.run(
                image,
                name=names["app"],
                detach=True,
                network=names["network"],
                environment=app_env,
                volumes=volumes,
                ports={f"{CONTAINER_PORT}/tcp": ("127.0.0.1", port)},
                labels={**app_labels, LABEL: names["app"], CONFIG_LABEL: config},
                init=True,
                # The image's check, asked more often: someone waits at a terminal for
                # "healthy". Unset fields (test, timeout, retries, start period) stay the image's.
                healthcheck={"interval": LOCAL_HEALTH_INTERVAL_NS},
            )
        except APIError as exc:
            _remove(client, names["app"])  # created, but it could not start
            if "already allocated" in str(exc) or "address already in use" in str(exc):
                raise LocalTaskError(
                    f"127.0.0.1:{port} is taken by something else: stop it, or choose "
                    "another port (TODO_LOCAL_PORT)"
                ) from exc
            raise LocalTaskError(f"{names['app']} did not start: {exc.explanation or exc}") from exc
        _wait_healthy(container, base_url, names["app"])
        on_line(f"{names['app']} is healthy on {base_url}")
        return LocalTask(base_url, "docker", database, containers, notes=tuple(notes))
    finally:
        client.close()


def _wait_healthy(container: Container, base_url: str, what: str) -> None:
    started = time.monotonic()

    def ready() -> bool:
        health = _health(container)
        return health in {"healthy", "none"} and http_ok(base_url + "/")

    if not wait_until(ready, timeout=START_TIMEOUT_S, failed=lambda: _not_running(container, what)):
        raise LocalTaskError(
            f"{what} was not healthy within {time.monotonic() - started:.0f} s "
            f"(health: {_health(container)}); last log lines:\n{_logs_tail(container)}"
        )


def stop_container_task(
    *, name: str = DEFAULT_NAME, remove_data: bool = True, on_line: LineSink = ignore
) -> bool:
    """Remove the task's containers and network (and its data volumes); True if any existed."""
    from docker.errors import APIError, NotFound

    names = _names(name)
    client = docker_client()
    removed = False
    try:
        for key in ("app", "db"):
            if _remove(client, names[key]):
                on_line(f"removed container {names[key]}")
                removed = True
        try:
            client.networks.get(names["network"]).remove()
            removed = True
        except NotFound:
            pass
        except APIError as exc:  # still in use by a container not ours: leave it, say so
            on_line(f"network {names['network']} left in place: {exc.explanation or exc}")
        if remove_data:
            for key in ("db_volume", "data_volume"):
                try:
                    client.volumes.get(names[key]).remove(force=True)
                    on_line(f"removed volume {names[key]}")
                except NotFound:
                    pass
    finally:
        client.close()
    return removed
