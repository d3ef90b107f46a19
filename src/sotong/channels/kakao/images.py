"""Fetching the photos a citizen sent, at once: Kakao's secure-image URLs expire within minutes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import httpx

from sotong.cases.inbound import InboundAttachment
from sotong.settings import get_settings

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class ImageFetchError(Exception):
    """A photo could not be fetched (gone, too big, refused host); the message is told to the citizen."""


def fetch_images(urls: Iterable[str], *, prefixes: Sequence[str]) -> tuple[InboundAttachment, ...]:
    """Download each URL (only from the configured hosts), refusing anything bigger than the attachment limit."""
    limit = get_settings().max_attachment_bytes
    attachments = []
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for index, url in enumerate(urls, start=1):
            # The URL comes from the request body: fetching anything else would let a caller make us probe
            # internal addresses.
            if not any(url.startswith(prefix) for prefix in prefixes):
                raise ImageFetchError(f"photo {index} is not on an allowed image host: {url[:80]}")
            try:
                with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise ImageFetchError(f"photo {index}: HTTP {response.status_code}")
                    data = bytearray()
                    for chunk in response.iter_bytes():
                        data.extend(chunk)
                        if len(data) > limit:
                            raise ImageFetchError(f"photo {index} is larger than {limit:,} bytes")
                    content_type = response.headers.get("content-type")
            except httpx.HTTPError as exc:
                raise ImageFetchError(f"photo {index}: {exc}") from exc
            name = url.rsplit("/", 1)[-1].split("?", 1)[0][:100] or f"photo-{index}"
            attachments.append(InboundAttachment(data=bytes(data), filename=name, content_type=content_type))
    return tuple(attachments)
