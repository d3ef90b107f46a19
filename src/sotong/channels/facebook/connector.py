"""Facebook Page: webhook (verify handshake, X-Hub-Signature-256), feed comments and posts, Messenger messages.

Account config (secrets sealed at rest, secrets.py): ``page_id``, ``page_access_token``,
``app_secret`` (signs the webhooks), ``verify_token`` (our half of the subscription handshake) and
``graph_url`` (``https://graph.facebook.com/v21.0`` unless set; tests point it at a local fake).

Meta allows one webhook callback URL per app for the ``page`` object, whatever the number of Pages subscribed: a
delivery may carry entries of several Pages. Each ``entry[].id`` (the Page id) is routed to the account of that Page
(`split`, channels/webhooks.py); an entry of a Page no account has is refused, and an account never stores another
Page's entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from sqlalchemy.orm import Session

from sotong.cases.attachments import answer_photos
from sotong.cases.inbound import InboundMessage
from sotong.channels.base import (
    ChannelError,
    ChannelText,
    Connector,
    Handshake,
    MalformedPayload,
    ProbeError,
    SampleAuthor,
    SetupField,
    SignatureError,
    WebhookRequest,
    constant_time_equal,
    fitted,
    json_body,
    required,
)
from sotong.outbox.transports import Delivery, retry_after

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
SIGNATURE_HEADER = "x-hub-signature-256"
# Comments allow 8,000 characters; Messenger text 2,000.
COMMENT_LIMIT = 8000
MESSENGER_LIMIT = 2000
# Messenger's standard window is 24 hours after the citizen's last message; a human agent's answer may follow up
# to 7 days later with the HUMAN_AGENT tag (the app needs Meta's Human Agent permission). Graph refuses a message
# outside the window with code 10 / subcode 2018278.
OUTSIDE_WINDOW = (10, 2018278)
# Comments read per page of the read-back; Graph pages with cursors beyond it.
READ_BACK_PAGE = 100
READ_BACK_PAGES = 20
# Graph error codes for throttling (app, user, page, custom-rate), answered with HTTP 400 or 403, not 429.
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001})
DEFAULT_THROTTLE_SECONDS = 300.0
TIMEOUT = httpx.Timeout(10.0)


def is_messenger_id(external_id: str) -> bool:
    """Messenger message ids are "m_..." (older "mid.$..."); feed ids are "<page>_<post>" digits."""
    return external_id.startswith(("m_", "mid."))


def signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value of a body: hex HMAC-SHA256 with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _epoch(value: Any, *, millis: bool = False) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedPayload(f"facebook: bad time {value!r}")
    return dt.datetime.fromtimestamp(value / 1000 if millis else value, tz=dt.UTC)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"facebook: {what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"facebook: {what} is not a list")
    return value


def _page_entries(payload: Any) -> list[dict[str, Any]]:
    data = _object(json_body(payload) if isinstance(payload, bytes | str) else payload, "the body")
    if data.get("object") != "page":
        raise MalformedPayload(f"facebook: object is {data.get('object')!r}, not 'page'")
    return [_object(entry, "an entry") for entry in _list(data.get("entry"), "entry")]


class FacebookConnector(Connector):
    """Page feed and Messenger in by webhook; replies as comments on the comment, or Messenger messages."""

    name: ClassVar[str] = "facebook"
    public_group: ClassVar[str] = "sns"
    secret_fields: ClassVar[tuple[str, ...]] = ("page_access_token", "app_secret", "verify_token")
    # What Meta for Developers gives (the app's settings, the Page's token); the verify token is ours to paste.
    setup_fields: ClassVar[tuple[SetupField, ...]] = (
        SetupField("page_id", required=True),
        SetupField("page_access_token", secret=True, required=True),
        SetupField("app_secret", secret=True, required=True),
        SetupField("verify_token", secret=True, generated=True),
        SetupField("graph_url"),
    )
    probes: ClassVar[bool] = True
    accepts_webhooks: ClassVar[bool] = True
    route_key: ClassVar[str | None] = "page_id"

    def probe(self, config: Mapping[str, Any]) -> None:
        """`GET /me` with the Page token and its ``appsecret_proof`` (HMAC-SHA256 of the token with the app
        secret, which Graph checks when given): a bad token, a wrong app secret, or a token of another Page."""
        base = str(config.get("graph_url") or DEFAULT_GRAPH_URL).rstrip("/")
        page_id = str(config.get("page_id") or "").strip()
        token = str(config.get("page_access_token") or "").strip()
        secret = str(config.get("app_secret") or "").strip()
        if not page_id or not token or not secret:
            raise ProbeError("channels.probe.facebook.incomplete")
        proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        try:
            response = httpx.get(
                f"{base}/me",
                params={"fields": "id,name", "access_token": token, "appsecret_proof": proof},
                timeout=TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise ProbeError("channels.probe.unreachable", f"{type(exc).__name__}: {exc}") from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code, message = error.get("code"), str(error.get("message") or "")
            if "appsecret_proof" in message:
                raise ProbeError("channels.probe.facebook.bad_app_secret", message)
            if code == 190:
                raise ProbeError("channels.probe.facebook.bad_token", message)
            if code in THROTTLE_CODES:
                raise ProbeError("channels.probe.rate_limited", message)
            raise ProbeError("channels.probe.failed", f"code {code}: {message}")
        found = str(data.get("id") or "") if isinstance(data, dict) else ""
        if not response.is_success or not found:
            raise ProbeError("channels.probe.failed", f"HTTP {response.status_code}")
        if found != page_id:
            raise ProbeError("channels.probe.facebook.other_page", found)

    def split(self, body: bytes) -> dict[str, bytes]:
        """The delivery's entries by Page id, each Page's as a body of its own (``{"object": "page", "entry": …}``)."""
        by_page: dict[str, list[dict[str, Any]]] = {}
        for entry in _page_entries(body):
            page = entry.get("id")
            if not isinstance(page, str | int) or isinstance(page, bool) or not str(page):
                raise MalformedPayload("facebook: an entry without its Page id")
            by_page.setdefault(str(page), []).append(entry)
        return {
            page: json.dumps({"object": "page", "entry": entries}, ensure_ascii=False).encode()
            for page, entries in by_page.items()
        }

    def handshake(self, config: Mapping[str, Any], query: Mapping[str, str]) -> Handshake:
        """Echo hub.challenge when hub.verify_token is ours (the subscription check)."""
        expected = str(config.get("verify_token") or "")
        given = query.get("hub.verify_token")
        if query.get("hub.mode") != "subscribe" or given is None or "hub.challenge" not in query:
            raise SignatureError("facebook: not a subscription check (hub.mode/verify_token/challenge)", missing=True)
        if not expected or not constant_time_equal(given, expected):
            raise SignatureError("facebook: hub.verify_token does not match")
        return Handshake(body=query["hub.challenge"])

    def verify(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """X-Hub-Signature-256 over the raw body with the app secret, compared in constant time."""
        given = request.headers.get(SIGNATURE_HEADER)
        if not given:
            raise SignatureError("facebook: no X-Hub-Signature-256 header", missing=True)
        secret = str(config.get("app_secret") or "")
        if not secret:
            raise SignatureError("facebook: the account has no app_secret configured")
        if not constant_time_equal(given.strip(), signature(secret, request.body)):
            raise SignatureError("facebook: X-Hub-Signature-256 does not match the body")

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Page webhook → messages: new comments and visitor posts, Messenger texts; our own echoes left out."""
        page_id = str(config.get("page_id") or "")
        messages: list[InboundMessage] = []
        for entry in _page_entries(payload):
            if page_id and str(entry.get("id")) != page_id:
                continue  # another Page's entry: never stored (nor answered) under this account
            for change in _list(entry.get("changes"), "changes"):
                message = self._feed(_object(change, "a change"), page_id)
                if message is not None:
                    messages.append(message)
            for event in _list(entry.get("messaging"), "messaging"):
                message = self._messenger(_object(event, "a messaging event"), page_id)
                if message is not None:
                    messages.append(message)
        return messages

    def _feed(self, change: dict[str, Any], page_id: str) -> InboundMessage | None:
        if change.get("field") != "feed":
            return None
        value = _object(change.get("value"), "change.value")
        item, verb = value.get("item"), value.get("verb")
        if item not in ("comment", "post", "status") or verb != "add":
            return None  # edits, removals, reactions, shares: not a new message
        sender = _object(value.get("from") or {}, "value.from")
        if page_id and str(sender.get("id")) == page_id:
            return None  # the page's own post or reply, echoed back
        text = str(value.get("message") or "").strip()
        photos = tuple(str(url) for url in (value.get("photo"), *(value.get("photos") or [])) if isinstance(url, str))
        if not text and not photos:
            return None
        if item == "comment":
            external_id = value.get("comment_id")
            parent = value.get("parent_id") or value.get("post_id")
        else:
            external_id, parent = value.get("post_id"), None
        if not isinstance(external_id, str) or not external_id:
            raise MalformedPayload(f"facebook: a feed {item} without its id")
        return InboundMessage(
            external_id=external_id,
            text=text,
            received_at=_epoch(value.get("created_time")),
            author_handle=str(sender.get("id")) if sender.get("id") else None,
            author_name=sender.get("name"),
            in_reply_to_external_id=str(parent) if parent else None,
            media_urls=photos,  # a comment may be a photo alone: it is downloaded at intake
            raw={
                "field": "feed",
                "item": item,
                "post_id": value.get("post_id"),
                "parent_id": value.get("parent_id"),
                "media": [{"type": "photo", "url": url} for url in photos],
            },
        )

    def _messenger(self, event: dict[str, Any], page_id: str) -> InboundMessage | None:
        message = event.get("message")
        if not isinstance(message, dict) or message.get("is_echo"):
            return None  # deliveries, reads, postbacks; is_echo marks what the page itself sent
        sender = str(_object(event.get("sender"), "messaging.sender").get("id") or "")
        if not sender or sender == page_id:
            return None
        mid, text = message.get("mid"), str(message.get("text") or "").strip()
        if not isinstance(mid, str) or not mid:
            raise MalformedPayload("facebook: a Messenger message without its mid")
        photos = tuple(
            str(payload["url"])
            for attachment in _list(message.get("attachments"), "message.attachments")
            if isinstance(attachment, dict) and attachment.get("type") == "image"
            for payload in [attachment.get("payload") or {}]
            if isinstance(payload, dict) and isinstance(payload.get("url"), str)
        )
        if not text and not photos:
            return None
        reply_to = _object(message.get("reply_to") or {}, "message.reply_to").get("mid")
        return InboundMessage(
            external_id=mid,
            text=text,
            received_at=_epoch(event.get("timestamp"), millis=True),
            author_handle=sender,
            in_reply_to_external_id=str(reply_to) if reply_to else None,
            media_urls=photos,
            chat=True,  # one complaint arrives as several messages: gathered into one case
            raw={
                "field": "messaging",
                "sender": sender,
                "mid": mid,
                "media": [{"type": "photo", "url": u} for u in photos],
            },
        )

    def preview(self, delivery: Delivery) -> ChannelText:
        """A comment reply (8,000 characters) or a Messenger message (2,000), cut with the link beyond that."""
        return fitted(self.name, delivery, _limit(delivery))

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """A page-scoped user id, with the name Facebook shows."""
        return SampleAuthor(handle=f"fb:{rng.randrange(10**14, 10**15)}", name=name, contact={})

    def resend_is_safe(self, delivery: Delivery) -> bool:
        """A comment reply is looked for before it is posted again; a Messenger message cannot be (no read-back)."""
        return not is_messenger_id(str(delivery.payload.get("in_reply_to_external_id") or ""))

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Reply to the citizen's comment (or post) as the Page, or message them on Messenger."""
        config = self.account_config(delivery, session=session)
        base = str(config.get("graph_url") or DEFAULT_GRAPH_URL).rstrip("/")
        token = required(config, "page_access_token", self.name)
        target = str(delivery.payload.get("in_reply_to_external_id") or "")
        if not target:
            raise ChannelError("facebook: nothing to reply to (no original message id)", permanent=True)
        text = self.preview(delivery).text
        if is_messenger_id(target):
            if not delivery.recipient:
                raise ChannelError("facebook: Messenger reply without the citizen's id", permanent=True)
            page_id = required(config, "page_id", self.name)
            return self._message(f"{base}/{page_id}/messages", token, delivery.recipient, text)
        message = text
        if delivery.attempt > 1:
            # Graph takes no idempotency key: a retry first looks for the reply an earlier attempt may have posted.
            earlier = self._earlier_reply(
                base, token, target, page_id=str(config.get("page_id") or ""), message=message
            )
            if earlier is not None:
                return earlier
        # A comment takes one photo (`source`): the first result photo of the answer, if any.
        photos = answer_photos(session, delivery, limit=1)
        files = {"source": (photos[0].filename, photos[0].data, photos[0].content_type)} if photos else None
        return self._post(f"{base}/{target}/comments", token, form={"message": message}, files=files, key="id")

    def _message(self, url: str, token: str, recipient: str, text: str) -> str:
        """A Messenger message: a response within 24 hours of the citizen's last message, a human agent's message
        (HUMAN_AGENT tag) up to 7 days after it. A refusal leaves nothing sent, so the second try cannot double."""
        body: dict[str, Any] = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}}
        try:
            return self._post(url, token, json_body=body, key="message_id")
        except GraphError as exc:
            if exc.codes != OUTSIDE_WINDOW:
                raise
        tagged = {**body, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        try:
            return self._post(url, token, json_body=tagged, key="message_id")
        except GraphError as exc:
            if exc.permanent:
                raise ChannelError(
                    "facebook: Messenger accepts no answer more than 7 days after the citizen's last message "
                    f"({exc.message}): reach the citizen another way (phone, e-mail, a letter) and note it on the case",
                    permanent=True,
                ) from exc
            raise

    def _earlier_reply(self, base: str, token: str, target: str, *, page_id: str, message: str) -> str | None:
        """The id of the Page's identical reply in the target's thread, if one is there already."""
        threads = [target]
        # A reply to a reply lands under the top-level comment: Facebook threads are two levels deep.
        parent = (self._get(f"{base}/{target}", token, {"fields": "parent{id}"}).get("parent") or {}).get("id")
        if parent:
            threads.append(str(parent))
        for thread in threads:
            params = {
                "fields": "id,from,message",
                "filter": "stream",
                "order": "reverse_chronological",
                "limit": str(READ_BACK_PAGE),
            }
            # A busy post has more than one page of comments: follow Graph's cursors (newest first, so an earlier
            # reply of ours is usually on the first page; a bounded number of pages, then give up looking).
            for _ in range(READ_BACK_PAGES):
                page = self._get(f"{base}/{thread}/comments", token, params)
                for comment in page.get("data") or []:
                    if str((comment.get("from") or {}).get("id")) == page_id and comment.get("message") == message:
                        return str(comment["id"])
                paging = page.get("paging") or {}
                after = (paging.get("cursors") or {}).get("after")
                if not paging.get("next") or not after:
                    break
                params = {**params, "after": str(after)}
        return None

    def _get(self, url: str, token: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = httpx.get(url, params={**params, "access_token": token}, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise ChannelError(f"facebook: network error: {exc}") from exc
        if not response.is_success:
            raise _graph_error(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelError(f"facebook: unexpected answer {response.text[:200]!r}") from exc
        return data if isinstance(data, dict) else {}

    def _post(
        self,
        url: str,
        token: str,
        *,
        key: str,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> str:
        try:
            response = httpx.post(
                url,
                params={"access_token": token},
                data=form,
                files=files,
                json=json_body,
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"facebook: network error: {exc}") from exc
        if response.is_success:
            try:
                return str(response.json()[key])
            except (ValueError, KeyError, TypeError) as exc:
                raise ChannelError(f"facebook: unexpected answer {response.text[:200]!r}") from exc
        raise _graph_error(response)


class GraphError(ChannelError):
    """A Graph API refusal, with its code and subcode."""

    def __init__(
        self, message: str, *, codes: tuple[Any, Any], permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.codes = codes


def _graph_error(response: httpx.Response) -> GraphError:
    """A Graph API error as a ChannelError: throttling waits, 5xx retries, the rest (deleted, blocked) is final."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code, subcode = error.get("code"), error.get("error_subcode")
    detail = error.get("message") or response.text[:200]
    reason = f"facebook: HTTP {response.status_code} code {code}/{subcode}: {detail}"
    if response.status_code == 429 or code in THROTTLE_CODES:
        return GraphError(reason, codes=(code, subcode), retry_after=_throttle_seconds(response))
    if response.status_code >= 500 or error.get("is_transient"):
        return GraphError(reason, codes=(code, subcode))
    return GraphError(reason, codes=(code, subcode), permanent=True)


def _limit(delivery: Delivery) -> int:
    """How long a reply may be: a Messenger message or a comment."""
    target = str(delivery.payload.get("in_reply_to_external_id") or "")
    return MESSENGER_LIMIT if is_messenger_id(target) else COMMENT_LIMIT


def _throttle_seconds(response: httpx.Response) -> float:
    """How long Graph asks us to wait: Retry-After, or estimated_time_to_regain_access (minutes) in the usage header."""
    asked = retry_after(response.headers.get("retry-after"))
    if asked is not None:
        return asked
    usage = response.headers.get("x-business-use-case-usage")
    if usage:
        try:
            minutes = [
                float(item.get("estimated_time_to_regain_access") or 0)
                for items in json.loads(usage).values()
                for item in items
            ]
        except (ValueError, AttributeError, TypeError):
            minutes = []
        if minutes and max(minutes) > 0:
            return max(minutes) * 60
    return DEFAULT_THROTTLE_SECONDS
