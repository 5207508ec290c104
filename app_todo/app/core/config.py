"""Settings from the environment, and the one place the database URL is built."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Configuration read from environment variables (names as the ECS task passes them).

    The database is, in order of precedence: ``DATABASE_URL`` (any SQLAlchemy URL); else MySQL
    from ``DB_HOST``/``DB_PORT``/``DB_USER``/``DB_PASSWORD``/``DB_NAME``; else a SQLite file
    at ``SQLITE_PATH`` for local use. With ``DB_SECRET_ARN`` the MySQL password is re-read from
    that Secrets Manager secret when the database refuses it (app/core/db_password.py).
    """

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", env_ignore_empty=True)

    PROJECT_NAME: str = "CloudTasks TODO API"
    LOG_LEVEL: LogLevel = "INFO"

    DATABASE_URL: str | None = None
    DB_HOST: str | None = None
    DB_PORT: int = Field(default=3306, ge=1, le=65535)
    DB_USER: str = "todo"
    DB_PASSWORD: SecretStr | None = None  # a secret: no default, required with DB_HOST
    DB_NAME: str = "todo"
    SQLITE_PATH: Path = Path("todo.db")

    # Password rotation (RDS rotates a managed master password every 7 days): a secret (ARN or
    # name) holding JSON with the password under DB_SECRET_KEY. When MySQL refuses a new
    # connection's password (1045), its current value is read and that connection tried once
    # more; without DB_PASSWORD it is read before the first connection. At most one read every
    # DB_SECRET_REFRESH_INTERVAL seconds, so a wrong secret cannot turn into a storm of reads.
    DB_SECRET_ARN: str | None = None
    DB_SECRET_KEY: str = "password"
    DB_SECRET_REFRESH_INTERVAL: float = Field(default=5.0, ge=0)

    # Database access (app/core/gate.py): at most DB_POOL_SIZE requests use the database at a
    # time, one connection each; others wait, at most DB_MAX_WAITING of them and for at most
    # DB_QUEUE_TIMEOUT seconds, then get 503. A request's database work (checkout, pre-ping,
    # statements, commit) must end within DB_TIMEOUT seconds of its arrival (at least 1 s once
    # admitted), else 503: a hung database costs seconds, not minutes. Recycle stays below
    # MySQL's wait_timeout (8 h) and below idle timeouts of anything in between.
    DB_POOL_SIZE: int = Field(default=10, ge=1, le=200)
    DB_MAX_WAITING: int = Field(default=1000, ge=0)
    DB_QUEUE_TIMEOUT: float = Field(default=2.0, gt=0)
    DB_TIMEOUT: float = Field(default=3.0, gt=0)
    DB_CONNECT_TIMEOUT: int = Field(default=2, ge=1)
    DB_POOL_RECYCLE: int = Field(default=1800, ge=-1)

    # Startup: wait for the database (the original design: 8 tries, 3 s apart), then migrate.
    DB_WAIT_ATTEMPTS: int = Field(default=8, ge=1)
    DB_WAIT_INTERVAL: float = Field(default=3.0, ge=0)
    DB_WAIT_BACKOFF: float = Field(default=1.0, ge=1.0)
    DB_WAIT_MAX_INTERVAL: float = Field(default=30.0, ge=0)
    MIGRATE_ON_STARTUP: bool = True

    # Requests: a body above this many bytes is refused (413) before it is read whole.
    MAX_BODY_BYTES: int = Field(default=65536, ge=1)
    # Bearer token for the task routes' writes (and reads with API_AUTH_READS); unset or empty:
    # no authentication (a trusted network, or auth in front of the app).
    API_TOKEN: SecretStr | None = None
    API_AUTH_READS: bool = False

    @field_validator("API_TOKEN")
    @classmethod
    def _empty_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty token would let an empty "Bearer " header in: empty means off.
        return value if value is not None and value.get_secret_value() else None

    @model_validator(mode="after")
    def _password_with_host(self) -> Self:
        if (
            self.DATABASE_URL is None
            and self.DB_HOST
            and self.DB_PASSWORD is None
            and self.DB_SECRET_ARN is None
        ):
            raise ValueError(
                "DB_PASSWORD must be set when DB_HOST is set (or DB_SECRET_ARN, to read it from "
                "Secrets Manager)"
            )
        return self

    @property
    def database_url(self) -> URL:
        """The SQLAlchemy URL of the database this app uses."""
        if self.DATABASE_URL:
            return make_url(self.DATABASE_URL)
        if self.DB_HOST:
            # No password with DB_SECRET_ARN alone: the first connection reads it from the secret.
            password = self.DB_PASSWORD.get_secret_value() if self.DB_PASSWORD else None
            return URL.create(
                "mysql+pymysql",
                username=self.DB_USER,
                password=password,
                host=self.DB_HOST,
                port=self.DB_PORT,
                database=self.DB_NAME,
                query={"charset": "utf8mb4"},
            )
        return URL.create("sqlite", database=str(self.SQLITE_PATH))


@lru_cache
def get_settings() -> Settings:
    return Settings()
