"""The app survives a rotation of the database password (RDS-managed secrets rotate weekly).

A real local cloud holds the secret and a real MariaDB the user. Rotation is done as RDS does it:
the user's password changes and the secret gets the new value; the app's connections are then
killed, so it must reconnect. GIVEN / WHEN / THEN.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from app.core.config import Settings
from app.core.db import make_async_engine, make_engine, password_source, ping, ping_async
from app.core.db_password import PasswordSource
from devtools.ports import free_port
from orchestrator.local_cloud import control
from orchestrator.processes import stop_child
from tests.app_todo.app_process import APP_DIR, uvicorn_command, wait_until_answers
from tests.app_todo.conftest import JsonLog
from tests.app_todo.private_mariadb import PrivateMariaDB, _tool

CLOUD_PORTS = range(4780, 4790)
APP_PORTS = range(4790, 4800)
READ_LINE = "database password read from Secrets Manager"
REFUSED_LINE = "the database refused the password just read from Secrets Manager too"
# The administrator's keys of the local cloud (it may enforce IAM for other principals).
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.LocalCloud]:
    work_dir = tmp_path_factory.mktemp("rotation-cloud")
    started = control.up(work_dir, port=free_port(CLOUD_PORTS))
    try:
        yield started
    finally:
        control.down(work_dir)


@pytest.fixture(scope="module")
def secrets(cloud: control.LocalCloud) -> Any:
    return boto3.client(
        "secretsmanager",
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def cloud_env(
    cloud: control.LocalCloud, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """botocore in this process (the app's code under test) talks to the local cloud."""
    # The read lines are INFO, as a deployment logs them (LOG_LEVEL=INFO).
    caplog.set_level(logging.INFO, logger="app.core.db_password")
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)


def make_secret(secrets: Any, username: str, password: str) -> str:
    answer = secrets.create_secret(
        Name=f"rds!db-{uuid.uuid4().hex[:12]}",
        SecretString=json.dumps({"username": username, "password": password}),
    )
    arn: str = answer["ARN"]
    return arn


def put_password(secrets: Any, arn: str, username: str, password: str) -> None:
    secrets.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": username, "password": password})
    )


def mysql_settings(server: URL, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DB_HOST": server.host,
        "DB_PORT": server.port or 3306,
        "DB_USER": server.username,
        "DB_NAME": server.database,
        "DB_WAIT_ATTEMPTS": 1,
        "DB_WAIT_INTERVAL": 0,
    }
    values.update(overrides)
    return Settings(**values)


def read_lines(log: JsonLog) -> list[dict[str, Any]]:
    return [line for line in log.lines() if line["message"] == READ_LINE]


# --- the password source, in this process, on the shared MariaDB ------------------------------


def test_a_stale_password_is_read_again_once_for_both_engines(
    mariadb_server: URL, secrets: Any, cloud_env: None, json_log: JsonLog
) -> None:
    # GIVEN a task started with a password the database no longer takes, and the secret's new one
    assert mariadb_server.password is not None
    arn = make_secret(secrets, str(mariadb_server.username), mariadb_server.password)
    settings = mysql_settings(mariadb_server, DB_PASSWORD="stale-password", DB_SECRET_ARN=arn)
    passwords = password_source(settings)
    assert passwords is not None
    engine = make_engine(settings, passwords)
    requests_engine = make_async_engine(settings, passwords)
    try:
        # WHEN the start-up engine connects, then the requests' engine
        ping(engine)
        asyncio.run(ping_async(requests_engine))
    finally:
        engine.dispose()
        asyncio.run(requests_engine.dispose())

    # THEN one read served both, and its log line names the secret but holds no password
    assert passwords.reads == 1
    [line] = read_lines(json_log)
    assert line["secret"] == arn and line["changed"] is True and line["version_id"]
    assert mariadb_server.password not in json.dumps(json_log.lines())


