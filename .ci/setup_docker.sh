#!/usr/bin/env bash
# Install (if missing) and start (if not running) a Docker engine, a local base image and a local
# registry for the TODO image tests. Safe to run any number of times; fast when everything exists.
#
# - docker.io, debootstrap, docker-registry from apt when missing;
# - dockerd in the background (log file), waited for with a bound;
# - local/python-base:bookworm, made with debootstrap because nothing can be pulled from Docker
#   Hub here; the root filesystem tarball is cached outside the repo so later runs only import it;
# - local/mariadb-sidecar:bookworm, a MySQL-compatible database sidecar (the MySQL image cannot be
#   pulled either);
# - a registry on 127.0.0.1:5050 (the local target's stand-in for ECR; 5000 is taken here).
set -euo pipefail

BASE_IMAGE="${TODO_BASE_IMAGE:-local/python-base:bookworm}"
SIDECAR_IMAGE="${TODO_LOCAL_SIDECAR_IMAGE:-local/mariadb-sidecar:bookworm}"
REGISTRY_ADDR="${TODO_LOCAL_REGISTRY:-127.0.0.1:5050}"
CACHE_DIR="${CLOUD_STACKS_CACHE_DIR:-/var/cache/cloud-reference-stacks}"
STATE_DIR="${CLOUD_STACKS_STATE_DIR:-/var/lib/cloud-reference-stacks}"
LOG_DIR="${CLOUD_STACKS_LOG_DIR:-/var/log/cloud-reference-stacks}"
DOCKER_WAIT_SECONDS="${DOCKER_WAIT_SECONDS:-120}"
# python3-venv brings ensurepip (the Dockerfile makes a venv); python-is-python3 gives `python`
# as the public python image has it; ca-certificates for HTTPS from the image.
BASE_PACKAGES="python3,python3-venv,python-is-python3,ca-certificates"
ROOTFS_TAR="${CACHE_DIR}/python-base-bookworm.tar"

say() { echo "setup_docker: $*"; }
die() { echo "setup_docker: $*" >&2; exit 1; }
started_at=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started_at )) s"; }

# --- packages -----------------------------------------------------------------------------
packages=()
command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || packages+=(debootstrap)
[ -x /usr/bin/docker-registry ] || packages+=(docker-registry)
if [ "${#packages[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing ${packages[*]}; install them (as root) and run again"
    say "installing ${packages[*]} with apt"
    export DEBIAN_FRONTEND=noninteractive
    # Other setup steps may hold the dpkg lock: wait for it rather than fail.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        "${packages[@]}" >/dev/null
    say "installed (${packages[*]}) at $(elapsed)"
else
    say "docker.io, debootstrap and docker-registry already installed"
fi

# --- the engine ---------------------------------------------------------------------------
engine_answers() { docker info >/dev/null 2>&1; }
if engine_answers; then
    say "Docker engine already running ($(docker version --format '{{.Server.Version}}'))"
else
    mkdir -p "$LOG_DIR"
    if pgrep -x dockerd >/dev/null 2>&1; then
        say "dockerd is starting; waiting for it"
    else
        say "starting dockerd (log: ${LOG_DIR}/dockerd.log)"
        # No init system here: run it in the background, detached from this shell's session.
        setsid nohup dockerd >>"${LOG_DIR}/dockerd.log" 2>&1 </dev/null &
    fi
    for _ in $(seq 1 "$DOCKER_WAIT_SECONDS"); do
        engine_answers && break
        sleep 1
    done
    engine_answers || {
        tail -n 20 "${LOG_DIR}/dockerd.log" >&2 || true
        die "the Docker engine did not answer within ${DOCKER_WAIT_SECONDS} s"
    }
    say "Docker engine answers ($(docker version --format '{{.Server.Version}}')) at $(elapsed)"
fi

# --- the base image -----------------------------------------------------------------------
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    say "base image ${BASE_IMAGE} already present"
else
    if [ ! -s "$ROOTFS_TAR" ]; then
        [ "$(id -u)" -eq 0 ] || die "debootstrap needs root to build ${BASE_IMAGE}"
        mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources \
            2>/dev/null || true)"
        mirror="${mirror:-http://deb.debian.org/debian}"
        say "debootstrap bookworm (${BASE_PACKAGES}) from ${mirror}"
        mkdir -p "$CACHE_DIR"
        rootfs="$(mktemp -d "${CACHE_DIR}/rootfs.XXXXXX")"
        trap 'rm -rf "$rootfs"' EXIT
        debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$rootfs" "$mirror" \
            >"${CACHE_DIR}/debootstrap.log" 2>&1 \
            || { tail -n 20 "${CACHE_DIR}/debootstrap.log" >&2; die "debootstrap failed"; }
        # What an image does not need: downloaded packages, package lists, docs.
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
            "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
        tar -C "$rootfs" --numeric-owner -cf "${ROOTFS_TAR}.partial" .
        mv "${ROOTFS_TAR}.partial" "$ROOTFS_TAR"
        rm -rf "$rootfs"
        trap - EXIT
        say "root filesystem cached in ${ROOTFS_TAR} at $(elapsed)"
    else
        say "using the cached root filesystem ${ROOTFS_TAR}"
    fi
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
    say "base image ${BASE_IMAGE} imported at $(elapsed)"
