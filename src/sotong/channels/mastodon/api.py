"""The Mastodon.py client of an account, and its errors as ChannelErrors that say whether and when to retry."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from mastodon import Mastodon, MastodonAPIError, MastodonNetworkError, MastodonNotFoundError, MastodonRatelimitError

from sotong.channels.base import ChannelError, required

REQUEST_TIMEOUT = 10.0


def client(config: Mapping[str, Any]) -> Mastodon:
    """A Mastodon.py client for the account; rate limits raise instead of sleeping inside a worker."""
    return Mastodon(
        access_token=required(config, "access_token", "mastodon"),
        api_base_url=required(config, "base_url", "mastodon").rstrip("/"),
        ratelimit_method="throw",
        version_check_mode="none",
        request_timeout=REQUEST_TIMEOUT,
    )


def translate(api: Mastodon, exc: Exception) -> ChannelError:
    """A Mastodon.py error as a ChannelError that says whether to retry and when."""
    if isinstance(exc, MastodonRatelimitError):
        reset = getattr(api, "ratelimit_reset", None)
        wait = max(float(reset) - time.time(), 1.0) if reset else 60.0
        return ChannelError(f"mastodon: rate limited for {wait:.0f} s", retry_after=wait)
    if isinstance(exc, MastodonNotFoundError):
        return ChannelError(f"mastodon: the post is gone: {_reason(exc)}", permanent=True)
    if isinstance(exc, MastodonNetworkError):
        return ChannelError(f"mastodon: network error: {exc}")
    if isinstance(exc, MastodonAPIError):
        status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        # 5xx and 408 pass; 401/403/422 will fail the same way next time (revoked token, blocked, invalid).
        return ChannelError(f"mastodon: HTTP {status}: {_reason(exc)}", permanent=400 <= status < 500 and status != 408)
    return ChannelError(f"mastodon: {type(exc).__name__}: {exc}")


def _reason(exc: Exception) -> str:
    return str(exc.args[3]) if len(exc.args) > 3 and exc.args[3] else str(exc)
