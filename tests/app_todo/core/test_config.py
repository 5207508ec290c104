"""Settings: where the database URL comes from; request limits and auth."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("MAX_BODY_BYTES", "API_TOKEN", "API_AUTH_READS"):
        monkeypatch.delenv(name, raising=False)


def test_default_is_a_local_sqlite_file() -> None:
    url = Settings().database_url

    assert url.get_backend_name() == "sqlite"
    assert url.database == "todo.db"


def test_the_ecs_task_variables_make_a_mysql_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the variables the ECS task passes, with a password that needs escaping
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PORT", "3307")
    monkeypatch.setenv("DB_USER", "app")
    monkeypatch.setenv("DB_PASSWORD", "p@ss/w:rd?")
    monkeypatch.setenv("DB_NAME", "tasks")

    url = Settings().database_url

    assert url.drivername == "mysql+pymysql"
    assert (url.host, url.port, url.username, url.database) == ("db.internal", 3307, "app", "tasks")
    assert url.password == "p@ss/w:rd?"
    assert url.query["charset"] == "utf8mb4"
    assert "p@ss" not in repr(Settings())  # a secret stays out of logs


def test_database_url_wins_over_the_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/other.db")
    monkeypatch.setenv("DB_HOST", "ignored")

    assert Settings().database_url.database == "/tmp/other.db"


def test_a_host_without_a_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "db.internal")

    with pytest.raises(ValidationError, match="DB_PASSWORD must be set when DB_HOST is set"):
        Settings()


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("DB_HOST", "")

    assert Settings().database_url.get_backend_name() == "sqlite"


def test_retry_defaults_match_the_original_design() -> None:
    settings = Settings()

    assert (settings.DB_WAIT_ATTEMPTS, settings.DB_WAIT_INTERVAL) == (8, 3.0)


def test_request_settings_default_to_a_64_kib_body_and_no_auth() -> None:
    settings = Settings()

    assert settings.MAX_BODY_BYTES == 65536
    assert settings.API_TOKEN is None
    assert settings.API_AUTH_READS is False


def test_the_api_token_is_a_secret_and_empty_means_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "t0ken-value")
    monkeypatch.setenv("API_AUTH_READS", "true")

    settings = Settings()

    assert settings.API_TOKEN is not None
    assert settings.API_TOKEN.get_secret_value() == "t0ken-value"
    assert settings.API_AUTH_READS is True
    assert "t0ken-value" not in repr(settings)
    monkeypatch.setenv("API_TOKEN", "")
    assert Settings().API_TOKEN is None
    assert Settings.model_validate({"API_TOKEN": ""}).API_TOKEN is None
