"""Typed settings: the only module that reads the environment (``SOTONG_*`` variables or ``.env``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Shipped so `make run` works out of the box; refused anywhere but development and test.
DEV_SECRET_KEY = "sotong-development-secret-do-not-use-in-production"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob of a Sotong deployment, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="SOTONG_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    database_url: str = "sqlite:///./var/sotong.db"
    secret_key: str = DEV_SECRET_KEY
    # Public address of this deployment: tracking links in receipts point here.
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    default_language: str = "ko"
    timezone: str = "Asia/Seoul"

    media_dir: Path = Path("./var/media")
    max_attachment_bytes: Annotated[int, Field(gt=0)] = 10 * 1024 * 1024
    max_attachments: Annotated[int, Field(gt=0, le=20)] = 5

    # Login throttling: this many failures per user name or address within the window locks it out.
    login_max_failures: Annotated[int, Field(gt=0)] = 5
    login_window_seconds: Annotated[int, Field(gt=0)] = 15 * 60
    session_max_age_seconds: Annotated[int, Field(gt=0)] = 12 * 3600
    cookie_secure: bool = False

    # Outbox delivery: a claimed row is reclaimed by another worker once its lease runs out.
    outbox_lease_seconds: Annotated[int, Field(gt=0)] = 120
    outbox_max_attempts: Annotated[int, Field(gt=0)] = 8
    outbox_backoff_base_seconds: Annotated[float, Field(gt=0)] = 10.0
    outbox_backoff_max_seconds: Annotated[float, Field(gt=0)] = 3600.0
    # An idle worker looks again this often: it bounds how long a new receipt waits (issue 6: p95 < 5 s).
    worker_poll_seconds: Annotated[float, Field(gt=0)] = 1.0
    # Polled channels (Mastodon, X): each account is asked for new mentions at most this often.
    # The floor keeps a typo from spending an account's rate limit (X counts mention reads per 15 minutes).
    channel_poll_seconds: Annotated[int, Field(ge=15, le=3600)] = 60

    # Webhooks: false = each message is taken in during the request (cases appear at once; fine for a district);
    # true = the request only verifies, parses and queues the body, the worker takes it in (a city's flood
    # of 1,000+ messages/s never makes a platform time out and redeliver). See channels/events.py.
    webhook_queue: bool = False

    # Open311: the jurisdiction_id (organisation slug) assumed when a client sends none; unset = required
    # whenever more than one organisation is configured.
    open311_default_jurisdiction: str | None = None

    # Escalation: the officer hears this long (wall clock) before the deadline; the manager when it passes.
    escalation_warning_minutes: Annotated[int, Field(ge=0)] = 120

    # Staff notifications by e-mail (users who asked for copies); no host: console and webhook only.
    smtp_host: str | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "sotong@localhost"

    # Channel account secrets are encrypted with these Fernet keys (comma-separated, newest first: the first
    # encrypts, all decrypt, so a key can be rotated). Unset: one key derived from secret_key.
    credentials_key: str | None = None

    # Public web form: submissions per address within the window, the least time a person takes to fill it
    # in (bots post at once), and the most links a complaint may carry.
    webform_max_per_window: Annotated[int, Field(gt=0)] = 5
    webform_window_seconds: Annotated[int, Field(gt=0)] = 3600
    webform_min_fill_seconds: Annotated[int, Field(ge=0)] = 3
    webform_max_links: Annotated[int, Field(ge=0)] = 2

    # Public statistics, map and feeds are computed at most this often per process (the promise: <= 60 s stale).
    stats_cache_seconds: Annotated[int, Field(ge=0, le=60)] = 60
    # Anonymous visitors' list, filter and search pages come from a per-process page cache at most this old (the
    # list polls for new cases, so a few seconds do not show); 0 turns the page cache off.
    portal_cache_seconds: Annotated[int, Field(ge=0, le=60)] = 5
    # Map base layer: an XYZ tile URL such as https://tiles.example.org/{z}/{x}/{y}.png; empty (the default)
    # draws the shipped district outlines instead, so the map works with no tile server and no internet.
    map_tile_url: str = ""

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("ko", "en"):
            raise ValueError("default_language must be 'ko' or 'en'")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("credentials_key")
    @classmethod
    def _fernet_keys(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from cryptography.fernet import Fernet

        for key in value.split(","):
            try:
                Fernet(key.strip())
            except ValueError as exc:
                raise ValueError(
                    "credentials_key must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated"
                ) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.env is Environment.production:
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError(
                    "SOTONG_SECRET_KEY must be set to a random value of at least 32 characters in production"
                )
            if self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
                raise ValueError("an in-memory database cannot be used in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests and the CLI change the environment before start-up)."""
    get_settings.cache_clear()
