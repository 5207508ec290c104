"""Build, tag, push and inspect the TODO image.

The tag is a hash of the build context (the files ``.dockerignore`` lets through, and the build
arguments), so an unchanged app is never rebuilt or pushed again, and ECR's immutable tags hold;
it ends with the image's architecture (``<hash>-amd64``, ``<hash>-arm64``), so builds for the two
Fargate CPU architectures never share a tag.

The image is built for the task's platform, not the machine's: an image built on Apple Silicon
without ``--platform`` is arm64, and Fargate stops an X86_64 task running it. Building for the
other architecture runs the Dockerfile's RUN steps under emulation (QEMU through binfmt_misc);
where the engine has none, the build is refused with what to do, never quietly made for the host.

Why the build goes through the docker CLI with BuildKit and not the Docker SDK: the SDK only
drives the classic builder, which has no build secrets and rejects ``RUN --mount``. Behind a
proxy that re-signs HTTPS (corporate proxies, this CI machine) pip inside the build needs the
proxy's CA, and a BuildKit secret hands it in without leaving it in any layer. Building wheels
on the host instead would tie the image to the host's Python and platform. The SDK does the rest
(checks, inspection, push, pull), where it needs no extra binary.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.errors import OrchestrateError
from orchestrator.stacks.todo.dockerignore import context_files

if TYPE_CHECKING:
    from docker import DockerClient

LineSink = Callable[[str], None]

TAG_LENGTH = 16
# Made by .ci/setup_docker.sh where Docker Hub is out of reach.
LOCAL_BASE_IMAGE = "local/python-base:bookworm"
BASE_IMAGE_ENV = "TODO_BASE_IMAGE"
CA_BUNDLE_ENV = "TODO_BUILD_CA_BUNDLE"
# The local target's stand-in for ECR (moto keeps repositories, not images).
LOCAL_REGISTRY = os.environ.get("TODO_LOCAL_REGISTRY", "127.0.0.1:5050")
# The secret id the Dockerfile mounts (RUN --mount=type=secret,id=ca_bundle).
CA_BUNDLE_SECRET_ID = "ca_bundle"
LOG_TAIL_LINES = 30
# The task definition's runtime_platform.cpu_architecture, and the platform to build for it.
PLATFORMS = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}
DEFAULT_CPU_ARCHITECTURE = "X86_64"  # what Fargate runs when the task does not say
DEFAULT_PLATFORM = PLATFORMS[DEFAULT_CPU_ARCHITECTURE]
# How each architecture shows in binfmt_misc entries (names and interpreters of QEMU handlers).
_BINFMT_NAMES = {"amd64": ("x86_64", "x86-64", "amd64"), "arm64": ("aarch64", "arm64")}
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")


def _ignore(_line: str) -> None:
    return None


class ImageError(OrchestrateError):
    """Building, pushing or inspecting an image failed; the message says what to do."""


class EngineUnreachableError(ImageError):
    """No Docker engine answers."""


@dataclass(frozen=True)
class ImageRef:
    """``repository:tag``; the repository may start with a registry host."""

    repository: str
    tag: str

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def uri(self) -> str:
        return str(self)

    def by_digest(self, digest: str) -> str:
        return f"{self.repository}@{digest}"


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for one registry, as ``docker login`` would take them."""

    username: str
    password: str = field(repr=False)
    registry: str

    def auth_config(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password": self.password,
            "serveraddress": self.registry,
        }


# --- the engine ---------------------------------------------------------------------------


def docker_client(timeout: int = 300) -> DockerClient:
    """A client of the engine ``DOCKER_HOST`` (or the default socket) names; raise if none."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:
        raise ImageError(
            "the 'docker' Python package is missing: pip install -e '.[images]'"
        ) from exc
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except DockerException as exc:
        raise EngineUnreachableError(
            f"cannot reach a Docker engine ({exc}). Start Docker (or point DOCKER_HOST at a "
            "running engine); on the local target, deploy --no-docker runs the app under "
            "uvicorn on SQLite instead."
        ) from exc
    return client


def engine_available() -> bool:
    try:
        docker_client(timeout=10).close()
    except ImageError:
        return False
    return True


# --- what to build ------------------------------------------------------------------------


def platform_for(cpu_architecture: str) -> str:
    """The build platform of a task definition's ``cpu_architecture`` (X86_64 or ARM64)."""
    try:
        return PLATFORMS[cpu_architecture]
    except KeyError:
        raise ImageError(
            f"cpu_architecture {cpu_architecture!r} is not one Fargate runs: use "
            + " or ".join(repr(name) for name in PLATFORMS)
        ) from None


