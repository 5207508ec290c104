#!/usr/bin/env bash
# Install (if missing) and start (if not running) a local MariaDB for the TODO API tests, then
# create the test database and a password user for TCP clients. Safe to run any number of times.
# Production is MySQL 8.4; MariaDB is what Debian ships, and the app's SQL stays portable.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # mariadbd lives in /usr/sbin

PORT="${TODO_MARIADB_PORT:-3306}"
DB_USER="todo"
DB_PASSWORD="todo"
DB_NAME="todo_test"

say() { echo "setup_mariadb: $*"; }

if ! command -v mariadbd >/dev/null 2>&1; then
    say "installing mariadb-server with apt"
    export DEBIAN_FRONTEND=noninteractive
    # Other setup steps may hold the dpkg lock: wait for it rather than fail.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq mariadb-server >/dev/null
else
    say "mariadb-server already installed ($(mariadbd --version | head -n1))"
fi

answers() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1; }

if answers; then
    say "server already running"
else
    say "starting mariadbd on 127.0.0.1:${PORT}"
    mkdir -p /run/mysqld
    chown mysql:mysql /run/mysqld
    # No init system here: start-stop-daemon backgrounds it; --user because it refuses root.
    start-stop-daemon --start --oknodo --background --exec "$(command -v mariadbd)" -- \
        --user=mysql --bind-address=127.0.0.1 --port="${PORT}"
    for _ in $(seq 1 60); do
        answers && break
        sleep 0.5
    done
    answers || { say "mariadbd did not answer within 30 s" >&2; exit 1; }
    say "server answers"
fi

# Root logs in over the socket; the tests connect over TCP with a password user.
mariadb --protocol=socket -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`todo\\_%\`.* TO '${DB_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`todo\\_%\`.* TO '${DB_USER}'@'localhost';
FLUSH PRIVILEGES;
SQL
say "database ${DB_NAME} and user ${DB_USER}@127.0.0.1/localhost (all on todo_% databases) ready"
say "TODO_TEST_MYSQL_URL=mysql+pymysql://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${PORT}/${DB_NAME}"
