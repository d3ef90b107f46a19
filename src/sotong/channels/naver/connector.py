"""Naver TalkTalk (네이버 톡톡) chatbot API: ``send`` events in by webhook, answers out through the send API.

Account config (secrets sealed at rest, secrets.py):
``authorization`` (the partner centre's send-API key, sent as the ``Authorization`` header as it is),
``api_url`` (``https://gw.talk.naver.com`` unless set), ``allowed_ips`` (where webhooks may come from;
Naver's documented 117.52.141.192/27 unless set: TalkTalk signs nothing, it publishes its addresses instead),
and optionally ``webhook_token`` (then the webhook URL registered at the partner centre must end in
``?token=<it>``: a second check for deployments behind a proxy that hides the caller's address).

The generic ``/hooks`` route hands `verify` the caller's address and the query string: TalkTalk signs nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session

from sotong.cases.inbound import DEFAULT_PRIVATE, VISIBILITY_KEY, InboundMessage
from sotong.channels.base import (
    ChannelError,
    ChannelText,
    Connector,
    MalformedPayload,
    ProbeError,
    SampleAuthor,
    SetupField,
    SignatureError,
    WebhookReply,
    WebhookRequest,
    constant_time_equal,
    fitted,
    json_body,
    network_error,
    required,
)
from sotong.db import utcnow
from sotong.outbox.transports import Delivery, retry_after

DEFAULT_API_URL = "https://gw.talk.naver.com"
DEFAULT_ALLOWED_IPS = ("117.52.141.192/27",)
# Where TalkTalk serves the photos citizens send (talk.pstatic.net and its siblings): the only hosts fetched from.
MEDIA_HOSTS = (".pstatic.net",)
# textContent.text holds at most 10,000 characters.
TEXT_LIMIT = 10_000
# Result codes that will not change on a retry: 01 bad Authorization, 02 bad JSON or a missing field.
PERMANENT_CODES = frozenset({"01", "02"})
DEFAULT_THROTTLE_SECONDS = 60.0
TIMEOUT = httpx.Timeout(10.0)
SEOUL = ZoneInfo("Asia/Seoul")
# The codes of the receipt's 공개/비공개 buttons (a press is the citizen's answer, cases.actions.choose_in_chat).
PUBLIC_CODE, PRIVATE_CODE = "sotong:visibility:public", "sotong:visibility:private"
VISIBILITY_CODES = {PUBLIC_CODE: "public", PRIVATE_CODE: "private"}
# Events that are not a citizen's message: entering or leaving the chat, (un)friending, our own echoes.
IGNORED_EVENTS = frozenset({"open", "leave", "friend", "echo", "typingOn", "typingOff", "persistentMenu"})


def allowed(client_ip: str | None, networks: Sequence[str]) -> bool:
    """Whether the caller's address is in one of the allowed networks (an unparsable address never is)."""
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _event_id(user: str, body: bytes | str) -> str:
    """TalkTalk gives events no id: the same body from the same user on the same (Seoul) day is one message."""
    raw = body.encode() if isinstance(body, str) else body
    day = utcnow().astimezone(SEOUL).date().isoformat()
    return f"naver:{user}:{day}:" + hashlib.sha256(raw).hexdigest()[:32]


