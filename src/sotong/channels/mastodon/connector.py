"""Mastodon through the Mastodon.py client: mentions parsed from notifications, replies posted in the thread.

Account config (secrets sealed at rest, channels/credentials.py): ``base_url`` (the instance), ``access_token``,
optionally ``own_account_id`` (looked up once if absent) and the poll cursor ``since_id``. An answer's result
photos are uploaded (``POST /api/v2/media``) and attached to the reply.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any, ClassVar

from mastodon import Mastodon, MastodonAPIError, MastodonNetworkError, MastodonNotFoundError, MastodonRatelimitError
from sqlalchemy.orm import Session

from sotong.cases.attachments import answer_photos
from sotong.cases.inbound import InboundMessage
from sotong.channels.base import ChannelError, Connector, MalformedPayload, required
from sotong.channels.render import fit, reply_text
from sotong.outbox.transports import Delivery

# Mastodon's default; instances may allow more, none allow less.
STATUS_LIMIT = 500
VISIBILITIES = ("public", "unlisted", "private", "direct")
# Mastodon counts every link as 23 characters, whatever its length.
URL_WEIGHT = 23
# Photos per status Mastodon accepts.
MEDIA_LIMIT = 4
REQUEST_TIMEOUT = 10.0


class _Text(HTMLParser):
    """Status content is HTML: keep the words and the line breaks, drop the markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    """Plain text of a status's HTML content."""
    parser = _Text()
    parser.feed(content)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return "\n".join(lines).strip()


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


def _when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise MalformedPayload(f"mastodon: bad created_at {value!r}")


class MastodonConnector(Connector):
    """Mentions in (polled, see `mastodon.poll`), replies out with in_reply_to_id and an Idempotency-Key."""

    name: ClassVar[str] = "mastodon"

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Mention notifications → messages; our own posts and other notification types are left out."""
        if not isinstance(payload, list):
            raise MalformedPayload("mastodon: expected a list of notifications")
        own_id = str(config.get("own_account_id") or "")
        messages = []
        for notification in payload:
            status = notification.get("status") if isinstance(notification, Mapping) else None
            if notification.get("type") != "mention" or not isinstance(status, Mapping):
                continue
            author = status.get("account") or {}
            if own_id and str(author.get("id")) == own_id:
                continue  # our own reply, echoed back
            text = html_to_text(str(status.get("content") or ""))
            if not text:
                continue
            reply_to = status.get("in_reply_to_id")
            messages.append(
                InboundMessage(
                    external_id=str(status["id"]),
                    text=text,
                    received_at=_when(status.get("created_at")),
                    author_handle=f"@{author.get('acct')}",
                    author_name=str(author.get("display_name") or author.get("acct") or "") or None,
                    in_reply_to_external_id=str(reply_to) if reply_to else None,
                    media_urls=tuple(
                        str(m["url"])
                        for m in status.get("media_attachments") or []
                        if isinstance(m, Mapping) and m.get("type") == "image" and m.get("url")
                    ),
                    raw={
                        "notification_id": str(notification.get("id")),
                        "status_id": str(status["id"]),
                        "visibility": status.get("visibility"),
                        "url": status.get("url"),
                        "account_id": str(author.get("id")),
                    },
                )
            )
        return messages

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Reply in the citizen's thread, mentioning them, with their post's visibility (a DM is answered by DM)."""
        config = self.account_config(delivery, session=session)
        api = client(config)
        reply_to = delivery.payload.get("in_reply_to_external_id")
        visibility = "public"
        mention = delivery.recipient or ""
        try:
            if reply_to:
                original = api.status(reply_to)
                visibility = original.get("visibility") if original.get("visibility") in VISIBILITIES else "direct"
                mention = f"@{original['account']['acct']}"
            url = str(delivery.payload.get("tracking_url") or "")
            prefix = f"{mention} " if mention.startswith("@") else ""
            body = reply_text(delivery)
            budget = STATUS_LIMIT - len(prefix) - (URL_WEIGHT - len(url) if url and url in body else 0)
            text = prefix + fit(body, budget, url)
            # Uploaded again on a retry (an unused upload is harmless); the status itself is never posted twice.
            media = [
                api.media_post(io.BytesIO(p.data), mime_type=p.content_type, file_name=p.filename)
                for p in answer_photos(session, delivery, limit=MEDIA_LIMIT)
            ]
            posted = api.status_post(
                text,
                in_reply_to_id=reply_to or None,
                media_ids=[m["id"] for m in media] or None,
                visibility=visibility,
                # The same key on every attempt: a retry after a lost response does not post twice.
                idempotency_key=delivery.idempotency_key,
            )
        except Exception as exc:
            raise translate(api, exc) from exc
        return str(posted["id"])