def test_without_a_password_the_first_connection_reads_the_secret(
    mariadb_server: URL, secrets: Any, cloud_env: None, json_log: JsonLog
) -> None:
    # GIVEN DB_SECRET_ARN and no DB_PASSWORD
    assert mariadb_server.password is not None
    arn = make_secret(secrets, str(mariadb_server.username), mariadb_server.password)
    settings = mysql_settings(mariadb_server, DB_SECRET_ARN=arn)
    passwords = password_source(settings)
    assert passwords is not None and passwords.current is None
    engine = make_engine(settings, passwords)
    try:
        # WHEN it connects
        with engine.connect() as connection:
            user = connection.execute(text("SELECT CURRENT_USER()")).scalar()
    finally:
        engine.dispose()

    # THEN the secret's password let it in
    assert str(user).startswith(f"{mariadb_server.username}@")
    assert passwords.reads == 1 and passwords.current == mariadb_server.password


def test_a_wrong_secret_is_read_at_most_once_per_interval_however_many_connect(
    mariadb_server: URL, secrets: Any, cloud_env: None, json_log: JsonLog
) -> None:
    # GIVEN a secret that holds a wrong password, and a stale one in the task
    arn = make_secret(secrets, str(mariadb_server.username), "not-the-password")
    settings = mysql_settings(
        mariadb_server,
        DB_PASSWORD="stale-password",
        DB_SECRET_ARN=arn,
        DB_SECRET_REFRESH_INTERVAL=1.0,
        DB_POOL_SIZE=20,
    )
    passwords = password_source(settings)
    assert passwords is not None
    requests_engine = make_async_engine(settings, passwords)

    async def connect_many() -> list[BaseException | None]:
        return await asyncio.gather(
            *(ping_async(requests_engine) for _ in range(20)), return_exceptions=True
        )

    try:
        # WHEN 20 connections start at once, then 20 more
        first = asyncio.run(connect_many())
        second = asyncio.run(connect_many())
        reads_within_interval = passwords.reads
        # ... and once the interval has passed, after the secret was fixed
        assert mariadb_server.password is not None
        put_password(secrets, arn, str(mariadb_server.username), mariadb_server.password)
        time.sleep(1.1)
        asyncio.run(ping_async(requests_engine))
    finally:
        asyncio.run(requests_engine.dispose())

    # THEN all 40 were refused (1045) after a single read, and the next read fixed it
    refused = [r for r in first + second if isinstance(r, OperationalError)]
    assert len(refused) == 40, first + second
    assert all("1045" in str(r) for r in refused)
    assert reads_within_interval == 1
    assert passwords.reads == 2
    assert any(line["message"].startswith(REFUSED_LINE) for line in json_log.lines())


def test_an_unreadable_secret_leaves_the_refusal_with_its_reason_in_the_log(
    mariadb_server: URL, cloud: control.LocalCloud, cloud_env: None, json_log: JsonLog
) -> None:
    # GIVEN a secret that does not exist
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-missing-AbCdEf"
    settings = mysql_settings(mariadb_server, DB_PASSWORD="stale-password", DB_SECRET_ARN=arn)
    passwords = password_source(settings)
    assert passwords is not None
    engine = make_engine(settings, passwords)
    try:
        # WHEN a connection is refused
        with pytest.raises(OperationalError, match="1045"):
            ping(engine)
    finally:
        engine.dispose()

    # THEN the log says why no new password came
    [line] = [
        line
        for line in json_log.lines()
        if line["message"] == "could not read the database password from Secrets Manager"
    ]
    assert line["secret"] == arn and "ResourceNotFoundException" in line["reason"]


def test_the_source_is_only_made_for_mysql_with_a_secret() -> None:
    assert password_source(Settings(DATABASE_URL="sqlite:///x.db", DB_SECRET_ARN="s")) is None
    mysql: dict[str, Any] = {"DATABASE_URL": None, "DB_HOST": "db"}
    assert password_source(Settings(**mysql, DB_PASSWORD=SecretStr("p"))) is None
    source = password_source(Settings(**mysql, DB_SECRET_ARN="s", DB_SECRET_KEY="pw"))
    assert isinstance(source, PasswordSource) and source.key == "pw" and source.current is None


# --- the running app (uvicorn, as in the image) on a private MariaDB --------------------------


