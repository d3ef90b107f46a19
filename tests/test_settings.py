"""Settings fail fast on bad values and on default secrets outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sotong.settings import DEV_SECRET_KEY, Environment, Settings, get_settings, reset_settings_cache, unknown_variables

STRONG = "q8V3-kLz0pWn7xRt2YbH5mJc9uEs4GdA6fTi1"
# What a production env file must hold besides the secret.
PRODUCTION = {
    "env": Environment.production,
    "database_url": "postgresql://sotong@db.internal/sotong",
    "base_url": "https://minwon.songpa.go.kr",
    "allowed_hosts": "minwon.songpa.go.kr",
}


def test_defaults_are_the_embedded_sqlite_database() -> None:
    settings = Settings(_env_file=None, env=Environment.development, secret_key=DEV_SECRET_KEY)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./var/sotong.db" and settings.is_sqlite
    assert settings.default_language == "ko" and settings.port == 8000


@pytest.mark.parametrize("weak", [DEV_SECRET_KEY, "short", "a" * 32, "ab" * 20])
def test_production_refuses_weak_secrets_without_echoing_them(weak: str) -> None:
    with pytest.raises(ValidationError, match="SOTONG_SECRET_KEY") as refused:
        Settings(_env_file=None, **PRODUCTION, secret_key=weak)  # type: ignore[arg-type]
    assert weak not in str(refused.value) and weak[:8] not in str(refused.value)
    ok = Settings(_env_file=None, **PRODUCTION, secret_key=STRONG)  # type: ignore[arg-type]
    assert ok.env is Environment.production


@pytest.mark.parametrize("missing", ["database_url", "base_url", "allowed_hosts"])
def test_production_needs_explicit_database_base_url_and_hosts(missing: str) -> None:
    values = {key: value for key, value in PRODUCTION.items() if key != missing}
    with pytest.raises(ValidationError, match=f"SOTONG_{missing.upper()}") as refused:
        Settings(_env_file=None, **values, secret_key=STRONG)  # type: ignore[arg-type]
    assert "postgresql://sotong" not in str(refused.value)  # a database URL may carry a password


def test_the_base_url_host_must_be_allowed() -> None:
    with pytest.raises(ValidationError, match="SOTONG_ALLOWED_HOSTS must include"):
        Settings(_env_file=None, **{**PRODUCTION, "allowed_hosts": "other.go.kr"}, secret_key=STRONG)  # type: ignore[arg-type]
    wildcard = Settings(_env_file=None, **{**PRODUCTION, "allowed_hosts": ".songpa.go.kr"}, secret_key=STRONG)  # type: ignore[arg-type]
    assert wildcard.allowed_host_list == [".songpa.go.kr"]


def test_unknown_variables_stop_production_and_suggest_the_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer's .env
    for key, value in {**PRODUCTION, "secret_key": STRONG}.items():
        monkeypatch.setenv(f"SOTONG_{key.upper()}", str(value))
    monkeypatch.setenv("SOTONG_DATABSE_URL", "postgresql://sotong:pw@elsewhere/x")
    reset_settings_cache()
    with pytest.raises(ValueError, match=r"SOTONG_DATABSE_URL \(did you mean SOTONG_DATABASE_URL\?\)") as refused:
        get_settings()
    assert "pw@elsewhere" not in str(refused.value)
    monkeypatch.delenv("SOTONG_DATABSE_URL")
    reset_settings_cache()
    assert get_settings().env is Environment.production


def test_unknown_variables_are_found_in_the_env_file_too(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("SOTONG_BASE_URL=https://a.example\nSOTONG_SECRETKEY=x\nOTHER=1\n")
    found = unknown_variables({"SOTONG_TEST_POSTGRES_URL": "x", "SOTONG_PORT": "1"}, env_file)
    assert found == ["SOTONG_SECRETKEY (did you mean SOTONG_SECRET_KEY?)"]


def test_development_ignores_unknown_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_DATABSE_URL", "x")
    monkeypatch.setenv("SOTONG_ENV", "development")
    reset_settings_cache()
    assert get_settings().env is Environment.development


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
        ("base_url", "minwon.example.go.kr"),
        ("allowed_hosts", "https://minwon.example.go.kr"),
        ("allowed_hosts", "*"),
        ("proxy_trusted", "proxy.internal"),
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
