"""A Naver TalkTalk sandbox: a chat window whose messages go to the partner's webhook as TalkTalk sends them, and
the send API the product answers through.

Quick-reply buttons the product sends (``textContent.quickReply.buttonList``) appear under its bubble; a press is
sent back as TalkTalk sends it, a ``send`` event whose ``textContent`` has the button's title and code.

A citizen's bubble is POSTed to the account's webhook URL as a ``send`` event (``{"event": "send", "user",
"textContent": {"text", "inputType": "typing"}}``; TalkTalk signs nothing, it calls from its own addresses). The
product pushes receipts and answers with ``POST /chatbot/v1/event`` and ``Authorization: <the send-API key>``;
TalkTalk answers HTTP 200 with ``success`` and a ``resultCode`` (00 done, 01 a bad key, 02 a bad request). State
lives in the process.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sotong_sandbox import common

TEXT_LIMIT = 10_000
BUTTON_TYPES = ("TEXT", "LINK", "OPTION", "PAY", "NESTED", "TIME", "CALENDAR")
WEBHOOK_SECONDS = 30.0  # TalkTalk waits 5 s; more here, as a fresh app loads its models on the first intake


@dataclass(frozen=True)
class Partner:
    """A TalkTalk partner account: its chat's name, its webhook URL and its send-API key."""

    key: str  # how the sandbox's pages name it (the product's account id)
    name: str
    webhook_url: str
    authorization: str


def result(code: str, message: str = "") -> JSONResponse:
    return JSONResponse({"success": code == "00", "resultCode": code, "resultMessage": message})


