"""Kakao i Open Builder's protocols: a skill request parsed, a skill response built, the Event API's push.

Both the conversation (skill.py) and the connector's sends (connector.py) speak these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from sotong.cases.inbound import DEFAULT_PRIVATE, VISIBILITY_KEY, InboundMessage
from sotong.channels.base import (
    ChannelError,
    MalformedPayload,
    ProbeError,
    json_body,
    network_error,
    required,
)
from sotong.db import utcnow
from sotong.outbox.transports import retry_after
from sotong.text.fitting import fit

DEFAULT_API_URL = "https://bot-api.kakao.com"


DEFAULT_SKILL_HEADER = "x-sotong-skill-token"


DEFAULT_EVENT_NAME = "sotong_message"


# Real secure-image URLs are http://secure.kakaocdn.net/dna/... (Kakao's own payloads use http); https is allowed
# too in case Kakao moves. The trailing slash keeps a look-alike host (secure.kakaocdn.net.example) out.
DEFAULT_IMAGE_PREFIXES = ("http://secure.kakaocdn.net/", "https://secure.kakaocdn.net/")


DEFAULT_ANSWER_WITHIN = 3.0


# simpleText holds at most 1,000 characters; a response at most 3 outputs and 10 quick replies.
TEXT_LIMIT = 1000


MAX_OUTPUTS = 3


MAX_QUICK_REPLIES = 10


# Kakao accepts one POST to a callback URL within one minute of the request; keep a margin for the trip.
CALLBACK_LIFETIME = dt.timedelta(seconds=50)


DEFAULT_THROTTLE_SECONDS = 60.0


TIMEOUT = httpx.Timeout(10.0)


SEOUL = ZoneInfo("Asia/Seoul")


CASE_NUMBER = re.compile(r"\b(\d{4}-[^\s\d-]{1,10}-\d{6})\b")


LOOKUP_WORDS = ("조회", "진행", "상태", "확인")


HELP_WORDS = frozenset({"도움말", "처음으로", "시작", "메뉴", "안녕", "안녕하세요", "민원 접수", "민원접수"})


@dataclass(frozen=True)
class SkillRequest:
    """What one skill request says, platform-neutral enough for the conversation (skill.py) to act on."""

    user_key: str
    utterance: str
    params: dict[str, str]
    callback_url: str | None
    block: str | None
    photo_urls: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"kakao: {what} is not an object")
    return value


def secure_urls(value: str) -> tuple[str, ...]:
    """The image URLs of a secure-image plugin parameter: a JSON string whose secureUrls is "List(url, ...)"."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload(f"kakao: the photo parameter is not the secure-image plugin's JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("secureUrls"), str):
        raise MalformedPayload("kakao: the photo parameter has no secureUrls")
    listed = data["secureUrls"].strip()
    if listed.startswith("List(") and listed.endswith(")"):
        listed = listed[5:-1]
    return tuple(url.strip() for url in listed.split(",") if url.strip())


def parse_skill(config: Mapping[str, Any], payload: Any) -> SkillRequest:
    """The skill request body → SkillRequest, or MalformedPayload saying what is missing."""
    data = _object(json_body(payload) if isinstance(payload, bytes | str) else payload, "the body")
    request = _object(data.get("userRequest"), "userRequest")
    user = _object(request.get("user"), "userRequest.user")
    user_key = user.get("id")
    if not isinstance(user_key, str) or not user_key:
        raise MalformedPayload("kakao: userRequest.user.id is missing")
    utterance = request.get("utterance")
    if not isinstance(utterance, str):
        raise MalformedPayload("kakao: userRequest.utterance is missing")
    action = _object(data.get("action"), "action")
    params = {str(k): str(v) for k, v in _object(action.get("params") or {}, "action.params").items()}
    photo_param = str(config.get("param_photo") or "photo")
    photos = secure_urls(params[photo_param]) if params.get(photo_param) else ()
    callback = request.get("callbackUrl")
    block = _object(request.get("block") or {}, "userRequest.block").get("name")
    return SkillRequest(
        user_key=user_key,
        utterance=utterance.strip(),
        params=params,
        callback_url=callback if isinstance(callback, str) and callback else None,
        block=str(block) if block else None,
        photo_urls=photos,
        raw={"block": block, "user": user_key, "user_type": user.get("type"), "params": params},
    )


def lookup_number(request: SkillRequest) -> str | None:
    """The case number a status question asks about ("2026-송파-000123 조회"), or None if it is not one."""
    if request.params.get("case_number"):
        match = CASE_NUMBER.search(request.params["case_number"])
        return match.group(1) if match else request.params["case_number"].strip()
    match = CASE_NUMBER.search(request.utterance)
    if match is None:
        return None
    rest = request.utterance.replace(match.group(1), "").strip()
    # A bare number, or a number with a lookup word, is a question; a long text quoting a number is a complaint.
    return match.group(1) if not rest or any(word in rest for word in LOOKUP_WORDS) else None


def is_help(request: SkillRequest, config: Mapping[str, Any]) -> bool:
    """A greeting or menu word with no complaint parameters: answered with the menu, not taken in."""
    what = request.params.get(str(config.get("param_what") or "what"))
    return not what and not request.photo_urls and request.utterance in HELP_WORDS


def external_id(request: SkillRequest) -> str:
    """A stable id for one skill request: Kakao sends none, and a resent request must not open a second case.

    The callback URL is unique per request when present; without one, the same words from the same user on the
    same (Seoul) day are one message.
    """
    day = utcnow().astimezone(SEOUL).date().isoformat()
    basis = json.dumps(
        [request.user_key, request.utterance, request.params, request.callback_url or day],
        ensure_ascii=False,
        sort_keys=True,
    )
    return "kakao:" + hashlib.sha256(basis.encode()).hexdigest()[:40]


