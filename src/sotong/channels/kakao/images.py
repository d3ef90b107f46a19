"""Fetching the photos a citizen sent, at once: Kakao's secure-image URLs expire within minutes.

The URLs come from the skill request's body, which a caller shapes, so they are fetched by the same rules as
every platform's media (channels/intake/media.py, issue 22 finding 8): only under the account's image URL prefixes;
Kakao's own CDN (the default prefixes) must resolve to public addresses only, while prefixes an admin configured
are the account's own servers and may be private; at most three redirects, each checked like the first link
(prefix and address); the size bounded while it streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import httpx

from sotong.cases.inbound import InboundAttachment
from sotong.channels.intake.media import FetchFailed, MediaPolicy, Refused, fetch_checked
from sotong.channels.kakao.protocol import DEFAULT_IMAGE_PREFIXES
from sotong.settings import get_settings

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class ImageFetchError(Exception):
    """A photo could not be fetched (gone, too big, refused host); the message is told to the citizen."""


def _host(prefix: str) -> str:
    return (urlsplit(prefix).hostname or "").lower()


def policy_for(prefixes: Sequence[str]) -> MediaPolicy:
    """Kakao's CDN hosts as platform hosts (public addresses only); any other prefix's server as the account's own."""
    platform = tuple(sorted({_host(p) for p in prefixes if p in DEFAULT_IMAGE_PREFIXES}))
    own = frozenset(
        f"{_host(p)}:{urlsplit(p).port or (443 if p.startswith('https') else 80)}"
        for p in prefixes
        if p not in DEFAULT_IMAGE_PREFIXES
    )
    return MediaPolicy(platform_hosts=platform, own_servers=own)


def fetch_images(
    urls: Iterable[str], *, prefixes: Sequence[str], client: httpx.Client | None = None
) -> tuple[InboundAttachment, ...]:
    """Download each URL (only under the configured prefixes), refusing anything bigger than the attachment limit.

    `client`: tests pass one with their own transport; it must not follow redirects itself."""
    limit = get_settings().max_attachment_bytes
    policy = policy_for(prefixes)

    def allowed(url: str) -> bool:
        return any(url.startswith(prefix) for prefix in prefixes)

    attachments = []
    owned = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        for index, url in enumerate(urls, start=1):
            try:
                data, content_type = fetch_checked(client, url, limit, policy, allowed=allowed)
            except Refused as exc:
                raise ImageFetchError(f"photo {index} is not on an allowed image host: {exc}") from None
            except FetchFailed as exc:
                raise ImageFetchError(f"photo {index}: {exc}") from None
            except httpx.HTTPError as exc:
                raise ImageFetchError(f"photo {index}: {exc}") from exc
            name = url.rsplit("/", 1)[-1].split("?", 1)[0][:100] or f"photo-{index}"
            attachments.append(InboundAttachment(data=data, filename=name, content_type=content_type))
    finally:
        if owned:
            client.close()
    return tuple(attachments)
