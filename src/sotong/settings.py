"""Typed settings: the only module that reads the environment (``SOTONG_*`` variables or ``.env``)."""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Shipped so `make run` works out of the box; refused anywhere but development and test.
DEV_SECRET_KEY = "sotong-development-secret-do-not-use-in-production"
# A random key of 32+ characters has far more distinct characters than this; `aaaa...` or `1234...` has fewer.
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 10
# SOTONG_* variables read by the test suite and the benchmarks, not by the product: not typos.
NOT_SETTINGS = frozenset(
    {
        "SOTONG_TEST_POSTGRES_URL",
        "SOTONG_TEST_PG_CTL",
        "SOTONG_BENCH_DATABASE_URL",
        "SOTONG_CHROMIUM",
        "SOTONG_OPEN311_SCHEMAS",
    }
)


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob of a Sotong deployment, validated at start-up."""

    # hide_input_in_errors: a refusal names the variable, never echoes its value (secrets, database passwords).
    model_config = SettingsConfigDict(env_prefix="SOTONG_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    env: Environment = Environment.development
    database_url: str = "sqlite:///./var/sotong.db"
    secret_key: str = DEV_SECRET_KEY
    # Public address of this deployment: tracking links in receipts point here.
    base_url: str = "http://127.0.0.1:8000"
    # Host names this deployment answers to (comma-separated; `.example.org` also allows its sub-domains). Any other
    # Host header gets a 400, so no page or redirect is ever built on an attacker's host name. Required in
    # production; empty elsewhere means any host.
    allowed_hosts: str = ""
    # Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs
    # or CIDR networks, `*` for any). The client address of a request then is the one the proxy saw: the login
    # lock-out, the web form's hourly limit and Naver's address allow-list count citizens, not the proxy.
    proxy_trusted: str = "127.0.0.1"
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

    # --- Web security: cookies, HSTS and TLS (issue 22; docs/security.md "Cookies and TLS") -----------------
    # Read through `secure_cookies` and `hsts_max_age`. Unset = on in production, off elsewhere; production refuses
    # to start with either turned off unless `tls_at_proxy` says the reverse proxy sets them itself.
    cookie_secure: bool | None = None
    hsts_seconds: Annotated[int, Field(ge=0)] | None = None
    tls_at_proxy: bool = False

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
    # The largest webhook body accepted (413 beyond it, before it is read): platforms send kilobytes per event.
    webhook_max_body_bytes: Annotated[int, Field(gt=0)] = 1024 * 1024

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
    # The organisation the report form starts on (its slug): a district's own portal names itself here. Unset,
    # the form asks the citizen to choose (or takes it from the map pin), never the first name in the list.
    default_org: str | None = None

    # Public statistics, map and feeds are computed at most this often per process (the promise: <= 60 s stale).
    stats_cache_seconds: Annotated[int, Field(ge=0, le=60)] = 60
    # Anonymous visitors' list, filter and search pages come from a per-process page cache at most this old (the
    # list polls for new cases, so a few seconds do not show); 0 turns the page cache off.
    portal_cache_seconds: Annotated[int, Field(ge=0, le=60)] = 5
    # Map base layer: an XYZ tile URL such as https://tiles.example.org/{z}/{x}/{y}.png; empty (the default)
    # draws the shipped district outlines instead, so the map works with no tile server and no internet.
    map_tile_url: str = ""
    # Credit line the tile source requires, shown on the map (OpenStreetMap: "© OpenStreetMap contributors").
    map_tile_attribution: str = ""
    # The report form's address search: the 도로명주소 API (juso.go.kr). Without a search key the form offers no
    # search (the address is typed); the coordinates API has its own key, and without it a found address sets no
    # map pin. The URLs change only for a relay inside a government network (or a test's fake).
    juso_search_url: str = "https://business.juso.go.kr/addrlink/addrLinkApi.do"
    juso_search_key: str | None = None
    juso_coord_url: str = "https://business.juso.go.kr/addrlink/addrCoordApi.do"
    juso_coord_key: str | None = None

    # Logs: one JSON object a line (timestamp with zone, level, request id, route, status, duration) or plain text;
    # unset: JSON in production, text elsewhere.
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # /metrics (Prometheus): with a token, scrapers send `Authorization: Bearer <token>`; without one, only
    # clients from loopback and private networks are answered.
    metrics_token: str | None = None
    # /readyz fails when no worker has reported within this many seconds (0: the worker is not checked).
    ready_worker_seconds: Annotated[int, Field(ge=0)] = 60

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

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("base_url must be an absolute http(s) URL such as https://minwon.example.go.kr")
        return value.rstrip("/")

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: str) -> str:
        for host in _split(value):
            if host == "*" or "/" in host or ":" in host.lstrip("["):
                raise ValueError("allowed_hosts must be host names without scheme, port or path (no '*')")
        return value

    @field_validator("proxy_trusted")
    @classmethod
    def _networks(cls, value: str) -> str:
        for entry in _split(value):
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError("proxy_trusted must be IP addresses or CIDR networks, comma-separated") from exc
        return value

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        """Production refuses what is only ever right on a developer's machine; every message names the
        variable and never its value."""
        if self.env is not Environment.production:
            return self
        problems = []
        if not secret_is_strong(self.secret_key):
            problems.append(
                f"SOTONG_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters "
                "(e.g. the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if "database_url" not in self.model_fields_set:
            problems.append("SOTONG_DATABASE_URL must be set explicitly (postgresql://user:password@host/db)")
        elif self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
            problems.append("SOTONG_DATABASE_URL: an in-memory database cannot be used in production")
        if "base_url" not in self.model_fields_set:
            problems.append("SOTONG_BASE_URL must be set to the public address (https://...) of this deployment")
        if not self.allowed_host_list:
            problems.append("SOTONG_ALLOWED_HOSTS must name the host names this deployment answers to")
        elif not host_allowed(urlsplit(self.base_url).hostname or "", self.allowed_host_list):
            problems.append("SOTONG_ALLOWED_HOSTS must include the host name of SOTONG_BASE_URL")
        problems.extend(self._tls_in_production())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _tls_in_production(self) -> list[str]:
        # A session cookie sent over plain HTTP once is a stolen session; HSTS keeps browsers from trying.
        if self.tls_at_proxy:
            return []
        problems = []
        if not self.secure_cookies:
            problems.append(
                "SOTONG_COOKIE_SECURE=false in production sends session cookies over plain HTTP; remove it, or set "
                "SOTONG_TLS_AT_PROXY=true if the reverse proxy marks cookies Secure itself"
            )
        if not self.hsts_max_age:
            problems.append(
                "SOTONG_HSTS_SECONDS=0 in production lets browsers fall back to HTTP; remove it, or set "
                "SOTONG_TLS_AT_PROXY=true if the reverse proxy sends Strict-Transport-Security itself"
            )
        return problems

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry the Secure flag (HTTPS only): SOTONG_COOKIE_SECURE, else on in production."""
        return self.cookie_secure if self.cookie_secure is not None else self.env is Environment.production

    @property
    def hsts_max_age(self) -> int:
        """Strict-Transport-Security max-age in seconds (0: no header): SOTONG_HSTS_SECONDS, else a year in
        production."""
        if self.hsts_seconds is not None:
            return self.hsts_seconds
        return 365 * 24 * 3600 if self.env is Environment.production else 0

    @property
    def allowed_host_list(self) -> list[str]:
        return [host.lower() for host in _split(self.allowed_hosts)]

    @property
    def proxy_trusted_list(self) -> list[str]:
        """The trusted proxies as uvicorn's proxy-headers layer reads them (a network written `10.0.0.1/8` is
        `10.0.0.0/8`; uvicorn would take it for a host name and never match it)."""
        return [
            entry if entry == "*" else str(ipaddress.ip_network(entry, strict=False))
            for entry in _split(self.proxy_trusted)
        ]

    @property
    def json_logs(self) -> bool:
        if self.log_format is not None:
            return self.log_format == "json"
        return self.env is Environment.production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def secret_is_strong(value: str) -> bool:
    """Long and varied enough to be random (says nothing of the value itself)."""
    return value != DEV_SECRET_KEY and len(value) >= MIN_SECRET_LENGTH and len(set(value)) >= MIN_SECRET_DISTINCT


