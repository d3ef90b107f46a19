"""A KakaoTalk channel sandbox: a chat window, Open Builder's skill requests, callbacks and the Event API.

What the citizen types in the chat window goes to the bot's skill URL as Open Builder sends it (``userRequest``,
``bot``, ``action``, the skill's custom header token, a one-shot ``callbackUrl``); the skill response, a later
callback (one POST per URL within a minute) and Event API pushes (``POST /v2/bots/{botId}/talk`` with
``Authorization: KakaoAK {REST API key}``) appear in the chat as the bot's bubbles. State lives in the process:
a restart empties the chats, as a training tool may.
"""

from __future__ import annotations

import html
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).parent / "static"
CALLBACK_SECONDS = 60  # Kakao takes one POST per callback URL within a minute
SKILL_SECONDS = 5.0  # Open Builder gives up on a skill server after 5 s
TEXT_LIMIT = 1000
USER_TYPES = frozenset({"botUserKey", "plusfriendUserKey", "appUserId"})


@dataclass(frozen=True)
class Bot:
    """One channel's bot as its Open Builder settings name it."""

    bot_id: str
    name: str
    skill_url: str  # where the bot's skill requests go (the product's webhook URL of the account)
    skill_token: str
    rest_api_key: str
    skill_header: str = "X-Sotong-Skill-Token"
    event_names: frozenset[str] = frozenset({"sotong_message"})


@dataclass
class _Callback:
    bot_id: str
    user: str
    created: float
    used: bool = False


