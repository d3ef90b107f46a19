"""Settings fail fast on bad values and on default secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sotong.settings import DEV_SECRET_KEY, Environment, Settings


def test_defaults_are_the_embedded_sqlite_database() -> None:
    settings = Settings(_env_file=None, env=Environment.development, secret_key=DEV_SECRET_KEY)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./var/sotong.db" and settings.is_sqlite
    assert settings.default_language == "ko" and settings.port == 8000


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="SOTONG_SECRET_KEY"):
        Settings(_env_file=None, env=Environment.production, secret_key=DEV_SECRET_KEY)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="SOTONG_SECRET_KEY"):
        Settings(_env_file=None, env=Environment.production, secret_key="short")  # type: ignore[call-arg]
    ok = Settings(_env_file=None, env=Environment.production, secret_key="x" * 40)  # type: ignore[call-arg]
    assert ok.env is Environment.production


@pytest.mark.parametrize(
    "field, value",
    [
        ("port", 70000),
        ("database_url", "mysql://localhost/x"),
        ("default_language", "fr"),
        ("timezone", "Mars/Olympus"),
        ("max_attachment_bytes", 0),
        ("channel_poll_seconds", 5),
        ("channel_poll_seconds", 86400),
    ],
)
def test_bad_values_fail_fast(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type]


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("SOTONG_PORT", "8123")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("postgresql") and settings.port == 8123
    monkeypatch.setenv("SOTONG_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