def host_allowed(host: str, allowed: list[str]) -> bool:
    """`host` (no port) is one of `allowed`, or under one written `.example.org`."""
    host = host.lower().rstrip(".")
    return any(host == name or (name.startswith(".") and (host.endswith(name) or host == name[1:])) for name in allowed)


def unknown_variables(environ: Mapping[str, str], env_file: Path | None = Path(".env")) -> list[str]:
    """SOTONG_* names in the environment or the env file that no setting reads, each with a likely intended name."""
    names = {name.upper() for name in environ if name.upper().startswith("SOTONG_")}
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values

        names |= {name.upper() for name in dotenv_values(env_file) if name.upper().startswith("SOTONG_")}
    known = {f"SOTONG_{field.upper()}" for field in Settings.model_fields}
    found = []
    for name in sorted(names - known - NOT_SETTINGS):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        found.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return found


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. In production an unknown SOTONG_* variable (a misspelt
    SOTONG_DATABSE_URL would otherwise leave the default in force) stops the start."""
    settings = Settings()
    if settings.env is Environment.production:
        unknown = unknown_variables(os.environ)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}; remove or correct them")
    return settings


def reset_settings_cache() -> None:
    """Forget cached settings (tests and the CLI change the environment before start-up)."""
    get_settings.cache_clear()