class RotatableUser:
    """A MySQL user of the private server whose password the test changes as RDS does."""

    def __init__(self, server: PrivateMariaDB, password: str) -> None:
        self.server = server
        self.name = f"rot{uuid.uuid4().hex[:8]}"
        self.database = f"{self.name}_db"
        self.sql(
            f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4;"
            f"CREATE USER '{self.name}'@'127.0.0.1' IDENTIFIED BY '{password}';"
            f"GRANT ALL PRIVILEGES ON {self.database}.* TO '{self.name}'@'127.0.0.1';"
        )

    def sql(self, statements: str) -> str:
        result = subprocess.run(
            [_tool("mariadb"), f"--socket={self.server.socket}", "-uroot", "-N", "-B", "-e"]
            + [statements],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return result.stdout

    def set_password(self, password: str) -> None:
        self.sql(f"ALTER USER '{self.name}'@'127.0.0.1' IDENTIFIED BY '{password}'")

    def kill_connections(self) -> int:
        ids = self.sql(
            f"SELECT id FROM information_schema.processlist WHERE user = '{self.name}'"
        ).split()
        for process_id in ids:
            # A connection may end by itself meanwhile: that is as good as killed.
            subprocess.run(
                [_tool("mariadb"), f"--socket={self.server.socket}", "-uroot", "-e"]
                + [f"KILL {int(process_id)}"],
                capture_output=True,
                check=False,
                timeout=30,
            )
        return len(ids)

    def drop(self) -> None:
        self.sql(f"DROP USER IF EXISTS '{self.name}'@'127.0.0.1';")
        self.sql(f"DROP DATABASE IF EXISTS {self.database};")


class RunningApp:
    def __init__(self, base_url: str, log_path: Path) -> None:
        self.base_url = base_url
        self.log_path = log_path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]

    def reads(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line["message"] == READ_LINE]


@pytest.fixture
def rotatable(private_mariadb: PrivateMariaDB) -> Iterator[Callable[[str], RotatableUser]]:
    made: list[RotatableUser] = []

    def make(password: str) -> RotatableUser:
        made.append(RotatableUser(private_mariadb, password))
        return made[-1]

    yield make
    for user in made:
        user.drop()


