"""A private, throwaway MariaDB server a test may stop and start (own port and data dir).

The shared test server (.ci/setup_mariadb.sh) keeps serving the other tests meanwhile.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from devtools.ports import free_port
from orchestrator.processes import stop_child
from tests.conftest import require_component

# Ports set aside for it; the first free one is taken, so a server left over by an earlier run
# (a killed test session) cannot stop this one from starting.
PORTS = range(3307, 3317)
USER = "todo"
PASSWORD = "todo"
DATABASE = "todo_outage"


class PrivateMariaDB:
    """``mariadb-install-db`` into a temporary directory, then ``mariadbd`` on 127.0.0.1."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="todo-mariadb-"))
        # mariadbd runs as the mysql user (it refuses root): it must reach its directory.
        self.root.chmod(0o755)
        self.datadir = self.root / "data"
        self.socket = self.root / "mysqld.sock"
        self.log = self.root / "error.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = free_port(PORTS)  # kept across stop and start: the app reconnects to it

    @property
    def url(self) -> URL:
        return URL.create(
            "mysql+pymysql",
            USER,
            PASSWORD,
            "127.0.0.1",
            self.port,
            DATABASE,
            {"charset": "utf8mb4"},
        )

    @staticmethod
    def available() -> str | None:
        """None when this machine can run one, else what is missing."""
        for tool in ("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb"):
            if _which(tool) is None:
                return f"{tool} not found"
        if os.geteuid() != 0:
            return "a private MariaDB needs root here (its files belong to the mysql user)"
        return None

    def install(self) -> None:
        mysql = pwd.getpwnam("mysql")
        self.datadir.mkdir()
        os.chown(self.root, mysql.pw_uid, mysql.pw_gid)
        os.chown(self.datadir, mysql.pw_uid, mysql.pw_gid)
        _run(
            [
                _tool("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=mysql",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ]
        )

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            [
                _tool("mariadbd"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--pid-file={self.root / 'mysqld.pid'}",
                f"--log-error={self.log}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--user=mysql",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=16M",
                "--character-set-server=utf8mb4",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"private mariadbd did not start:\n{self._log_tail()}")
            time.sleep(0.2)

    def create_app_user(self) -> None:
        self._sql(
            f"CREATE DATABASE IF NOT EXISTS {DATABASE} CHARACTER SET utf8mb4;"
            f"CREATE USER IF NOT EXISTS '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';"
            f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'127.0.0.1';"
        )

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), as a database restart or failover would do."""
        if self.process is None:
            return
        stop_child(self.process, timeout=60)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers, as a hung database does."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def destroy(self) -> None:
        if self.process is not None:
            self.thaw()  # a stopped process would not act on the SIGTERM
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _answers(self) -> bool:
        result = subprocess.run(
            [_tool("mariadb-admin"), f"--socket={self.socket}", "-uroot", "ping"],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def _sql(self, statements: str) -> None:
        _run([_tool("mariadb"), f"--socket={self.socket}", "-uroot", "-e", statements])

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no error log)"


def _which(tool: str) -> str | None:
    # mariadbd lives in /usr/sbin, which a non-login PATH may lack.
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/local/sbin")


def _tool(tool: str) -> str:
    path = _which(tool)
    if path is None:
        raise FileNotFoundError(tool)
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")


@contextmanager
def private_mariadb_server() -> Iterator[PrivateMariaDB]:
    """A started private server with the app's user and database; skips when it cannot run."""
    problem = PrivateMariaDB.available()
    require_component(problem is None, f"cannot run a private MariaDB: {problem}")
    server = PrivateMariaDB()
    try:
        server.install()
        server.start()
        server.create_app_user()
        yield server
    finally:
        server.destroy()