def skill_response(
    texts: list[str], *, quick_replies: list[tuple[str, str]] | None = None, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A skill response (version 2.0) of simpleText outputs and message quick replies, within Kakao's limits."""
    outputs = [{"simpleText": {"text": fit(text, TEXT_LIMIT, "")}} for text in texts[:MAX_OUTPUTS]]
    template: dict[str, Any] = {"outputs": outputs}
    if quick_replies:
        template["quickReplies"] = [
            {"label": label[:14], "action": "message", "messageText": message}
            for label, message in quick_replies[:MAX_QUICK_REPLIES]
        ]
    response: dict[str, Any] = {"version": "2.0", "template": template}
    if data:
        response["data"] = data
    return response


def receipt_response(number: str, text: str, *, ask_visibility: bool = False) -> dict[str, Any]:
    """The receipt as a skill response, with a quick reply that asks for the case's status (and, for a private
    case whose citizen was not asked yet, the two answers to 공개/비공개)."""
    choices = [("공개", "공개"), ("비공개 유지", "비공개 유지")] if ask_visibility else []
    return skill_response([text], quick_replies=[("처리 상황 조회", f"{number} 조회"), *choices])


def inbound_message(config: Mapping[str, Any], request: SkillRequest) -> InboundMessage:
    """The complaint in a skill request: what (or the utterance), where, and the photos still to fetch."""
    what = request.params.get(str(config.get("param_what") or "what"))
    where = request.params.get(str(config.get("param_where") or "where")) or None
    return InboundMessage(
        external_id=external_id(request),
        text=what or request.utterance,
        received_at=utcnow(),
        author_handle=request.user_key,
        address=where,
        # The complaint block's slots gather a whole complaint in one request (a case at once, its receipt in
        # the answer); a free utterance or a photo alone is one bubble of a chat, gathered into one case.
        chat=not what,
        # A chat with the district alone: private until the citizen answers the receipt's 공개 question.
        visibility=DEFAULT_PRIVATE,
        raw={
            **request.raw,
            "photo_urls": list(request.photo_urls),
            "callback": request.callback_url is not None,
            VISIBILITY_KEY: DEFAULT_PRIVATE,
        },
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _raise(error: ChannelError) -> str:
    raise error


def push(config: Mapping[str, Any], recipient: str | None, text: str, *, case_number: str = "") -> str:
    """Event API: the bot's event block speaks to one user first; returns Kakao's taskId."""
    if not recipient:
        raise ChannelError("kakao: no botUserKey to send to", permanent=True)
    base = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/")
    bot_id = required(config, "bot_id", "kakao")
    key = required(config, "rest_api_key", "kakao")
    body = {
        "event": {
            "name": str(config.get("event_name") or DEFAULT_EVENT_NAME),
            "data": {"text": text, "case_number": case_number},
        },
        "user": [{"type": "botUserKey", "id": recipient}],
    }
    try:
        response = httpx.post(
            f"{base}/v2/bots/{bot_id}/talk",
            json=body,
            headers={"Authorization": f"KakaoAK {key}"},
            timeout=TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise network_error("kakao", exc) from exc
    data = _json(response)
    detail = data.get("message") or data.get("msg") or response.text[:200]
    reason = f"kakao: HTTP {response.status_code} {data.get('status') or data.get('code') or ''}: {detail}"
    if response.status_code == 429:
        return _raise(
            ChannelError(reason, retry_after=retry_after(response.headers.get("retry-after"), DEFAULT_THROTTLE_SECONDS))
        )
    if response.status_code >= 500 or data.get("status") == "ERROR":
        return _raise(ChannelError(reason))
    if not response.is_success or data.get("status") != "SUCCESS":
        # Bad key, unknown bot or event, a user who blocked the channel: retrying changes nothing.
        return _raise(ChannelError(reason, permanent=True))
    return str(data.get("taskId") or "")


def probe(config: Mapping[str, Any]) -> None:
    """The connection test: an Event API request with the account's key, bot and event block but no user.

    Kakao checks the key, the bot and the event before the users, so the request is refused for its empty user
    list only when everything else is right, and it reaches nobody (nothing is sent, nothing is billed). A 401
    is the key, a 404 the bot id, an unknown event the block's name.
    """
    base = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/")
    bot_id, key = str(config.get("bot_id") or "").strip(), str(config.get("rest_api_key") or "").strip()
    if not key:
        raise ProbeError("channels.probe.kakao.no_key")
    if not bot_id:
        raise ProbeError("channels.probe.kakao.no_bot")
    body = {"event": {"name": str(config.get("event_name") or DEFAULT_EVENT_NAME)}, "user": []}
    try:
        response = httpx.post(
            f"{base}/v2/bots/{bot_id}/talk",
            json=body,
            headers={"Authorization": f"KakaoAK {key}"},
            timeout=TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise ProbeError("channels.probe.unreachable", f"{type(exc).__name__}: {exc}") from exc
    data = _json(response)
    detail = str(data.get("msg") or data.get("message") or response.text[:200])
    if response.status_code == 401:
        raise ProbeError("channels.probe.kakao.bad_key", detail)
    if response.status_code == 404:
        raise ProbeError("channels.probe.kakao.bad_bot", detail)
    if response.status_code == 400 and "event" in detail.lower():
        raise ProbeError("channels.probe.kakao.bad_event", detail)
    if response.status_code == 400 or response.is_success:
        return  # refused for the empty user list alone: the key, the bot and the event are right
    raise ProbeError("channels.probe.failed", f"HTTP {response.status_code}: {detail}")