@dataclass
class TalkTalkSandbox:
    partners: Callable[[], list[Partner]]
    chats: common.Chats = field(default_factory=common.Chats)

    def partner(self, key: str) -> Partner | None:
        return next((p for p in self.partners() if p.key == key), None)

    def say(self, partner: Partner, user: str, text: str, code: str = "") -> None:
        """The citizen's bubble, delivered to the partner's webhook as a send event (a quick-reply button's press
        carries the button's code beside its title)."""
        self.chats.add(partner.key, user, "user", text, "user")
        content = {"text": text, "code": code, "inputType": "button"} if code else {"text": text, "inputType": "typing"}
        event = {"event": "send", "user": user, "textContent": content}
        try:
            response = httpx.post(
                partner.webhook_url,
                content=json.dumps(event, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json;charset=UTF-8"},
                timeout=WEBHOOK_SECONDS,
            )
        except httpx.HTTPError as exc:
            self.chats.add(partner.key, user, "system", f"웹훅 주소에 닿지 못했습니다 ({type(exc).__name__})", "error")
            return
        if not response.is_success:
            self.chats.add(partner.key, user, "system", f"웹훅이 거절되었습니다: HTTP {response.status_code}", "error")

    def event(self, authorization: str | None, body: Any) -> JSONResponse:
        """The send API: one send event to one user of the partner whose key it carries."""
        partner = next((p for p in self.partners() if authorization and authorization == p.authorization), None)
        if partner is None:
            return result("01", "Authorization 헤더가 유효하지 않습니다.")
        if not isinstance(body, dict) or body.get("event") != "send":
            return result("02", "event가 올바르지 않습니다.")
        user, text = body.get("user"), (body.get("textContent") or {}).get("text")
        if not isinstance(user, str) or not user:
            return result("02", "user가 없습니다.")
        if not isinstance(text, str) or not 0 < len(text) <= TEXT_LIMIT:
            return result("02", "textContent.text는 1-10,000자입니다.")
        buttons = quick_replies(body["textContent"])
        if isinstance(buttons, str):
            return result("02", buttons)
        self.chats.add(partner.key, user, "bot", text, "send", buttons)
        return result("00")


def quick_replies(content: dict[str, Any]) -> list[dict[str, str]] | str:
    """The quick-reply buttons of a content as the chat shows them, or why TalkTalk would refuse them:
    ``quickReply.buttonList`` holds buttons of a known ``type`` whose ``data`` has a ``title`` (and, for a TEXT
    button, the ``code`` that comes back when it is pressed)."""
    if "quickReply" not in content:
        return []
    reply = content["quickReply"]
    buttons = reply.get("buttonList") if isinstance(reply, dict) else None
    if not isinstance(buttons, list) or not buttons:
        return "quickReply.buttonList must be a non-empty list"
    shown = []
    for button in buttons:
        data = button.get("data") if isinstance(button, dict) else None
        if not isinstance(data, dict) or button.get("type") not in BUTTON_TYPES:
            return f"bad quick reply button {button!r}"
        if not isinstance(data.get("title"), str) or not data["title"]:
            return "a quick reply button needs data.title"
        if "code" in data and not isinstance(data["code"], str):
            return "a button's data.code is a string"
        shown.append({"title": data["title"], "code": str(data.get("code") or "")})
    return shown


def create_app(partners: Callable[[], list[Partner]]) -> Starlette:
    """The sandbox as an ASGI app, to mount at a path (its pages and its send API answer under it)."""
    sandbox = TalkTalkSandbox(partners=partners)

    def index(request: Request) -> Response:
        base = common.root(request)
        links = "".join(
            f'<li><a href="{base}/{html.escape(p.key)}/">{html.escape(p.name)}</a></li>' for p in sandbox.partners()
        )
        body = (
            f"{common.BADGE}<h1>네이버 톡톡 연습장</h1>"
            "<p>실제 네이버 톡톡 대신 이 컴퓨터 안에서 돌아가는 연습용 채팅입니다. 계정을 골라 민원을 보내 보세요.</p>"
            + (f"<ul>{links}</ul>" if links else "<p>연습용 네이버 톡톡 계정이 없습니다.</p>")
        )
        return common.page("네이버 톡톡 연습장", body, root=base)

    def chat_page(request: Request) -> Response:
        partner = sandbox.partner(request.path_params["key"])
        base = common.root(request)
        if partner is None:
            return common.page("찾을 수 없음", "<h1>그런 톡톡 계정이 없습니다.</h1>", root=base)
        body = f"{common.BADGE}<h1>{html.escape(partner.name)}</h1>" + common.chat_window(
            base=f"{base}/{partner.key}",
            storage="naver-user",
            new_user="sandbox-********",
            theme="talktalk",
            hint="보낸 메시지는 소통의 민원함에 도착합니다. 직원이 답변하면 이 창에 나타납니다.",
        )
        return common.page(f"{partner.name} - 네이버 톡톡 연습장", body, root=base, script="chat.js")

    async def say(request: Request) -> Response:
        partner = sandbox.partner(request.path_params["key"])
        if partner is None:
            return JSONResponse({"error": "그런 톡톡 계정이 없습니다."}, status_code=404)
        data = await request.json()
        user, text = str(data.get("user") or ""), str(data.get("text") or "").strip()
        if not user or not text:
            return JSONResponse({"error": "보낼 내용이 없습니다."}, status_code=400)
        # The webhook may be this very process: the delivery waits in a thread, not in the event loop.
        await run_in_threadpool(sandbox.say, partner, user, text[:TEXT_LIMIT], str(data.get("code") or ""))
        return JSONResponse({"bubbles": sandbox.chats.chat(partner.key, user)})

    def messages(request: Request) -> Response:
        user = request.query_params.get("user", "")
        return JSONResponse({"bubbles": sandbox.chats.chat(request.path_params["key"], user, common.after_id(request))})

    async def event(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return result("02", "JSON 형식이 아닙니다.")
        return sandbox.event(request.headers.get("authorization"), body)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", common.static_files("chat.js")),
            Route("/chatbot/v1/event", event, methods=["POST"]),
            Route("/{key}/", chat_page),
            Route("/{key}/say", say, methods=["POST"]),
            Route("/{key}/messages", messages),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["Partner", "TalkTalkSandbox", "create_app"]
