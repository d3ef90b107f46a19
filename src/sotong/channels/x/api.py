"""The few X API v2 calls Sotong makes, through a thin httpx client against a configurable base URL."""

from __future__ import annotations

import time
from collections.abc import Mapping
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


class XApi:
    """The few X API v2 calls we make, against a configurable base URL (tests point it at a local fake)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.token = required(config, "bearer_token", "x")

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
        remaining, reset_at = _rate_limit(response)
        if not response.is_success:
            raise _error(response, reset_at)
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelError(f"x: unexpected answer {response.text[:200]!r}") from exc
        return Answer(data if isinstance(data, dict) else {}, remaining, reset_at)


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


def _error(response: httpx.Response, reset_at: float | None) -> ChannelError:
    """An X error (problem JSON: title, detail, type) as a ChannelError: 429 waits, 5xx retries, the rest is final."""
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
    # 401 revoked token, 403 blocked / reply to a deleted or protected tweet, 404 resource not found: final.
    return ChannelError(reason, permanent=True)