def architecture_of(platform: str) -> str:
    """``linux/arm64`` -> ``arm64``: the image's Architecture as ``docker image inspect`` says."""
    os_name, _, arch = platform.partition("/")
    if os_name != "linux" or arch not in _BINFMT_NAMES:
        raise ImageError(
            f"platform {platform!r} is not one Fargate runs: use linux/amd64 or linux/arm64"
        )
    return arch


def image_tag(
    context_dir: Path, build_args: Mapping[str, str] | None = None, platform: str = DEFAULT_PLATFORM
) -> str:
    """The image's tag: the context hash, then the architecture (``3f9c2a...-arm64``)."""
    return f"{context_hash(context_dir, build_args)}-{architecture_of(platform)}"


def context_hash(context_dir: Path, build_args: Mapping[str, str] | None = None) -> str:
    """The image tag: a hash of the context's files (paths, exec bits, contents) and build args."""
    digest = hashlib.sha256()
    for rel in context_files(context_dir):
        path = context_dir / rel
        if path.is_symlink():
            kind, content = "l", os.readlink(path).encode()
        else:
            kind = "x" if os.access(path, os.X_OK) else "f"
            content = path.read_bytes()
        digest.update(f"{rel}\0{kind}\0{len(content)}\0".encode())
        digest.update(content)
    for key in sorted(build_args or {}):
        digest.update(f"arg\0{key}={(build_args or {})[key]}\0".encode())
    return digest.hexdigest()[:TAG_LENGTH]


def resolve_base_image(
    client: DockerClient | None = None, platform: str = DEFAULT_PLATFORM
) -> str | None:
    """``$TODO_BASE_IMAGE``; else the locally made base image when present for ``platform``;
    else the default.

    ``None`` means the Dockerfile's own default (the public Python slim image, multi-platform).
    """
    configured = os.environ.get(BASE_IMAGE_ENV)
    if configured:
        return configured
    if (
        client is not None
        and image_exists_locally(client, LOCAL_BASE_IMAGE)
        and image_architecture(client, LOCAL_BASE_IMAGE) == architecture_of(platform)
    ):
        return LOCAL_BASE_IMAGE
    return None


