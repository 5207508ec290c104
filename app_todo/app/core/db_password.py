"""The database password, read again from Secrets Manager when MySQL refuses it (rotation).

RDS keeps a managed master password in a Secrets Manager secret and rotates it (every 7 days by
default): it writes a new value into the secret and changes the user's password. ECS hands the
task the value of the day it started, so after a rotation every new connection fails with 1045
(access denied) while pooled ones go on working until they are recycled. With ``DB_SECRET_ARN``
set, a new connection refused with 1045 makes the app read the secret's current value and try
that connection once more with it; both engines (requests and start-up) share one source.

Reads are rate-limited (one per ``min_interval`` seconds) and shared (connections refused at the
same time wait for one read), so a wrong secret costs one read every few seconds, not one per
request. botocore (imported only when a secret is configured) signs the call with the task
role's credentials and honours ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.util import await_only

logger = logging.getLogger(__name__)

# MySQL's ER_ACCESS_DENIED_ERROR: a wrong user or password (MariaDB uses the same code).
ACCESS_DENIED = 1045
# A read that hangs must not hold a connection attempt for long: the request has DB_TIMEOUT.
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 2.0


class SecretReadError(Exception):
    """The secret could not be read or holds no password; the message has no secret in it."""


class PasswordSource:
    """The database password as the secret holds it now, read again on demand."""

    def __init__(
        self,
        secret_id: str,
        *,
        key: str = "password",
        initial: str | None = None,
        min_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.secret_id = secret_id
        self.key = key
        self.min_interval = min_interval
        self.reads = 0  # attempted reads of the secret, failed ones included
        self._password = initial
        self._clock = clock
        self._last_read: float | None = None
        self._lock = threading.Lock()
        self._client: Any = None
        # The asyncio engine's reads run here, one at a time: connections refused together
        # queue for one read without taking the loop's default threads (which resolve hosts).
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-password")

    @property
    def current(self) -> str | None:
        return self._password

    def refresh(self, refused: str | None) -> str | None:
        """A password to try after ``refused`` was refused, or None when there is no new one.

        None when the secret holds the refused password too, when the last read was less than
        ``min_interval`` ago, or when the read failed (logged with its reason).
        """
        with self._lock:
            if self._password is not None and self._password != refused:
                return self._password  # another connection has read a newer one meanwhile
            now = self._clock()
            if self._last_read is not None and now - self._last_read < self.min_interval:
                return None
            self._last_read = now
            self.reads += 1
            try:
                password, version = self._read()
            except SecretReadError as exc:
                logger.warning(
                    "could not read the database password from Secrets Manager",
                    extra={"secret": self.secret_id, "reason": str(exc)},
                )
                return None
            changed = password != refused
            self._password = password
            # Unchanged: the secret holds the very password the database refused (a rotation
            # half done, or a wrong secret); the connection's 1045 stands.
            logger.log(
                logging.INFO if changed else logging.WARNING,
                "database password read from Secrets Manager",
                extra={"secret": self.secret_id, "version_id": version, "changed": changed},
            )
            return password if changed else None

    def _read(self) -> tuple[str, str | None]:
        try:
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError:
            raise SecretReadError("botocore is not installed (pip install botocore)") from None
        try:
            if self._client is None:
                self._client = _secrets_client(self.secret_id)
            answer = self._client.get_secret_value(SecretId=self.secret_id)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise SecretReadError(f"{error.get('Code')}: {error.get('Message')}") from None
        except BotoCoreError as exc:
            raise SecretReadError(f"{type(exc).__name__}: {exc}") from None
        try:
            password = json.loads(answer["SecretString"])[self.key]
        except (KeyError, TypeError, ValueError):
            # No detail: a parser's message could quote part of the secret.
            raise SecretReadError(
                f"the secret is not a JSON object with a string {self.key!r} key"
            ) from None
        if not isinstance(password, str):
            raise SecretReadError(f"the secret's {self.key!r} key is not a string")
        version = answer.get("VersionId")
        return password, version if isinstance(version, str) else None


def _secrets_client(secret_id: str) -> Any:
    import botocore.session
    from botocore.config import Config

    # arn:aws:secretsmanager:<region>:<account>:secret:<name>; a bare name uses AWS_REGION.
    parts = secret_id.split(":")
    region = parts[3] if secret_id.startswith("arn:") and len(parts) > 3 and parts[3] else None
    session = botocore.session.get_session()
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": 2, "mode": "standard"},
    )
    return session.create_client("secretsmanager", region_name=region, config=config)


def is_access_denied(exc: BaseException) -> bool:
    args: tuple[Any, ...] = getattr(exc, "args", ())
    return bool(args) and args[0] == ACCESS_DENIED


def read_again_when_refused(
    engine: Engine, source: PasswordSource, *, asyncio_driver: bool
) -> None:
    """Make ``engine`` connect with the source's password, and read it again on 1045.

    ``asyncio_driver``: the engine is an AsyncEngine's ``sync_engine``; its connects run on the
    event loop (in SQLAlchemy's greenlet), so the blocking read goes to a thread meanwhile.
    """

    def refresh(refused: str | None) -> str | None:
        if asyncio_driver:
            loop = asyncio.get_running_loop()
            fresh: str | None = await_only(
                loop.run_in_executor(source.executor, source.refresh, refused)
            )
            return fresh
        return source.refresh(refused)

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        password = source.current
        if password is None:
            password = refresh(None)
        if password is not None:
            cparams["password"] = password
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            if not is_access_denied(exc):
                raise
            fresh = refresh(password)
            if fresh is None or fresh == password:
                raise
        cparams["password"] = fresh
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            if is_access_denied(exc):
                logger.error(
                    "the database refused the password just read from Secrets Manager too: the "
                    "secret does not hold the database user's current password",
                    extra={"secret": source.secret_id, "key": source.key},
                )
            raise
