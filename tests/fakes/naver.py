"""A faithful fake of the Naver TalkTalk chatbot API for one partner account: the events TalkTalk POSTs to
our webhook (``open``/``leave``/``friend``/``send`` with ``textContent`` or ``imageContent``; no signature,
they come from 117.52.141.192/27) and the send API we call (``POST /chatbot/v1/event`` with the partner
centre's key as the ``Authorization`` header, JSON in UTF-8; errors answered HTTP 200 with
``{"success": false, "resultCode": "01"|"02"|"99", "resultMessage": ...}`` as the API documents)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import Request, Response, jpeg, serve

NAVER_ADDRESS = "117.52.141.200"  # inside the published 117.52.141.192/27
CONTENTS = ("textContent", "imageContent", "compositeContent")
TEXT_LIMIT = 10_000
BUTTON_TYPES = ("TEXT", "LINK", "OPTION", "PAY", "NESTED", "TIME", "CALENDAR")


def _quick_reply_problem(content: dict[str, Any]) -> str | None:
    """Why a content's quick replies are not ones TalkTalk shows: ``quickReply.buttonList`` holds buttons of a
    known ``type`` whose ``data`` has a ``title`` (a TEXT button's ``code`` is what comes back when tapped)."""
    if "quickReply" not in content:
        return None
    buttons = (content["quickReply"] or {}).get("buttonList") if isinstance(content["quickReply"], dict) else None
    if not isinstance(buttons, list) or not buttons:
        return "quickReply.buttonList must be a non-empty list"
    for button in buttons:
        data = button.get("data") if isinstance(button, dict) else None
        if button.get("type") not in BUTTON_TYPES or not isinstance(data, dict):
            return f"bad quick reply button {button!r}"
        if not isinstance(data.get("title"), str) or not data["title"]:
            return "a quick reply button needs data.title"
        if button["type"] == "TEXT" and "code" in data and not isinstance(data["code"], str):
            return "a TEXT button's data.code is a string"
    return None


def _fail(code: str, message: str) -> Response:
    return Response(200, {"success": False, "resultCode": code, "resultMessage": message})


@dataclass
class FakeTalkTalk:
    """송파구청's TalkTalk partner account."""

    authorization: str = "ct_songpa_Pb1AXDQ0RZWuCccpzdNL"
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    busy: bool = False  # answers resultCode 99 (a processing failure on TalkTalk's side)
    down: bool = False  # answers HTTP 503
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ----------------------------------------------------------------- events TalkTalk sends us

    @staticmethod
    def event(name: str, user: str = "al-2eGuGr5WQOnco1_V-FQ", **fields: Any) -> bytes:
        body: dict[str, Any] = {"event": name, "user": user, **fields}
        return json.dumps(body, ensure_ascii=False).encode()

    def text(self, text: str, user: str = "al-2eGuGr5WQOnco1_V-FQ") -> bytes:
        return self.event("send", user, textContent={"text": text, "inputType": "typing"})

    def image(self, url: str, user: str = "al-2eGuGr5WQOnco1_V-FQ") -> bytes:
        return self.event("send", user, imageContent={"imageUrl": url})

    # ----------------------------------------------------------------- the send API

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            if request.method == "GET" and request.path.startswith("/images/"):
                # TalkTalk's image host (talk.pstatic.net): the photo a citizen sent in the chat.
                return Response(200, jpeg(), {"Content-Type": "image/jpeg"})
            if request.method != "POST" or request.path != "/chatbot/v1/event":
                return Response(404, {"success": False, "resultCode": "99", "resultMessage": "not found"})
            if self.down:
                return Response(503, None)
            if request.headers.get("authorization") != self.authorization:
                return _fail("01", "Authorization 정보 에러")
            if not request.headers.get("content-type", "").startswith("application/json"):
                return _fail("02", "request json 문자열 파싱 에러")
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return _fail("02", "request json 문자열 파싱 에러")
            if body.get("event") != "send" or not isinstance(body.get("user"), str):
                return _fail("02", "event and user are required")
            contents = [name for name in CONTENTS if name in body]
            if len(contents) != 1:
                return _fail("02", "exactly one of textContent, imageContent, compositeContent")
            text = (body.get("textContent") or {}).get("text")
            if contents == ["textContent"] and (not isinstance(text, str) or not 0 < len(text) <= TEXT_LIMIT):
                return _fail("02", "textContent.text must be 1-10000 characters")
            problem = _quick_reply_problem(body[contents[0]]) if isinstance(body[contents[0]], dict) else None
            if problem:
                return _fail("02", problem)
            if self.busy:
                return _fail("99", "일시적인 오류")
            self.sent.append(body)
            return Response(200, {"success": True, "resultCode": "00"})


@contextmanager
def running() -> Iterator[FakeTalkTalk]:
    fake = FakeTalkTalk()
    with serve(fake) as base_url:
        fake.base_url = base_url
        yield fake
