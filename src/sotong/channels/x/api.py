"""The few X API v2 calls Sotong makes, through a thin httpx client against a configurable base URL."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from sotong.channels.base import (
    ChannelError,
    required,
)

DEFAULT_BASE_URL = "https://api.twitter.com"


TIMEOUT = 10.0


DEFAULT_RATE_LIMIT_WAIT = 15 * 60.0  # X's windows are 15 minutes: the longest a reset can be away


@dataclass(frozen=True)
class Answer:
    """A successful API answer: its JSON and the rate-limit state its headers announced."""

    data: dict[str, Any]
    remaining: int | None
    reset_at: float | None  # epoch seconds


# Refresh a little before the announced expiry: a request sent at the last second would meet a 401 anyway.
REFRESH_MARGIN = dt.timedelta(seconds=60)


class XApi:
    """The few X API v2 calls we make, against a configurable base URL (tests point it at a local fake).

    OAuth 2.0 user tokens expire after two hours. With `refresh` (given the token that stopped working, it
    returns the account's new one: x/tokens.py), a token past its ``token_expires_at`` is renewed before the
    call and a 401 is answered by one renewal and one more try.
    """

    def __init__(self, config: Mapping[str, Any], *, refresh: Callable[[str], str] | None = None) -> None:
        self.base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.token = required(config, "bearer_token", "x")
        self.refresh = refresh if config.get("refresh_token") else None
        self.expires_at = _instant(config.get("token_expires_at"))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        """One call (JSON `body`, or a multipart upload of `files` and `form`); a refusal becomes a ChannelError
        that says whether and when to retry."""
        if self.refresh is not None and self.expires_at is not None and self.expires_at - REFRESH_MARGIN <= _now():
            self._renew()
        response = self._send(method, path, params=params, body=body, files=files, form=form)
        if response.status_code == 401 and self.refresh is not None:
            self._renew()
            response = self._send(method, path, params=params, body=body, files=files, form=form)
        remaining, reset_at = _rate_limit(response)
        if not response.is_success:
            raise _error(response, reset_at)
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelError(f"x: unexpected answer {response.text[:200]!r}") from exc
        return Answer(data if isinstance(data, dict) else {}, remaining, reset_at)

    def _renew(self) -> None:
        assert self.refresh is not None
        self.token = self.refresh(self.token)
        self.expires_at = None  # the new token is fresh; a 401 on it is answered by one more renewal at most
        self.refresh = None

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None,
        body: Any,
        files: dict[str, tuple[str, bytes, str]] | None,
        form: dict[str, str] | None,
    ) -> httpx.Response:
        try:
            response = httpx.request(
                method,
                f"{self.base}{path}",
                params=params,
                json=body,
                files=files,
                data=form,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"x: network error: {exc}") from exc
        return response


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _rate_limit(response: httpx.Response) -> tuple[int | None, float | None]:
    remaining = response.headers.get("x-rate-limit-remaining")
    reset = response.headers.get("x-rate-limit-reset")
    return (
        int(remaining) if remaining and remaining.isdigit() else None,
        float(reset) if reset and reset.isdigit() else None,
    )


def wait_until(reset_at: float | None) -> float:
    """Seconds until an announced reset (epoch seconds); X sends no Retry-After, only the reset."""
    if reset_at is None:
        return DEFAULT_RATE_LIMIT_WAIT
    return max(reset_at - time.time(), 1.0)


# 403s that no retry can change: the tweet replied to is gone or hidden, replies are restricted, the text is
# refused as it stands. Any other 403 is X refusing for now (its documents: "used when requests are being denied
# due to update limits"), retried after the rate-limit reset.
FINAL_403 = ("deleted", "not visible", "protected", "suspended", "too long", "not allowed to reply", "duplicate")


def _error(response: httpx.Response, reset_at: float | None) -> ChannelError:
    """An X error (problem JSON: title, detail, type) as a ChannelError: 429 and passing 403s wait, 5xx retries,
    the rest is final."""
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    problem = problem if isinstance(problem, dict) else {}
    detail = problem.get("detail") or problem.get("title") or response.text[:200]
    reason = f"x: HTTP {response.status_code}: {detail}"
    if response.status_code == 429:
        return ChannelError(reason, retry_after=wait_until(reset_at))
    if response.status_code >= 500 or response.status_code == 408:
        return ChannelError(reason)
    if response.status_code == 403 and not any(word in str(detail).lower() for word in FINAL_403):
        return ChannelError(reason, retry_after=wait_until(reset_at))
    # 401 revoked token (after a refresh, if the account has one), 403 reply to a deleted or protected tweet,
    # 404 resource not found: final.
    return ChannelError(reason, permanent=True)
