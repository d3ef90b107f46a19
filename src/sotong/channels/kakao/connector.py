"""KakaoTalk channel chatbot (Kakao i Open Builder): skill requests in, receipts and answers out.

Account config (secrets sealed at rest, secrets.py):
``skill_token`` (the value Open Builder sends in the skill's custom header, ``X-Sotong-Skill-Token`` unless
``skill_header`` names another), ``bot_id`` and ``rest_api_key`` (Event API, ``Authorization: KakaoAK``),
``event_name`` (the bot's event block that shows ``event.data.text``; ``sotong_message`` unless set),
``api_url`` (``https://bot-api.kakao.com`` unless set), ``image_url_prefixes`` (where secure-image URLs may
point; ``http://secure.kakaocdn.net/`` and ``https://secure.kakaocdn.net/`` unless set: real URLs use http),
``answer_within_seconds`` (how long a skill request may take before the answer goes to the callback URL; 3.0
unless set), and the Open Builder parameter names of
the complaint block: ``param_what`` ("what"), ``param_where`` ("where"), ``param_photo`` ("photo").

Kakao expects a skill response as the webhook's answer: the generic ``/hooks`` route hands the verified request
to `KakaoConnector.respond` (the conversation: skill.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.inbound import InboundMessage
from sotong.cases.wording import reply_text
from sotong.channels.base import (
    ChannelText,
    Connector,
    Responded,
    SampleAuthor,
    SetupField,
    SignatureError,
    WebhookRequest,
    constant_time_equal,
    fitted,
    network_error,
    request_was_not_sent,
)
from sotong.channels.kakao import protocol, skill
from sotong.channels.kakao.models import KakaoSkillTurn
from sotong.channels.kakao.protocol import (
    CALLBACK_LIFETIME,
    DEFAULT_SKILL_HEADER,
    TEXT_LIMIT,
    TIMEOUT,
    _json,
    inbound_message,
    is_help,
    lookup_number,
    parse_skill,
    push,
    receipt_response,
)
from sotong.db import utcnow
from sotong.outbox.transports import Delivery
from sotong.text.fitting import fit


class KakaoConnector(Connector):
    """Skill requests in, answered with a skill response (skill.py); receipts by skill response or callback,
    answers by the Event API."""

    name: ClassVar[str] = "kakao"
    private: ClassVar[bool] = True  # a reply reaches the citizen alone
    public_group: ClassVar[str] = "sns"
    secret_fields: ClassVar[tuple[str, ...]] = ("skill_token", "rest_api_key")
    # What the partner centre (카카오 비즈니스) and Open Builder give, in the order a clerk finds them.
    setup_fields: ClassVar[tuple[SetupField, ...]] = (
        SetupField("channel_id"),
        SetupField("bot_id", required=True),
        SetupField("rest_api_key", secret=True, required=True),
        SetupField("event_name"),
        SetupField("skill_token", secret=True, generated=True),
        SetupField("api_url"),
    )
    probes: ClassVar[bool] = True
    accepts_webhooks: ClassVar[bool] = True
    # Kakao waits (5 s) for a skill response as the webhook's answer: never queued.
    responds: ClassVar[bool] = True

    def verify(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """The shared token Open Builder sends in the skill's custom header, compared in constant time."""
        header = str(config.get("skill_header") or DEFAULT_SKILL_HEADER).lower()
        given = request.headers.get(header)
        if not given:
            raise SignatureError(f"kakao: no {header} header", missing=True)
        expected = str(config.get("skill_token") or "")
        if not expected:
            raise SignatureError("kakao: the account has no skill_token configured")
        if not constant_time_equal(given.strip(), expected):
            raise SignatureError(f"kakao: {header} does not match")

    def probe(self, config: Mapping[str, Any]) -> None:
        """The Event API asked with no user: checks the key, the bot id and the event block, sends nothing."""
        protocol.probe(config)

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """A skill request → the complaint it carries (none for a status question or a greeting).

        Photos are left as URLs in ``raw["photo_urls"]``: the skill server downloads them before intake.
        """
        request = parse_skill(config, payload)
        if lookup_number(request) is not None or is_help(request, config):
            return []
        return [inbound_message(config, request)]

    def respond(
        self,
        config: Mapping[str, Any],
        request: WebhookRequest,
        *,
        sessions: Callable[[], Session],
        account_id: int,
    ) -> Responded:
        """The skill response: a case's status, the menu, or the receipt of the complaint taken in."""
        return skill.respond(sessions, account_id=account_id, config=config, request=request)

    def preview(self, delivery: Delivery) -> ChannelText:
        """One text of at most 1,000 characters through the Event API."""
        return fitted(self.name, delivery, TEXT_LIMIT)

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """A botUserKey, with the name the citizen gave the chatbot."""
        return SampleAuthor(handle=f"kakao:{rng.getrandbits(40):010x}", name=name, contact={})

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """A receipt to the skill's callback URL when it is still fresh; everything else through the Event API."""
        turn = None
        # The first reply to a turn (a receipt, or chatter's acknowledgement) may have been the skill response.
        if delivery.kind in ("receipt", "acknowledgement") and delivery.payload.get("in_reply_to_external_id"):
            turn = session.scalar(
                select(KakaoSkillTurn).where(
                    KakaoSkillTurn.external_id == str(delivery.payload["in_reply_to_external_id"])
                )
            )
        mode, callback_url, created = (turn.mode, turn.callback_url, turn.created_at) if turn else (None, None, None)
        config = self.account_config(delivery, session=session)
        if mode == "inline":
            return "skill-response"  # the citizen read it in the skill's own answer already
        text = reply_text(delivery)
        url = str(delivery.payload.get("tracking_url") or "")
        if mode == "callback" and callback_url and created and utcnow() - created < CALLBACK_LIFETIME:
            number = str(delivery.payload.get("case_number") or "")
            ask = bool(delivery.payload.get("ask_visibility"))
            sent = self._callback(
                callback_url, receipt_response(number, fit(text, TEXT_LIMIT, url), ask_visibility=ask)
            )
            if sent is not None:
                return sent
        number = str(delivery.payload.get("case_number") or "")
        return push(config, delivery.recipient, fit(text, TEXT_LIMIT, url), case_number=number)

    def _callback(self, callback_url: str, body: dict[str, Any]) -> str | None:
        """POST the skill response to Kakao's callback URL; None when Kakao no longer takes it."""
        try:
            response = httpx.post(callback_url, json=body, timeout=TIMEOUT, follow_redirects=False)
        except httpx.HTTPError as exc:
            if request_was_not_sent(exc):
                return None  # the Event API still reaches the citizen
            raise network_error(self.name, exc) from exc  # Kakao may have shown it: never a second copy
        if not response.is_success:
            return None
        data = _json(response)
        if data.get("status") not in (None, "SUCCESS"):
            return None
        return f"callback:{data.get('taskId') or ''}"
