"""What the citizen will see: an answer as each channel's connector would send it, and its public (masked) form.

Each channel's limit lives in its connector (X's weighted 280 in ``channels/x/text.py``, Mastodon's 500, the
Facebook comment and Messenger limits); here one function per channel applies the connector's own constants and
shortening functions to the same `Delivery` the outbox would hand it, so the preview cannot drift from the send.
A channel without a function here (no connector yet) is previewed as the whole text, marked as unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.cases.answers.render import public_source
from sotong.cases.delivery import to_citizen
from sotong.cases.models import Case
from sotong.channels.facebook.connector import COMMENT_LIMIT, MESSENGER_LIMIT, is_messenger_id
from sotong.channels.kakao.connector import TEXT_LIMIT as KAKAO_LIMIT
from sotong.channels.mastodon.connector import STATUS_LIMIT, URL_WEIGHT
from sotong.channels.naver.connector import TEXT_LIMIT as NAVER_LIMIT
from sotong.channels.render import fit, reply_text
from sotong.channels.sms.connector import subject_of
from sotong.channels.sms.text import LMS_BYTES, SMS_BYTES, byte_length, plan_message
from sotong.channels.x.text import MAX_WEIGHTED_LENGTH, shorten, weighted_length
from sotong.outbox.transports import Delivery
from sotong.text.pii import mask


@dataclass(frozen=True)
class ChannelText:
    """One reply as it leaves on a channel, measured the way that platform measures it."""

    transport: str
    text: str
    length: int
    limit: int | None  # None: the channel takes the whole text (e-mail, the web tracking page)
    unit: str  # "weighted" (X: Hangul 2, a link 23), "chars", "bytes" (SMS/LMS in EUC-KR), or "none"
    shortened: bool  # cut, ending with "…" and the link to the full answer on the public case page
    checked: bool = True  # False: no preview function for this channel yet, the text is not fitted

    def as_dict(self) -> dict[str, object]:
        return {
            "transport": self.transport,
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "unit": self.unit,
            "shortened": self.shortened,
            "checked": self.checked,
        }


def _url(delivery: Delivery) -> str:
    return str(delivery.payload.get("tracking_url") or "")


def x_text(delivery: Delivery) -> ChannelText:
    """X: 280 weighted characters (Hangul 2, a link 23), longer answers cut with a link (XConnector.send)."""
    full = reply_text(delivery)
    text = shorten(full, _url(delivery))
    return ChannelText("x", text, weighted_length(text), MAX_WEIGHTED_LENGTH, "weighted", text != full)


def mastodon_text(delivery: Delivery) -> ChannelText:
    """Mastodon: 500 characters with the @mention in front, a link counting 23 (MastodonConnector.send)."""
    url = _url(delivery)
    mention = delivery.recipient or ""
    prefix = f"{mention} " if mention.startswith("@") else ""
    body = reply_text(delivery)
    budget = STATUS_LIMIT - len(prefix) - (URL_WEIGHT - len(url) if url and url in body else 0)
    fitted = fit(body, budget, url)
    text = prefix + fitted
    length = len(text) - (len(url) - URL_WEIGHT if url and url in text else 0)
    return ChannelText("mastodon", text, length, STATUS_LIMIT, "chars", fitted != body)


def facebook_text(delivery: Delivery) -> ChannelText:
    """Facebook: a comment reply (8,000) or a Messenger message (2,000) (FacebookConnector.send)."""
    target = str(delivery.payload.get("in_reply_to_external_id") or "")
    limit = MESSENGER_LIMIT if is_messenger_id(target) else COMMENT_LIMIT
    full = reply_text(delivery)
    text = fit(full, limit, _url(delivery))
    return ChannelText("facebook", text, len(text), limit, "chars", text != full)


def kakao_text(delivery: Delivery) -> ChannelText:
    """KakaoTalk: one text of at most 1,000 characters through the Event API (KakaoConnector.send)."""
    full = reply_text(delivery)
    text = fit(full, KAKAO_LIMIT, _url(delivery))
    return ChannelText("kakao", text, len(text), KAKAO_LIMIT, "chars", text != full)


def naver_text(delivery: Delivery) -> ChannelText:
    """Naver TalkTalk: one text of at most 10,000 characters (NaverConnector.send)."""
    full = reply_text(delivery)
    text = fit(full, NAVER_LIMIT, _url(delivery))
    return ChannelText("naver", text, len(text), NAVER_LIMIT, "chars", text != full)


def sms_text(delivery: Delivery) -> ChannelText:
    """SMS up to 90 EUC-KR bytes, else LMS up to 2,000, cut with the link beyond (SmsConnector.send)."""
    full = reply_text(delivery)
    message = plan_message(full, url=_url(delivery), subject=subject_of(delivery))
    limit = SMS_BYTES if message.type == "SMS" else LMS_BYTES
    return ChannelText("sms", message.content, byte_length(message.content), limit, "bytes", message.content != full)


def email_text(delivery: Delivery) -> ChannelText:
    """E-mail: the whole answer in the reply mail's body (EmailConnector.compose)."""
    text = reply_text(delivery) + "\n"
    return ChannelText("email", text, len(text), None, "none", False)


def web_text(delivery: Delivery) -> ChannelText:
    """The web form: nothing is sent; the citizen reads the whole answer on the tracking page."""
    text = str(delivery.payload.get("body") or "")
    return ChannelText("web", text, len(text), None, "none", False)


CHANNEL_TEXTS: dict[str, Callable[[Delivery], ChannelText]] = {
    "x": x_text,
    "mastodon": mastodon_text,
    "facebook": facebook_text,
    "kakao": kakao_text,
    "naver": naver_text,
    "sms": sms_text,
    "email": email_text,
    "web": web_text,
}


def channel_text(delivery: Delivery) -> ChannelText:
    """The reply for `delivery` as its channel would send it."""
    render = CHANNEL_TEXTS.get(delivery.transport)
    if render is not None:
        return render(delivery)
    text = reply_text(delivery)
    return ChannelText(delivery.transport, text, len(text), None, "none", False, checked=False)


def answer_delivery(session: Session, case: Case, body: str) -> Delivery:
    """The delivery the answer action would queue for this body (cases/delivery.py; not stored: a preview)."""
    to_send = to_citizen(session, case, kind="answer", key="preview", payload={"answer_id": None, "body": body.strip()})
    return to_send.as_delivery(org_id=case.org_id, case_id=case.id)


@dataclass(frozen=True)
class Preview:
    channel: ChannelText
    public: str  # what the portal will show, personal data masked
    tracking_url: str


def preview(session: Session, case: Case, *, body: str, public_body: str | None = None) -> Preview:
    """Both things the citizen will see: the channel reply and the masked public answer."""
    delivery = answer_delivery(session, case, body)
    public = mask(public_source(case, public_body if public_body else body.strip()))
    return Preview(channel=channel_text(delivery), public=public, tracking_url=_url(delivery))