class NaverConnector(Connector):
    """TalkTalk events in (the caller's address checked); receipts and answers pushed by the send API."""

    name: ClassVar[str] = "naver"
    private: ClassVar[bool] = True  # a reply reaches the citizen alone
    public_group: ClassVar[str] = "sns"
    secret_fields: ClassVar[tuple[str, ...]] = ("authorization",)
    # What the TalkTalk partner centre (파트너센터 > 개발자도구 > 챗봇 API) gives.
    setup_fields: ClassVar[tuple[SetupField, ...]] = (
        SetupField("authorization", secret=True, required=True),
        SetupField("api_url"),
    )
    probes: ClassVar[bool] = True
    accepts_webhooks: ClassVar[bool] = True
    # TalkTalk's events carry no time of their own: taken in at once, so the statutory clock starts on arrival.
    queues: ClassVar[bool] = False

    def verify(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """TalkTalk signs nothing: the caller must come from Naver's published addresses (and bring our token)."""
        client_ip = request.client_ip
        networks = config.get("allowed_ips") or DEFAULT_ALLOWED_IPS
        if not isinstance(networks, list | tuple) or not allowed(client_ip, [str(n) for n in networks]):
            raise SignatureError(f"naver: caller {client_ip} is not in the allowed networks")
        expected = str(config.get("webhook_token") or "")
        if expected:
            given = request.query.get("token")
            if not given:
                raise SignatureError("naver: no token in the webhook URL", missing=True)
            if not constant_time_equal(given, expected):
                raise SignatureError("naver: the webhook URL's token does not match")

    def probe(self, config: Mapping[str, Any]) -> None:
        """The send API asked with a send event to nobody: TalkTalk checks the key first (resultCode 01) and then
        refuses the missing user (02), so a 02 means the key works; nothing reaches any chat."""
        base = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/")
        token = str(config.get("authorization") or "").strip()
        if not token:
            raise ProbeError("channels.probe.naver.no_key")
        try:
            response = httpx.post(
                f"{base}/chatbot/v1/event",
                content=b'{"event":"send"}',
                headers={"Authorization": token, "Content-Type": "application/json;charset=UTF-8"},
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise ProbeError("channels.probe.unreachable", f"{type(exc).__name__}: {exc}") from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        code = str(data.get("resultCode") or "") if isinstance(data, dict) else ""
        if code == "01" or response.status_code in (401, 403):
            raise ProbeError("channels.probe.naver.bad_key", code)
        if code in ("00", "02"):
            return  # the key was accepted; the empty event was refused (or ignored) as it should be
        raise ProbeError("channels.probe.failed", f"HTTP {response.status_code} resultCode {code or '-'}")

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """A TalkTalk event → the citizen's message; open/leave/friend/echo and button codes are not messages."""
        data = json_body(payload) if isinstance(payload, bytes | str) else payload
        if not isinstance(data, dict):
            raise MalformedPayload("naver: the body is not an object")
        event = data.get("event")
        if not isinstance(event, str) or not event:
            raise MalformedPayload("naver: no event name")
        if event in IGNORED_EVENTS or event != "send":
            return []
        user = data.get("user")
        if not isinstance(user, str) or not user:
            raise MalformedPayload("naver: a send event without its user")
        text_content = data.get("textContent")
        image_content = data.get("imageContent")
        photos: tuple[str, ...] = ()
        choice: str | None = None
        if isinstance(text_content, dict):
            text = str(text_content.get("text") or "").strip()
            choice = VISIBILITY_CODES.get(str(text_content.get("code") or ""))
            if text_content.get("code") and not text and choice is None:
                return []  # a button press carries a code for the bot, not words for a case
            kind = "text"
        elif isinstance(image_content, dict) and isinstance(image_content.get("imageUrl"), str):
            # Downloaded at intake into the message's attachments like every platform's photo (channels/intake/
            # media.py): the department needs the picture even if the link stops working; the raw event keeps it.
            text, kind, photos = "(사진)", "image", (image_content["imageUrl"],)
        else:
            raise MalformedPayload("naver: a send event without textContent or imageContent")
        if not text:
            text = "공개" if choice == "public" else "비공개" if choice else ""
        if not text:
            return []
        body = payload if isinstance(payload, bytes | str) else json.dumps(payload, sort_keys=True)
        return [
            InboundMessage(
                external_id=_event_id(user, body),
                text=text,
                received_at=utcnow(),
                author_handle=user,
                media_urls=photos,
                media_hosts=MEDIA_HOSTS,
                chat=True,  # one complaint arrives as several send events: gathered into one case
                # A chat with the district alone: private until the citizen answers the receipt's 공개 question.
                visibility=DEFAULT_PRIVATE,
                raw={
                    "event": event,
                    "user": user,
                    "kind": kind,
                    "options": data.get("options") or {},
                    VISIBILITY_KEY: DEFAULT_PRIVATE,
                    **({"image_url": photos[0]} if photos else {}),
                    **({"visibility_reply": choice} if choice else {}),
                },
            )
        ]

    def webhook_reply(self, counts: Mapping[str, int]) -> WebhookReply:
        """200 with no body: TalkTalk reads nothing of it (receipts follow by the send API)."""
        return WebhookReply(None)

    def preview(self, delivery: Delivery) -> ChannelText:
        """One text of at most 10,000 characters."""
        return fitted(self.name, delivery, TEXT_LIMIT)

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """A TalkTalk user key, with the name the citizen gave."""
        return SampleAuthor(handle=f"naver:{rng.getrandbits(40):010x}", name=name, contact={})

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Push the receipt or answer to the citizen's TalkTalk chat through the send API."""
        config = self.account_config(delivery, session=session)
        if not delivery.recipient:
            raise ChannelError("naver: no TalkTalk user to send to", permanent=True)
        base = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/")
        token = required(config, "authorization", self.name)
        body: dict[str, Any] = {
            "event": "send",
            "user": delivery.recipient,
            "textContent": {"text": self.preview(delivery).text},
        }
        if delivery.kind != "receipt":
            # The answer may come days later: ask TalkTalk to notify the citizen's phone.
            body["options"] = {"notification": True}
        elif delivery.payload.get("ask_visibility"):
            # The receipt's question (공개/비공개) as two buttons; a press comes back as a send event with the code.
            body["textContent"]["quickReply"] = {
                "buttonList": [
                    {"type": "TEXT", "data": {"title": title, "code": code}}
                    for code, title in ((PUBLIC_CODE, "공개"), (PRIVATE_CODE, "비공개 유지"))
                ]
            }
        try:
            response = httpx.post(
                f"{base}/chatbot/v1/event",
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Authorization": token, "Content-Type": "application/json;charset=UTF-8"},
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise network_error(self.name, exc) from exc
        return _result(response, delivery)


def _result(response: httpx.Response, delivery: Delivery) -> str:
    """TalkTalk answers HTTP 200 with success false on errors: the result code says whether to retry."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = str(data.get("resultCode") or "")
    detail = data.get("resultMessage") or response.text[:200]
    reason = f"naver: HTTP {response.status_code} resultCode {code or '-'}: {detail}"
    if response.status_code == 429:
        raise ChannelError(
            reason, retry_after=retry_after(response.headers.get("retry-after"), DEFAULT_THROTTLE_SECONDS)
        )
    if response.status_code >= 500:
        raise ChannelError(reason)
    if response.is_success and data.get("success") is True and code == "00":
        # The API returns no message id: our outbox item id is the reference.
        return f"naver:{delivery.item_id}"
    if code in PERMANENT_CODES or code.startswith("IMG-") or response.status_code in (400, 401, 403, 404):
        raise ChannelError(reason, permanent=True)
    raise ChannelError(reason)  # 99: a processing failure on TalkTalk's side, worth another try
