"""Mention notifications as Mastodon hands them over (polled or streamed) turned into inbound messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from sotong.cases.inbound import InboundMessage
from sotong.channels.base import MalformedPayload


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


def _when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise MalformedPayload(f"mastodon: bad created_at {value!r}")


def parse_notifications(config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
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
                # A private mention is a chat: its bubbles are gathered into one case; a public one stands alone.
                chat=status.get("visibility") == "direct",
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
