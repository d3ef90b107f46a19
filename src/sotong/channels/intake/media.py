"""Photos citizens attach on a platform (X, Mastodon, TalkTalk): downloaded when their message is taken in.

A platform link may expire or be deleted later, and the department needs the photo of the pothole, so it is
fetched once, at intake, and kept as the message's attachment (type sniffed, size-limited like every upload).
A photo that cannot be fetched never costs the message: it is taken in without it, the link stays in its raw
payload and the failure is logged.

The link comes from the platform's payload, which a citizen shapes, so nothing else is fetched (issue 22, finding 8):

- only from the platform's own media hosts (each channel names them in `InboundMessage.media_hosts`, e.g. X's
  `pbs.twimg.com`), or from the account's own configured servers (its `base_url`/`api_url`, host and port, and
  any `media_hosts` an admin lists in the account's settings, e.g. a Mastodon instance's media CDN);
- a platform host must resolve to public addresses only: a name pointing at 127.0.0.1, 10.x, 169.254.169.254 or
  any other private, loopback, link-local or reserved address is refused (the account's own configured servers
  may be private: an admin chose them, not a citizen);
- at most `MAX_REDIRECTS` redirects, each checked like the first link; the size bounded by the attachment limit
  while it streams.

What remains: a name that resolves to a public address when checked and to a private one a moment later (DNS
rebinding) is not caught; the allow-listed platform hosts make that a platform's own DNS.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from sotong.cases.inbound import InboundAttachment, InboundMessage
from sotong.settings import get_settings

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_REDIRECTS = 3


class Refused(Exception):
    """A media link this policy does not fetch (the reason is logged)."""


class FetchFailed(Exception):
    """A media link that was fetched but gave no photo: an HTTP error, too large, too many redirects."""


@dataclass(frozen=True)
class MediaPolicy:
    """Where media may be fetched from: platform hosts (public addresses only) and the account's own servers."""

    platform_hosts: tuple[str, ...] = ()  # "pbs.twimg.com", or ".pstatic.net" for the name and its subdomains
    own_servers: frozenset[str] = frozenset()  # "host:port" of the account's configured servers

    @classmethod
    def for_account(cls, platform_hosts: Iterable[str], config: Mapping[str, Any]) -> MediaPolicy:
        """The policy of one channel account: its platform's hosts, its configured URLs and `media_hosts`."""
        own: set[str] = set()
        for key, value in config.items():
            if key.endswith("url") and isinstance(value, str) and value.startswith(("http://", "https://")):
                own.add(_server(value))
        listed = config.get("media_hosts") or []
        extra = tuple(str(h).strip().lower() for h in listed if str(h).strip()) if isinstance(listed, list) else ()
        return cls(platform_hosts=tuple(h.lower() for h in platform_hosts) + extra, own_servers=frozenset(own))

    def check(self, url: str) -> None:
        """Refused unless `url` is http(s) on an allowed host that (for a platform host) resolves publicly."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused("not an http(s) link")
        if _server(url) in self.own_servers:
            return
        host = parts.hostname.lower().rstrip(".")
        if not any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.platform_hosts):
            raise Refused(f"{host} is not one of this platform's media hosts")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} does not resolve: {exc}") from None
        for address in addresses:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0])
            if not ip.is_global:
                raise Refused(f"{host} resolves to {ip}, which is not a public address")


def _server(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def fetch_checked(
    client: httpx.Client, url: str, max_bytes: int, policy: MediaPolicy, *, allowed: Callable[[str], bool] | None = None
) -> tuple[bytes, str | None]:
    """The body and content type of `url`, fetched by the rules above: `policy` checks the link and every redirect
    (at most MAX_REDIRECTS; `allowed`, when given, must accept each too) and the size stays within `max_bytes`.

    Refused, or FetchFailed (an HTTP status, too large, too many redirects), with the reason.
    """
    for _ in range(MAX_REDIRECTS + 1):
        if allowed is not None and not allowed(url):
            raise Refused(f"{url[:80]} is not on an allowed host")
        policy.check(url)
        with client.stream("GET", url) as response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise FetchFailed(f"larger than {max_bytes:,} bytes")
            return bytes(data), response.headers.get("content-type")
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


def _fetch(client: httpx.Client, url: str, max_bytes: int, policy: MediaPolicy) -> bytes | None:
    try:
        return fetch_checked(client, url, max_bytes, policy)[0]
    except (Refused, FetchFailed) as exc:
        log.warning("media %s: %s, taken in without it", url[:200], exc)
    except httpx.HTTPError as exc:
        log.warning("media %s: %s, taken in without it", url, exc)
    return None


def with_media(message: InboundMessage, policy: MediaPolicy, client: httpx.Client | None = None) -> InboundMessage:
    """`message` with its `media_urls` downloaded into attachments (up to the attachment limit), where `policy` and
    the message's own `media_hosts` allow."""
    if not message.media_urls:
        return message
    settings = get_settings()
    room = settings.max_attachments - len(message.attachments)
    policy = dataclasses.replace(policy, platform_hosts=(*message.media_hosts, *policy.platform_hosts))
    owned = client is None
    # Redirects are followed here, one by one, so that each is checked like the first link.
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        fetched = []
        for url in message.media_urls[: max(0, room)]:
            data = _fetch(client, url, settings.max_attachment_bytes, policy)
            if data:
                fetched.append(InboundAttachment(data=data, filename=url.rsplit("/", 1)[-1][:200] or None))
    finally:
        if owned:
            client.close()
    return dataclasses.replace(message, attachments=(*message.attachments, *fetched), media_urls=())