@pytest.fixture
def start_app(cloud: control.LocalCloud, tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(user: RotatableUser, **settings: str) -> RunningApp:
        port = free_port(APP_PORTS)
        log_path = tmp_path / f"app-{len(processes)}.log"
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(user.server.port),
            "DB_USER": user.name,
            "DB_NAME": user.database,
            "DB_WAIT_ATTEMPTS": "1",
            "LOG_LEVEL": "INFO",
            "AWS_ENDPOINT_URL": cloud.endpoint_url,
            **AWS_ENV,
            **settings,
        }
        with log_path.open("w") as log:
            process = subprocess.Popen(
                uvicorn_command(port, "--no-access-log"),
                cwd=APP_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        app = RunningApp(f"http://127.0.0.1:{port}", log_path)
        wait_until_answers(f"{app.base_url}/health/ready", process, app.log_text)
        return app

    yield start
    for process in processes:
        stop_child(process, timeout=30)


class Client:
    """One client that writes and reads without pause (one request in flight at a time)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.statuses: list[tuple[float, int]] = []
        self.created: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> Client:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with requests.Session() as session:
            count = 0
            while not self._stop.is_set():
                count += 1
                if count % 2:
                    answer = session.post(f"{self.base}/tasks", json={"title": f"#{count}"})
                    if answer.status_code == 201:
                        self.created.append(answer.json()["id"])
                else:
                    answer = session.get(f"{self.base}/tasks", params={"limit": 5})
                self.statuses.append((time.monotonic(), answer.status_code))
                time.sleep(0.02)

    def failures(self, since: float = 0.0) -> list[int]:
        return [status for at, status in self.statuses if at >= since and status >= 300]

    def successes(self, since: float = 0.0) -> int:
        return sum(1 for at, status in self.statuses if at >= since and status < 300)


def create_task(base: str, title: str) -> int:
    answer = requests.post(f"{base}/tasks", json={"title": title}, timeout=10)
    assert answer.status_code == 201, answer.text
    task_id: int = answer.json()["id"]
    return task_id


def assert_all_there(base: str, ids: list[int]) -> None:
    for task_id in ids:
        answer = requests.get(f"{base}/tasks/{task_id}", timeout=10)
        assert answer.status_code == 200, (task_id, answer.status_code)


def test_the_running_app_keeps_answering_through_a_rotation(
    secrets: Any, rotatable: Callable[[str], RotatableUser], start_app: Callable[..., RunningApp]
) -> None:
    # GIVEN the app started with the secret only (no DB_PASSWORD), serving writes
    first, second = f"p1-{uuid.uuid4().hex}", f"p2-{uuid.uuid4().hex}"
    user = rotatable(first)
    arn = make_secret(secrets, user.name, first)
    app = start_app(user, DB_SECRET_ARN=arn, DB_SECRET_REFRESH_INTERVAL="1")
    before = [create_task(app.base_url, f"before {n}") for n in range(5)]
    assert len(app.reads()) == 1  # at start, before the first connection

    with Client(app.base_url) as client:
        # (A read within the interval of the start's read would be skipped: one per interval.)
        time.sleep(1.5)
        # WHEN the password rotates as RDS does it, and the app's connections are cut
        user.set_password(second)
        put_password(secrets, arn, user.name, second)
        rotated = time.monotonic()
        killed = user.kill_connections()
        time.sleep(2.0)
    after = [create_task(app.base_url, f"after {n}") for n in range(5)]

    # THEN requests kept answering (a request whose connection was killed mid-query may fail)
    assert killed >= 1
    assert len(client.failures(since=rotated)) <= 1, client.failures(since=rotated)
    assert client.successes(since=rotated) >= 20
    # ... every write is there
    assert_all_there(app.base_url, before + client.created + after)
    # ... one more read of the secret, logged without either password
    reads = app.reads()
    assert len(reads) == 2 and reads[-1]["changed"] is True and reads[-1]["secret"] == arn
    log = app.log_text()
    assert first not in log and second not in log


def test_a_wrong_secret_gives_503_without_a_storm_of_reads_then_recovers(
    secrets: Any, rotatable: Callable[[str], RotatableUser], start_app: Callable[..., RunningApp]
) -> None:
    # GIVEN the running app, reading the secret at most every 2 s
    first, second = f"p1-{uuid.uuid4().hex}", f"p2-{uuid.uuid4().hex}"
    user = rotatable(first)
    arn = make_secret(secrets, user.name, first)
    app = start_app(user, DB_SECRET_ARN=arn, DB_SECRET_REFRESH_INTERVAL="2")
    before = [create_task(app.base_url, f"before {n}") for n in range(3)]

    # WHEN the password changes but the secret gets a wrong value, and connections are cut
    with Client(app.base_url) as client:
        user.set_password(second)
        put_password(secrets, arn, user.name, "a-wrong-password")
        broken = time.monotonic()
        user.kill_connections()
        time.sleep(5.0)
        # ... and then the secret is fixed
        put_password(secrets, arn, user.name, second)
        fixed = time.monotonic()
        deadline = fixed + 10
        while time.monotonic() < deadline and client.successes(since=time.monotonic() - 0.5) < 5:
            time.sleep(0.2)
        recovered = time.monotonic()
    after = [create_task(app.base_url, f"after {n}") for n in range(3)]

    # THEN while the secret was wrong the app answered 503, and said why
    broken_statuses = [s for at, s in client.statuses if broken + 0.5 <= at < fixed]
    assert broken_statuses and set(broken_statuses) == {503}, set(broken_statuses)
    lines = app.log_lines()
    assert any(line["message"].startswith(REFUSED_LINE) for line in lines)
    assert any("1045" in str(line.get("reason", "")) for line in lines)
    # ... with no storm of reads: at most one per 2 s interval (the start's read aside)
    reads_while_broken = len(app.reads()) - 1
    assert 1 <= reads_while_broken <= 2 + int((recovered - broken) / 2)
    assert len(broken_statuses) > 3 * reads_while_broken  # many requests, few reads
    # ... and it recovered by itself within a few seconds of the fix, with every write there
    assert recovered - fixed < 10, "the app did not recover after the secret was fixed"
    assert_all_there(app.base_url, before + client.created + after)
    log = app.log_text()
    assert first not in log and second not in log and "a-wrong-password" not in log