fi

# --- a MySQL-compatible sidecar image -----------------------------------------------------
# The MySQL image cannot be pulled here either. MariaDB from Debian, behind an entrypoint that takes
# the official image's variables (MYSQL_DATABASE/USER/PASSWORD/ROOT_PASSWORD), lets the local
# task run with a database sidecar exactly as on a machine with Docker Hub.
# The recipe is written out every run (cheap): its hash names the saved image in the cache, so
# a new engine loads it in seconds and a changed recipe is rebuilt.
sidecar_dir="$(mktemp -d)"
cat >"${sidecar_dir}/entrypoint.sh" <<'SH'
#!/bin/sh
# The official mysql image's variables, on MariaDB: first start creates the database and users.
set -eu
datadir=/var/lib/mysql
if [ ! -d "${datadir}/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
    mariadbd --user=mysql --datadir="$datadir" --bootstrap <<SQL
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
CREATE USER 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE:-todo}\` CHARACTER SET utf8mb4;
CREATE USER '${MYSQL_USER:-todo}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE:-todo}\`.* TO '${MYSQL_USER:-todo}'@'%';
SQL
fi
exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
SH
cat >"${sidecar_dir}/Dockerfile" <<DOCKERFILE
FROM ${BASE_IMAGE}
RUN apt-get update -qq \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
       mariadb-server mariadb-client >/dev/null \\
    && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* \\
    && mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld /var/lib/mysql
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
RUN chmod 0755 /usr/local/bin/entrypoint.sh
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
DOCKERFILE
key="$(printf '%s\n' "$SIDECAR_IMAGE" | cat - "${sidecar_dir}/Dockerfile" \
    "${sidecar_dir}/entrypoint.sh" | sha256sum | cut -c1-12)"
sidecar_tar="${CACHE_DIR}/mariadb-sidecar-${key}.tar"
save_sidecar() {
    mkdir -p "$CACHE_DIR"
    docker save -o "${sidecar_tar}.partial" "$SIDECAR_IMAGE"
    mv "${sidecar_tar}.partial" "$sidecar_tar"
}
if docker image inspect "$SIDECAR_IMAGE" >/dev/null 2>&1; then
    say "sidecar image ${SIDECAR_IMAGE} already present"
    if [ ! -s "$sidecar_tar" ]; then
        save_sidecar
        say "sidecar image saved to ${sidecar_tar}"
    fi
elif [ -s "$sidecar_tar" ]; then
    docker load -q -i "$sidecar_tar" >/dev/null
    say "sidecar image ${SIDECAR_IMAGE} loaded from ${sidecar_tar} at $(elapsed)"
else
    say "building ${SIDECAR_IMAGE} (MariaDB from Debian on ${BASE_IMAGE})"
    # apt fetches over plain HTTP, so the classic builder (no secrets needed) is enough.
    DOCKER_BUILDKIT=0 docker build -q -t "$SIDECAR_IMAGE" "$sidecar_dir" \
        >/dev/null 2>"${sidecar_dir}/err" \
        || { cat "${sidecar_dir}/err" >&2; die "building ${SIDECAR_IMAGE} failed"; }
    save_sidecar
    say "sidecar image ${SIDECAR_IMAGE} built and saved to ${sidecar_tar} at $(elapsed)"
fi
rm -rf "$sidecar_dir"

# --- the local registry -------------------------------------------------------------------
registry_answers() { curl -fsS -o /dev/null "http://${REGISTRY_ADDR}/v2/" 2>/dev/null; }
if registry_answers; then
    say "registry already answering on ${REGISTRY_ADDR}"
else
    mkdir -p "${STATE_DIR}/registry" "$LOG_DIR"
    config="${STATE_DIR}/registry.yml"
    # Our own config: the packaged one turns on htpasswd authentication.
    cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${STATE_DIR}/registry
  delete:
    enabled: true
http:
  addr: ${REGISTRY_ADDR}
YAML
    say "starting docker-registry on ${REGISTRY_ADDR} (log: ${LOG_DIR}/registry.log)"
    setsid nohup /usr/bin/docker-registry serve "$config" >>"${LOG_DIR}/registry.log" 2>&1 \
        </dev/null &
    for _ in $(seq 1 40); do
        registry_answers && break
        sleep 0.25
    done
    registry_answers || {
        tail -n 20 "${LOG_DIR}/registry.log" >&2 || true
        die "the registry did not answer on ${REGISTRY_ADDR} within 10 s"
    }
    say "registry answers at $(elapsed)"
fi

say "ready in $(elapsed): engine, ${BASE_IMAGE}, ${SIDECAR_IMAGE}, registry ${REGISTRY_ADDR}"