def resolve_ca_bundle() -> Path | None:
    """A CA bundle for HTTPS inside the build (pip behind a re-signing proxy), if one is set.

    ``$TODO_BUILD_CA_BUNDLE`` first, then the variables pip and requests honour, so a machine
    already set up for its proxy needs nothing more.
    """
    for name in (CA_BUNDLE_ENV, "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    return None


def build_args_for(base_image: str | None) -> dict[str, str]:
    return {"BASE_IMAGE": base_image} if base_image else {}


def local_registry_image(repository_name: str, tag: str) -> ImageRef:
    """Where the local target pushes: the loopback registry, under the ECR repository's name."""
    return ImageRef(f"{LOCAL_REGISTRY}/{repository_name}", tag)


# --- build --------------------------------------------------------------------------------


def image_exists_locally(client: DockerClient, ref: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    return True


def image_architecture(client: DockerClient, ref: str) -> str:
    """The image's architecture (``amd64``, ``arm64``), as ``docker image inspect`` gives it."""
    return str(client.images.get(ref).attrs.get("Architecture", ""))


def _engine_is_this_machine() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    return host == "" or host.startswith("unix://")


def _emulators() -> set[str]:
    """Architectures this kernel runs through enabled binfmt_misc handlers (QEMU)."""
    found: set[str] = set()
    if not BINFMT_DIR.is_dir():
        return found
    for entry in BINFMT_DIR.iterdir():
        if entry.name in {"register", "status"}:
            continue
        try:
            text = entry.read_text(errors="replace")
        except OSError:
            continue
        if not text.startswith("enabled"):
            continue
        described = f"{entry.name}\n{text}".lower()
        found.update(
            arch for arch, names in _BINFMT_NAMES.items() if any(n in described for n in names)
        )
    return found


def emulation_hint(arch: str, engine_arch: str) -> str:
    """What to do when an engine on ``engine_arch`` cannot run ``arch`` binaries."""
    other = next(
        (name for name, platform in PLATFORMS.items() if platform == f"linux/{engine_arch}"),
        "the other one",
    )
    return (
        f"the Docker engine runs on {engine_arch} and cannot run linux/{arch} binaries, which "
        f"the Dockerfile's RUN steps need: install QEMU emulation for the build (Debian/Ubuntu: "
        f"apt-get install qemu-user-static binfmt-support; any engine: docker run --privileged "
        f"--rm tonistiigi/binfmt --install {arch}), or choose the engine's architecture "
        f"(--var cpu_architecture={other})"
    )


def _dockerfile_runs(context_dir: Path) -> bool:
    """Whether the context's Dockerfile runs anything (RUN): only then does a build for another
    architecture need emulation (FROM, COPY, LABEL... do not execute the image's binaries)."""
    dockerfile = context_dir / "Dockerfile"
    if not dockerfile.is_file():
        return True
    return re.search(r"^\s*RUN\b", dockerfile.read_text(errors="replace"), re.M | re.I) is not None


def check_platform_buildable(client: DockerClient, platform: str, *, runs: bool = True) -> None:
    """Raise ImageError when the engine plainly cannot build for ``platform``.

    Decided only where it can be known: the engine's own architecture always builds, and so
    does a Dockerfile that ``runs`` nothing; another architecture needs an emulator, visible in
    binfmt_misc when the engine runs on this kernel (Docker Desktop's VM ships its own QEMU, so
    a remote engine is left to try, and a failed RUN is explained after the build).
    """
    arch = architecture_of(platform)
    if not runs:
        return
    engine_arch = str(client.version().get("Arch", ""))
    if engine_arch == arch or engine_arch not in _BINFMT_NAMES:
        return
    if "docker desktop" in str(client.info().get("OperatingSystem", "")).lower():
        return
    if _engine_is_this_machine() and arch not in _emulators():
        raise ImageError(
            f"cannot build the image for {platform}: {emulation_hint(arch, engine_arch)}"
        )


def _docker_binaries() -> list[str]:
    """Every ``docker`` on PATH, in order (a distribution's client may hide behind another)."""
    override = os.environ.get("ORCHESTRATE_DOCKER_CLI")
    if override:
        return [override]
    seen: list[str] = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        found = shutil.which("docker", path=directory) if directory else None
        if found and os.path.realpath(found) not in {os.path.realpath(s) for s in seen}:
            seen.append(found)
    return seen


def _quiet(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


def buildkit_command() -> tuple[list[str], dict[str, str]]:
    """The argv prefix and extra environment of a BuildKit build with this machine's clients.

    ``docker buildx build`` where the buildx plugin is installed; else a client older than 23,
    which builds with BuildKit itself when ``DOCKER_BUILDKIT=1`` (Debian's docker.io 20.10).
    """
    binaries = _docker_binaries()
    for binary in binaries:
        if _quiet([binary, "buildx", "version"]).returncode == 0:
            return [binary, "buildx", "build", "--load"], {}
    for binary in binaries:
        version = _quiet([binary, "version", "--format", "{{.Client.Version}}"]).stdout.strip()
        major = re.match(r"(\d+)\.", version)
        if major and int(major.group(1)) < 23:
            return [binary, "build"], {"DOCKER_BUILDKIT": "1"}
    raise ImageError(
        "building the image needs BuildKit (the Dockerfile takes a CA bundle as a build secret), "
        f"and no docker client found on PATH ({', '.join(binaries) or 'none'}) can use it: "
        "install the buildx plugin (docker-buildx-plugin, or docker-buildx on Debian/Ubuntu)."
    )


def _run_streaming(argv: list[str], env: Mapping[str, str], on_line: LineSink) -> list[str]:
    """Run, streaming output lines; return the last lines; raise ImageError on failure."""
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        env={**os.environ, **env},
    ) as process:
        assert process.stdout is not None
        try:
            for raw in process.stdout:
                line = raw.rstrip()
                tail.append(line)
                on_line(line)
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=30)
            raise
        returncode = process.wait()
    if returncode != 0:
        raise ImageError(
            f"docker build failed (exit code {returncode}); last lines:\n" + "\n".join(tail)
        )
    return list(tail)


def build_image(
    context_dir: Path,
    repository: str,
    *,
    base_image: str | None = None,
    ca_bundle: Path | None | Literal["auto"] = "auto",
    platform: str = DEFAULT_PLATFORM,
    on_line: LineSink = _ignore,
) -> ImageRef:
    """Build ``repository:<context hash>-<arch>`` for ``platform``; skipped when that tag is
    already on the engine.

    ``ca_bundle="auto"`` hands in the bundle ``resolve_ca_bundle`` finds (none: no secret).
    """
    if ca_bundle == "auto":
        ca_bundle = resolve_ca_bundle()
    build_args = build_args_for(base_image)
    image = ImageRef(repository, image_tag(context_dir, build_args, platform))
    arch = architecture_of(platform)
    client = docker_client()
    try:
        if image_exists_locally(client, str(image)):
            on_line(f"image {image} already built: build skipped")
            return image
        check_platform_buildable(client, platform, runs=_dockerfile_runs(context_dir))
        engine_arch = str(client.version().get("Arch", ""))
    finally:
        client.close()
    prefix, env = buildkit_command()
    argv = [*prefix, "--progress", "plain", "--platform", platform, "--tag", str(image)]
    for key, value in build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    if ca_bundle is not None:
        argv += ["--secret", f"id={CA_BUNDLE_SECRET_ID},src={ca_bundle}"]
    argv.append(str(context_dir))
    on_line(
        f"building {image} for {platform} (base {base_image or 'the Dockerfile default'}"
        f"{', CA bundle ' + str(ca_bundle) if ca_bundle else ''})"
    )
    try:
        _run_streaming(argv, env, on_line)
    except ImageError as exc:
        hint = _platform_hint(str(exc), arch, engine_arch) or _base_image_hint(str(exc), base_image)
        raise ImageError(f"{exc}\n{hint}".rstrip()) from exc
    _check_built_architecture(image, arch)
    return image


def _check_built_architecture(image: ImageRef, arch: str) -> None:
    """A builder that ignores ``--platform`` makes the host's architecture: never keep that."""
    client = docker_client()
    try:
        built = image_architecture(client, str(image))
        if built != arch:
            client.images.remove(str(image))
            raise ImageError(
                f"the engine built {image} for {built or 'an unknown architecture'}, not {arch}: "
                "its builder ignores --platform; build with BuildKit (docker buildx) or choose "
                f"the engine's architecture"
            )
    finally:
        client.close()


def _platform_hint(log: str, arch: str, engine_arch: str) -> str:
    if arch != engine_arch and re.search(r"exec format error", log):
        return f"The build needs emulation: {emulation_hint(arch, engine_arch)}."
    if re.search(r"no match for platform|does not match the specified platform", log):
        return (
            f"The base image has no linux/{arch} variant: set {BASE_IMAGE_ENV} to a base image "
            f"for linux/{arch}, or choose the other cpu_architecture."
        )
    return ""


def _base_image_hint(log: str, base_image: str | None) -> str:
    if re.search(r"docker/dockerfile:", log):
        return (
            "The Dockerfile's '# syntax=' line makes the builder pull a frontend image, which "
            "failed: drop that line (the builder's own frontend has what the Dockerfile uses)."
        )
    pulled = re.search(r"pull access denied|failed to resolve source metadata|no such host", log)
    if pulled and base_image is None:
        return (
            "The base image could not be pulled: set TODO_BASE_IMAGE to a local one "
            f"(.ci/setup_docker.sh makes {LOCAL_BASE_IMAGE} with debootstrap)."
        )
    if "CERTIFICATE_VERIFY_FAILED" in log:
        return (
            "HTTPS inside the build failed a certificate check (a proxy with its own CA?): set "
            f"{CA_BUNDLE_ENV} to a CA bundle file that includes the proxy's CA."
        )
    return ""


# --- registries ---------------------------------------------------------------------------


def ecr_login(ecr_client: Any) -> RegistryAuth:
    """Credentials for the account's registry from ``ecr:GetAuthorizationToken``."""
    data = ecr_client.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return RegistryAuth(username=username, password=password, registry=data["proxyEndpoint"])


def image_exists_in_ecr(ecr_client: Any, repository_name: str, tag: str) -> bool:
    """Whether ``tag`` is in the repository (tags are immutable there, so it is this image)."""
    from botocore.exceptions import ClientError

    try:
        ecr_client.describe_images(repositoryName=repository_name, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"ImageNotFoundException", "RepositoryNotFoundException"}:
            return False
        raise
    return True


def image_exists_in_registry(image: ImageRef, registry_auth: RegistryAuth | None = None) -> bool:
    """Whether the registry has ``image`` (asked through the engine; any registry)."""
    from docker.errors import APIError, NotFound

    client = docker_client()
    try:
        auth = registry_auth.auth_config() if registry_auth else None
        client.images.get_registry_data(str(image), auth_config=auth)
    except NotFound:
        return False
    except APIError as exc:
        # Registries answer a missing manifest in several ways; none of them is "present".
        if "manifest unknown" in str(exc) or "not found" in str(exc).lower():
            return False
        raise ImageError(f"cannot ask the registry about {image}: {exc}") from exc
    finally:
        client.close()
    return True


def push_image(
    image: ImageRef, registry_auth: RegistryAuth | None = None, on_line: LineSink = _ignore
) -> str:
    """Push ``image``; return its digest (``sha256:...``)."""
    client = docker_client()
    digest = ""
    try:
        auth = registry_auth.auth_config() if registry_auth else None
        stream = client.images.push(
            image.repository, tag=image.tag, auth_config=auth, stream=True, decode=True
        )
        for event in stream:
            if "error" in event:
                raise ImageError(f"pushing {image} failed: {event['error']}")
            digest = event.get("aux", {}).get("Digest", digest)
            status = event.get("status", "")
            # Per-layer byte counts are noise; layer outcomes and the summary are not.
            if status and status not in {"Pushing", "Preparing", "Waiting"}:
                on_line(f"{event['id']}: {status}" if "id" in event else status)
    except ImageError:
        raise
    except Exception as exc:  # the SDK raises several types for one failure family
        raise ImageError(f"pushing {image} failed: {exc}") from exc
    finally:
        client.close()
    if not digest:
        raise ImageError(f"pushing {image} finished without a digest from the registry")
    on_line(f"pushed {image.by_digest(digest)}")
    return digest


def publish_image(
    context_dir: Path,
    repository: str,
    *,
    base_image: str | None = None,
    ca_bundle: Path | None | Literal["auto"] = "auto",
    registry_auth: RegistryAuth | None = None,
    tag_exists: Callable[[str], bool] | None = None,
    platform: str = DEFAULT_PLATFORM,
    on_line: LineSink = _ignore,
) -> ImageRef:
    """Build for ``platform`` and push unless the registry already has this context's tag;
    return the image.

    ``tag_exists`` asks the registry (``image_exists_in_ecr`` for ECR, which needs no engine);
    by default the engine asks it.
    """
    image = ImageRef(repository, image_tag(context_dir, build_args_for(base_image), platform))
    present = (
        tag_exists(image.tag) if tag_exists else image_exists_in_registry(image, registry_auth)
    )
    if present:
        on_line(f"{image} is already in the registry: build and push skipped")
        return image
    build_image(
        context_dir,
        repository,
        base_image=base_image,
        ca_bundle=ca_bundle,
        platform=platform,
        on_line=on_line,
    )
    push_image(image, registry_auth, on_line)
    return image


# --- inspection ---------------------------------------------------------------------------


def image_size(image: ImageRef | str) -> int:
    """The image's size in bytes on the engine (``docker image inspect`` Size)."""
    client = docker_client()
    try:
        return int(client.images.get(str(image)).attrs["Size"])
    except Exception as exc:
        raise ImageError(f"cannot inspect {image}: {exc}") from exc
    finally:
        client.close()


def format_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
