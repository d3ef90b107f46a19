"""Photos citizens attach on a platform (X, Mastodon, TalkTalk): downloaded when their message is taken in.

A platform link may expire or be deleted later, and the department needs the photo of the pothole, so it is
fetched once, at intake, and kept as the message's attachment (type sniffed, size-limited like every upload).
A photo that cannot be fetched never costs the message: it is taken in without it, the link stays in its raw
payload and the failure is logged.
"""

from __future__ import annotations

import dataclasses
import logging

import httpx

from sotong.cases.inbound import InboundAttachment, InboundMessage
from sotong.settings import get_settings

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def _fetch(client: httpx.Client, url: str, max_bytes: int) -> bytes | None:
    if not url.startswith(("https://", "http://")):
        log.warning("media %s: not an http(s) link, skipped", url)
        return None
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                log.warning("media %s: HTTP %s, taken in without it", url, response.status_code)
                return None
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    log.warning("media %s: larger than %s bytes, taken in without it", url, max_bytes)
                    return None
            return bytes(data)
    except httpx.HTTPError as exc:
        log.warning("media %s: %s, taken in without it", url, exc)
        return None


def with_media(message: InboundMessage, client: httpx.Client | None = None) -> InboundMessage:
    """`message` with its `media_urls` downloaded into attachments (up to the attachment limit)."""
    if not message.media_urls:
        return message
    settings = get_settings()
    room = settings.max_attachments - len(message.attachments)
    owned = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True)
    try:
        fetched = []
        for url in message.media_urls[: max(0, room)]:
            data = _fetch(client, url, settings.max_attachment_bytes)
            if data:
                fetched.append(InboundAttachment(data=data, filename=url.rsplit("/", 1)[-1][:200] or None))
    finally:
        if owned:
            client.close()
    return dataclasses.replace(message, attachments=(*message.attachments, *fetched), media_urls=())
