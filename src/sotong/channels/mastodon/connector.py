"""Mastodon through the Mastodon.py client: mentions parsed from notifications, replies posted in the thread.

Account config (secrets sealed at rest, secrets.py): ``base_url`` (the instance), ``access_token``,
optionally ``own_account_id`` (looked up once if absent) and the poll cursor ``since_id``. An answer's result
photos are uploaded (``POST /api/v2/media``) and attached to the reply.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Mapping
from typing import Any, ClassVar

from mastodon import MastodonAPIError, MastodonNetworkError, MastodonNotFoundError
from sqlalchemy.orm import Session
from twitter_text import extract_urls_with_indices

from sotong.cases.attachments import answer_photos
from sotong.cases.inbound import InboundMessage
from sotong.cases.wording import reply_text
from sotong.channels.base import (
    ChannelText,
    Connector,
    Polled,
    ProbeError,
    SampleAuthor,
    ascii_url,
    tracking_link,
)
from sotong.channels.mastodon.api import client, translate
from sotong.channels.mastodon.parse import parse_notifications
from sotong.channels.mastodon.poll import OPEN_POLICY, poll
from sotong.outbox.transports import Delivery
from sotong.text.fitting import fit

# Mastodon's default; instances may allow more, none allow less.
STATUS_LIMIT = 500
VISIBILITIES = ("public", "unlisted", "private", "direct")
# Mastodon counts every link as 23 characters, whatever its length.
URL_WEIGHT = 23
# Photos per status Mastodon accepts.
MEDIA_LIMIT = 4


def linked(url: str) -> bool:
    """Whether Mastodon makes a link of `url` (counted 23): its extractor is twitter-text's, which links no bare IP
    address nor an unknown top-level domain; those count every character."""
    found = extract_urls_with_indices(url, extract_urls_without_protocol=False) if url else []
    return [link["url"] for link in found] == [url]


class MastodonConnector(Connector):
    idempotent: ClassVar[bool] = True  # every attempt carries the item's Idempotency-Key
    """Mentions in (polled, see `mastodon.poll`), replies out with in_reply_to_id and an Idempotency-Key."""

    name: ClassVar[str] = "mastodon"
    public_group: ClassVar[str] = "sns"
    secret_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    polls: ClassVar[bool] = True
    probes: ClassVar[bool] = True

    def probe(self, config: Mapping[str, Any]) -> None:
        """The token and the notification policy, read only: a policy that filters strangers' DMs is reported (the
        next poll sets it, given `write:notifications`)."""
        if not str(config.get("access_token") or "").strip() or not str(config.get("base_url") or "").strip():
            raise ProbeError("channels.probe.mastodon.no_token")
        api = client(config)
        try:
            api.me()
        except MastodonNetworkError as exc:
            raise ProbeError("channels.probe.unreachable", str(exc)) from exc
        except MastodonAPIError as exc:
            raise ProbeError("channels.probe.mastodon.bad_token", str(exc)) from exc
        try:
            policy = api.notifications_policy()
        except MastodonNotFoundError:
            return  # before 4.3: nothing is filtered
        except MastodonAPIError as exc:
            raise ProbeError("channels.probe.failed", str(exc)) from exc
        if any(policy.get(key) != value for key, value in OPEN_POLICY.items()):
            raise ProbeError("channels.probe.mastodon.filtered")

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Mention notifications → messages; our own posts and other notification types are left out."""
        return parse_notifications(config, payload)

    def poll(self, session: Session, *, account_id: int) -> Polled:
        """Mention notifications newer than the account's cursor."""
        return poll(session, account_id=account_id)

    def preview(self, delivery: Delivery) -> ChannelText:
        """500 characters with the @mention in front, a link counting 23 (Mastodon's own count)."""
        mention = delivery.recipient or ""
        return self._text(delivery, f"{mention} " if mention.startswith("@") else "")

    def _text(self, delivery: Delivery, prefix: str) -> ChannelText:
        # Mastodon finds links with twitter-text's rules: a Hangul case number would end the link at "2026-".
        url = ascii_url(tracking_link(delivery))
        body = reply_text(delivery).replace(tracking_link(delivery), url) if url else reply_text(delivery)
        weight = URL_WEIGHT if linked(url) else len(url)
        budget = STATUS_LIMIT - len(prefix) - (weight - len(url) if url and url in body else 0)
        fitted = fit(body, budget, url)
        text = prefix + fitted
        length = len(text) - (len(url) - weight if url and url in text else 0)
        return ChannelText(self.name, text, length, STATUS_LIMIT, "chars", fitted != body)

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """A fediverse handle."""
        return SampleAuthor(handle=f"@{word}{rng.randrange(10, 999)}@mastodon.example", name=None, contact={})

    def sample_message_id(self, rng: random.Random, *, received: dt.datetime, serial: int) -> str:
        """A status id (a snowflake of 18-19 digits)."""
        return str(rng.randrange(10**17, 10**19))

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
            text = self._text(delivery, f"{mention} " if mention.startswith("@") else "").text
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