@dataclass
class KakaoSandbox:
    """The chats of every bot, by (bot id, user key)."""

    bots: Callable[[], list[Bot]]
    chats: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    callbacks: dict[str, _Callback] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bot(self, bot_id: str) -> Bot | None:
        return next((bot for bot in self.bots() if bot.bot_id == bot_id), None)

    def add(self, bot_id: str, user: str, sender: str, text: str, via: str) -> dict[str, Any]:
        """One bubble in a chat: ``sender`` is "user" or "bot"; ``via`` how it came (skill, callback, event)."""
        with self._lock:
            bubble = {"id": next(self._ids), "from": sender, "text": text, "via": via, "at": time.time()}
            self.chats.setdefault((bot_id, user), []).append(bubble)
            return bubble

    def chat(self, bot_id: str, user: str, after: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(b) for b in self.chats.get((bot_id, user), []) if b["id"] > after]

    def skill_request(self, bot: Bot, user: str, utterance: str, *, callback_base: str) -> dict[str, Any]:
        """The body Open Builder POSTs to the skill, with a fresh callback URL of this sandbox."""
        token = uuid.uuid4().hex
        with self._lock:
            self.callbacks[token] = _Callback(bot_id=bot.bot_id, user=user, created=time.monotonic())
        return {
            "intent": {"id": "int-complaint", "name": "민원 접수"},
            "userRequest": {
                "timezone": "Asia/Seoul",
                "block": {"id": "blk-complaint", "name": "민원 접수"},
                "utterance": utterance,
                "lang": "ko",
                "user": {"id": user, "type": "botUserKey", "properties": {"botUserKey": user, "isFriend": True}},
                "params": {"surface": "Kakaotalk.plusfriend"},
                "callbackUrl": f"{callback_base}/callback/{token}",
            },
            "bot": {"id": bot.bot_id, "name": bot.name},
            "action": {"id": "skill-sotong", "name": "sotong", "params": {}, "detailParams": {}, "clientExtra": {}},
            "contexts": [],
        }

    def say(self, bot: Bot, user: str, utterance: str, *, callback_base: str) -> None:
        """The citizen's bubble, sent to the skill; its answer (or its wait for a callback) shown in the chat."""
        self.add(bot.bot_id, user, "user", utterance, "user")
        body = self.skill_request(bot, user, utterance, callback_base=callback_base)
        try:
            response = httpx.post(
                bot.skill_url, json=body, headers={bot.skill_header: bot.skill_token}, timeout=SKILL_SECONDS
            )
        except httpx.HTTPError as exc:
            self.add(bot.bot_id, user, "system", f"스킬 서버에 닿지 못했습니다 ({type(exc).__name__})", "error")
            return
        try:
            answer = response.json()
        except ValueError:
            answer = None
        problem = skill_response_problem(answer, callback=True) if response.is_success else None
        if not response.is_success or problem:
            detail = problem or f"HTTP {response.status_code}"
            self.add(bot.bot_id, user, "system", f"스킬 서버의 응답을 보일 수 없습니다: {detail}", "error")
            return
        if answer.get("useCallback"):
            waiting = (answer.get("data") or {}).get("text") or "잠시만 기다려 주세요."
            self.add(bot.bot_id, user, "bot", str(waiting), "skill")
            return
        self._show(bot.bot_id, user, answer, "skill")

    def _show(self, bot_id: str, user: str, answer: dict[str, Any], via: str) -> None:
        for output in answer["template"]["outputs"]:
            self.add(bot_id, user, "bot", output["simpleText"]["text"], via)

    def callback(self, token: str, answer: Any) -> tuple[int, dict[str, Any]]:
        """A POST to a callback URL: shown once, within the minute, if it is a skill response Kakao shows."""
        with self._lock:
            callback = self.callbacks.get(token)
            if callback is None:
                return 400, {"status": "FAIL", "message": "invalid callback token"}
            if callback.used:
                return 400, {"status": "FAIL", "message": "callback already used"}
            if time.monotonic() - callback.created > CALLBACK_SECONDS:
                return 400, {"status": "FAIL", "message": "callback expired"}
            problem = skill_response_problem(answer)
            if problem:
                return 400, {"status": "FAIL", "message": problem}
            callback.used = True
        self._show(callback.bot_id, callback.user, answer, "callback")
        return 200, {"taskId": uuid.uuid4().hex, "status": "SUCCESS", "message": "", "timestamp": 0}

    def event(self, bot_id: str, authorization: str | None, body: Any) -> tuple[int, dict[str, Any]]:
        """The Event API: the bot's event block speaks first to 1-100 users, showing ``event.data.text``."""
        bot = self.bot(bot_id)
        if bot is None:
            return 404, {"code": -404, "msg": "bot not found"}
        if authorization != f"KakaoAK {bot.rest_api_key}":
            return 401, {"code": -401, "msg": "wrong appKey format or unregistered appKey"}
        event, users = (body.get("event"), body.get("user")) if isinstance(body, dict) else (None, None)
        if not isinstance(event, dict) or event.get("name") not in bot.event_names:
            return 400, {"code": -2, "msg": f"unknown event {event!r}"}
        # Kakao checks the key, the bot and the event, then the users; what the event block shows comes last.
        if not isinstance(users, list) or not 1 <= len(users) <= 100:
            return 400, {"code": -2, "msg": "user must list 1-100 users"}
        for user in users:
            if not isinstance(user, dict) or user.get("type") not in USER_TYPES or not isinstance(user.get("id"), str):
                return 400, {"code": -2, "msg": f"bad user {user!r}"}
        text = (event.get("data") or {}).get("text")
        if not isinstance(text, str) or not 0 < len(text) <= TEXT_LIMIT:
            return 400, {"code": -2, "msg": "data.text (shown by the event block) must be 1-1000 characters"}
        for user in users:
            self.add(bot_id, user["id"], "bot", text, "event")
        return 200, {"taskId": uuid.uuid4().hex, "status": "SUCCESS", "message": "", "timestamp": 0}


def skill_response_problem(body: Any, *, callback: bool = False) -> str | None:
    """Why a skill response is not one Kakao shows (None when it is); ``useCallback`` only where allowed."""
    if not isinstance(body, dict) or body.get("version") != "2.0":
        return "version must be 2.0"
    if callback and body.get("useCallback") is True:
        return None
    template = body.get("template")
    if not isinstance(template, dict):
        return "template missing"
    outputs = template.get("outputs")
    if not isinstance(outputs, list) or not 1 <= len(outputs) <= 3:
        return "outputs must hold 1-3 items"
    for output in outputs:
        text = (output.get("simpleText") or {}).get("text") if isinstance(output, dict) else None
        if not isinstance(text, str) or not 0 < len(text) <= TEXT_LIMIT:
            return "simpleText.text must be 1-1000 characters"
    replies = template.get("quickReplies") or []
    if not isinstance(replies, list) or len(replies) > 10:
        return "at most 10 quickReplies"
    return None


PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="{root}/static/sandbox.css"></head>
<body><main class="sandbox">{body}</main>{script}</body></html>"""


def _page(title: str, body: str, *, root: str, script: str = "") -> HTMLResponse:
    tag = f'<script src="{root}/static/{script}" defer></script>' if script else ""
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body, root=root, script=tag))


def create_app(bots: Callable[[], list[Bot]]) -> Starlette:
    """The sandbox as an ASGI app, to mount at a path (its pages and its API answer under it)."""
    sandbox = KakaoSandbox(bots=bots)

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def absolute(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}{root(request)}"

    def index(request: Request) -> Response:
        links = "".join(
            f'<li><a href="{root(request)}/{html.escape(bot.bot_id)}/">{html.escape(bot.name)}</a></li>'
            for bot in sandbox.bots()
        )
        body = (
            '<p class="sandbox-badge">연습용(샌드박스)</p><h1>카카오톡 채널 연습장</h1>'
            "<p>실제 카카오톡 대신 이 컴퓨터 안에서 돌아가는 연습용 채널입니다. 채널을 골라 민원을 보내 보세요.</p>"
            + (f"<ul>{links}</ul>" if links else "<p>연습용 카카오톡 채널 계정이 없습니다.</p>")
        )
        return _page("카카오톡 채널 연습장", body, root=root(request))

    def chat_page(request: Request) -> Response:
        bot = sandbox.bot(request.path_params["bot_id"])
        if bot is None:
            return _page("찾을 수 없음", "<h1>그런 채널이 없습니다.</h1>", root=root(request))
        name = html.escape(bot.name)
        body = (
            f'<p class="sandbox-badge">연습용(샌드박스)</p><h1>{name}</h1>'
            f'<section class="chat" data-chat data-base="{root(request)}/{html.escape(bot.bot_id)}">'
            '<ol class="bubbles" data-bubbles aria-live="polite"></ol>'
            '<form class="composer" data-composer><label for="say" class="visually-hidden">메시지</label>'
            '<textarea id="say" name="text" rows="2" placeholder="민원 내용을 입력하세요" required></textarea>'
            '<button type="submit">보내기</button></form></section>'
            '<p class="hint">보낸 메시지는 소통의 민원함에 도착합니다. 직원이 답변하면 이 창에 나타납니다.</p>'
        )
        return _page(f"{bot.name} - 카카오톡 연습장", body, root=root(request), script="kakao.js")

    async def say(request: Request) -> Response:
        bot = sandbox.bot(request.path_params["bot_id"])
        if bot is None:
            return JSONResponse({"error": "그런 채널이 없습니다."}, status_code=404)
        data = await request.json()
        user, text = str(data.get("user") or ""), str(data.get("text") or "").strip()
        if not user or not text:
            return JSONResponse({"error": "보낼 내용이 없습니다."}, status_code=400)
        base = absolute(request)
        # The skill server may be this very process: the request waits in a thread, not in the event loop.
        await run_in_threadpool(sandbox.say, bot, user, text[:TEXT_LIMIT], callback_base=base)
        return JSONResponse({"bubbles": sandbox.chat(bot.bot_id, user)})

    def messages(request: Request) -> Response:
        user = request.query_params.get("user", "")
        after = request.query_params.get("after", "")
        after_id = int(after) if after.isdigit() else 0
        return JSONResponse({"bubbles": sandbox.chat(request.path_params["bot_id"], user, after_id)})

    async def callback(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"status": "FAIL", "message": "invalid json"}, status_code=400)
        status, answer = sandbox.callback(request.path_params["token"], body)
        return JSONResponse(answer, status_code=status)

    async def talk(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"code": -2, "msg": "invalid json"}, status_code=400)
        status, answer = sandbox.event(request.path_params["bot_id"], request.headers.get("authorization"), body)
        return JSONResponse(answer, status_code=status)

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in {"kakao.js", "sandbox.css"}:
            return Response(status_code=404)
        return FileResponse(STATIC / name)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", static),
            Route("/callback/{token}", callback, methods=["POST"]),
            Route("/v2/bots/{bot_id}/talk", talk, methods=["POST"]),
            Route("/{bot_id}/", chat_page),
            Route("/{bot_id}/say", say, methods=["POST"]),
            Route("/{bot_id}/messages", messages),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["Bot", "KakaoSandbox", "create_app", "skill_response_problem"]
