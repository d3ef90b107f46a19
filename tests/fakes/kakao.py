"""A faithful fake of Kakao i Open Builder around one bot: the skill requests it POSTs to our skill server
(userRequest/bot/action, the custom header token configured for the skill, a one-shot callbackUrl), the
secure-image CDN (URLs as real payloads carry them, ``http://secure.kakaocdn.net/dna/...?credential=...&expires=...``,
served over plain http as the real CDN serves them: the fake answers as the HTTP proxy the product reaches that host
through in tests; the URLs expire), the callback endpoint (one POST per URL within one minute, the skill
response checked: version 2.0, at most 3 outputs and 10 quick replies, simpleText at most 1,000 characters)
and the Event API (``POST /v2/bots/{botId}/talk`` with ``Authorization: KakaoAK {REST API key}``, a known
event name, 1-100 users; Kakao's error bodies ``{"code": -401, "msg": ...}``, 429 with Retry-After, and
``status: FAIL`` for a user who blocked the channel)."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.server import Request, Response, serve

# Intake sniffs the signature, as it would for any upload.
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 120
# The host real secure-image URLs name, over http (public captures 2018-2024).
CDN_HOST = "secure.kakaocdn.net"
CALLBACK_SECONDS = 60
USER_TYPES = frozenset({"botUserKey", "plusfriendUserKey", "appUserId"})


@dataclass
class Callback:
    token: str
    created: float
    body: dict[str, Any] | None = None


@dataclass
class FakeKakao:
    """송파구청's KakaoTalk channel bot on Open Builder."""

    bot_id: str = "64f1c0ffee5a1b2c3d4e5f60"
    rest_api_key: str = "kakao-rest-api-key-7a1c"
    skill_token: str = "songpa-skill-token-31d9"
    event_names: frozenset[str] = frozenset({"sotong_message"})
    base_url: str = ""  # the Event API and callback host
    cdn_url: str = ""  # the secure-image CDN, as the HTTP proxy to reach http://secure.kakaocdn.net through
    requests: list[Request] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    callbacks: dict[str, Callback] = field(default_factory=dict)
    blocked_users: set[str] = field(default_factory=set)
    throttled: bool = False
    images: dict[str, bytes] = field(default_factory=dict)
    image_delay: float = 0.0
    expired_images: set[str] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ----------------------------------------------------------------- skill requests Kakao sends us

    def photo(self, data: bytes = PHOTO) -> str:
        """A photo uploaded through the secure-image plugin; returns its (short-lived) URL, as Kakao writes it."""
        name = f"dna/{uuid.uuid4().hex[:6]}/{uuid.uuid4().hex}/img.jpg"
        self.images[name] = data
        return f"http://{CDN_HOST}/{name}?credential={uuid.uuid4().hex}&expires={int(time.time()) + 600}"

    def expire(self, url: str) -> None:
        """The photo's URL has expired (they last minutes)."""
        self.expired_images.add(urlsplit(url).path.lstrip("/"))

    @staticmethod
    def secure_image_param(urls: list[str]) -> str:
        """What action.params.<photo> holds: a JSON string with secureUrls as "List(url, url)"."""
        return json.dumps({"privacy": "SECURE", "secureUrls": f"List({', '.join(urls)})", "expire": "10m"})

    def skill_request(
        self,
        utterance: str,
        *,
        user: str = "a1b2c3d4e5f6botuser",
        params: dict[str, str] | None = None,
        callback: bool = True,
        block: str = "민원 접수",
    ) -> tuple[bytes, dict[str, str]]:
        """A skill request body and the headers Open Builder sends with it (the skill's custom header)."""
        user_request: dict[str, Any] = {
            "timezone": "Asia/Seoul",
            "block": {"id": "blk-complaint", "name": block},
            "utterance": utterance,
            "lang": "ko",
            "user": {"id": user, "type": "botUserKey", "properties": {"botUserKey": user, "isFriend": True}},
            "params": {"surface": "Kakaotalk.plusfriend"},
        }
        if callback:
            token = uuid.uuid4().hex
            self.callbacks[token] = Callback(token=token, created=time.monotonic())
            user_request["callbackUrl"] = f"{self.base_url}/callback/{token}"
        params = params or {}
        body = {
            "intent": {"id": "int-complaint", "name": block},
            "userRequest": user_request,
            "bot": {"id": self.bot_id, "name": "송파구청"},
            "action": {
                "id": "skill-sotong",
                "name": "sotong",
                "params": params,
                "detailParams": {k: {"origin": v, "value": v, "groupName": ""} for k, v in params.items()},
                "clientExtra": {},
            },
            "contexts": [],
        }
        headers = {"Content-Type": "application/json", "X-Sotong-Skill-Token": self.skill_token}
        return json.dumps(body, ensure_ascii=False).encode(), headers

    def callback_bodies(self) -> list[dict[str, Any]]:
        return [c.body for c in self.callbacks.values() if c.body is not None]

    # ----------------------------------------------------------------- the API we call

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            if request.method == "POST" and request.path.startswith("/callback/"):
                return self._callback(request.path.removeprefix("/callback/"), request)
            if request.method == "POST" and request.path == f"/v2/bots/{self.bot_id}/talk":
                return self._event(request)
            if request.method == "POST" and request.path.startswith("/v2/bots/"):
                return Response(404, {"code": -404, "msg": "bot not found"})
            return Response(404, {"code": -404, "msg": "not found"})

    def _callback(self, token: str, request: Request) -> Response:
        callback = self.callbacks.get(token)
        if callback is None:
            return Response(400, {"status": "FAIL", "message": "invalid callback token"})
        if callback.body is not None:
            return Response(400, {"status": "FAIL", "message": "callback already used"})
        if time.monotonic() - callback.created > CALLBACK_SECONDS:
            return Response(400, {"status": "FAIL", "message": "callback expired"})
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"status": "FAIL", "message": "invalid json"})
        problem = skill_response_problem(body)
        if problem:
            return Response(400, {"status": "FAIL", "message": problem})
        callback.body = body
        return Response(200, {"taskId": uuid.uuid4().hex, "status": "SUCCESS", "message": "", "timestamp": 0})

    def _event(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"KakaoAK {self.rest_api_key}":
            return Response(401, {"code": -401, "msg": "wrong appKey format or unregistered appKey"})
        if self.throttled:
            return Response(429, {"code": -10, "msg": "API limit has been exceeded."}, {"Retry-After": "30"})
        try:
            body = request.json()
        except ValueError:
            return Response(400, {"code": -2, "msg": "invalid json"})
        event, users = body.get("event"), body.get("user")
        if not isinstance(event, dict) or event.get("name") not in self.event_names:
            return Response(400, {"code": -2, "msg": f"unknown event {event!r}"})
        if not isinstance(users, list) or not 1 <= len(users) <= 100:
            return Response(400, {"code": -2, "msg": "user must list 1-100 users"})
        for user in users:
            if not isinstance(user, dict) or user.get("type") not in USER_TYPES or not isinstance(user.get("id"), str):
                return Response(400, {"code": -2, "msg": f"bad user {user!r}"})
        task = f"task-{next(self._ids)}"
        if any(user["id"] in self.blocked_users for user in users):
            return Response(200, {"taskId": task, "status": "FAIL", "message": "user blocked the channel"})
        self.events.append({"taskId": task, **body})
        return Response(200, {"taskId": task, "status": "SUCCESS", "message": "", "timestamp": 0})


def skill_response_problem(body: Any) -> str | None:
    """Why a skill response is not one Kakao shows (None when it is)."""
    if not isinstance(body, dict) or body.get("version") != "2.0":
        return "version must be 2.0"
    template = body.get("template")
    if not isinstance(template, dict):
        return "template missing"
    outputs = template.get("outputs")
    if not isinstance(outputs, list) or not 1 <= len(outputs) <= 3:
        return "outputs must hold 1-3 items"
    for output in outputs:
        text = (output.get("simpleText") or {}).get("text") if isinstance(output, dict) else None
        if not isinstance(text, str) or not 0 < len(text) <= 1000:
            return "simpleText.text must be 1-1000 characters"
    replies = template.get("quickReplies") or []
    if len(replies) > 10:
        return "at most 10 quickReplies"
    for reply in replies:
        if reply.get("action") not in ("message", "block") or not reply.get("label"):
            return f"bad quick reply {reply!r}"
    return None


@contextmanager
def _serve_images(fake: FakeKakao) -> Iterator[str]:
    """The secure-image CDN over http: raw JPEG bytes (the JSON fake server cannot send those), optionally slow.

    Reached as an HTTP proxy (the request line names the absolute URL, ``GET http://secure.kakaocdn.net/dna/...``):
    a request for any other host, or not in proxy form, is refused.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            target = urlsplit(self.path)
            if target.scheme != "http" or target.hostname != CDN_HOST:
                self.send_error(502, "only http://secure.kakaocdn.net is served here")
                return
            name = target.path.lstrip("/")
            if fake.image_delay:
                time.sleep(fake.image_delay)
            data = fake.images.get(name) if name not in fake.expired_images else None
            status, payload, kind = (200, data, "image/jpeg") if data else (403, b"expired", "text/plain")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def running() -> Iterator[FakeKakao]:
    """A fake Kakao (Event API and callbacks) and its image CDN on free local ports."""
    fake = FakeKakao()
    with serve(fake) as base_url, _serve_images(fake) as cdn_url:
        fake.base_url, fake.cdn_url = base_url, cdn_url
        yield fake
