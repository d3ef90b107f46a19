"""A Facebook Page sandbox: the Page's notice post with its comments, a Messenger chat, the Page webhook and the
Graph API calls the product makes.

A citizen's comment is delivered to the Page's webhook as Meta delivers it (``object: page``, a ``feed`` change,
``X-Hub-Signature-256``: hex HMAC-SHA256 of the raw body with the app secret); a Messenger message as a
``messaging`` event. The product answers through the Graph API under ``/graph/v21.0``: ``POST /{comment-id}/comments``
(a reply to a reply lands under the top-level comment, Facebook threads being two levels deep), ``GET /{id}?fields=
parent{id}`` and ``GET /{id}/comments`` with cursors (its read-back before a retry), ``POST /{page-id}/messages``
(Messenger's ``RESPONSE`` within 24 hours of the citizen's last message, ``HUMAN_AGENT`` up to 7 days) and ``GET
/{page-id}`` with the Page token. Graph's errors come as ``{"error": {"message", "type", "code", ...}}``. State
lives in the process: a restart empties the Page, as a training tool may.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import threading
import time
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

GRAPH = "/graph/v21.0"
WEBHOOK_SECONDS = 30.0  # Meta waits about 20 s; more here, as a fresh app loads its models on the first intake
COMMENT_LIMIT = 8000
MESSENGER_LIMIT = 2000
DAY = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * DAY


@dataclass(frozen=True)
class Page:
    """A Facebook Page and its app's settings, as the product's account has them."""

    page_id: str
    name: str
    access_token: str  # the Page access token the product calls Graph with
    app_secret: str  # signs the webhook deliveries
    webhook_url: str  # the app's callback URL for this Page


def graph_error(status: int, message: str, code: int, subcode: int | None = None, kind: str = "OAuthException") -> Any:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "sandbox"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class FacebookSandbox:
    """Every Page's notice post and comments, and every Messenger chat."""

    pages: Callable[[], list[Page]]
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    chats: common.Chats = field(default_factory=common.Chats)
    last_message_at: dict[tuple[str, str], float] = field(default_factory=dict)  # (page, visitor) → time
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages() if p.page_id == page_id), None)

    def post_id(self, page: Page) -> str:
        """The Page's notice post citizens comment under ("<page>_<post>", as Graph names posts)."""
        return f"{page.page_id}_1"

    def deliver(self, page: Page, entry: dict[str, Any]) -> str | None:
        """POST one webhook delivery to the Page's callback URL, signed; why it failed, if it did."""
        body = json.dumps({"object": "page", "entry": [entry]}, ensure_ascii=False).encode()
        try:
            response = httpx.post(
                page.webhook_url,
                content=body,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature(page.app_secret, body)},
                timeout=WEBHOOK_SECONDS,
            )
        except httpx.HTTPError as exc:
            return f"웹훅 주소에 닿지 못했습니다 ({type(exc).__name__})"
        return None if response.is_success else f"웹훅이 거절되었습니다: HTTP {response.status_code}"

    # ----------------------------------------------------------------- the citizen's side

    def comment(self, page: Page, visitor: dict[str, str], text: str, parent_id: str | None) -> dict[str, Any]:
        """A visitor's comment on the notice post (or under a comment); its feed change sent to the webhook."""
        post_id = self.post_id(page)
        with self._lock:
            comment_id = f"{post_id.split('_')[1]}_{next(self._ids)}"
            comment = {
                "id": comment_id,
                "page_id": page.page_id,
                "post_id": post_id,
                "parent_id": parent_id,
                "from": visitor,
                "message": text,
                "created_time": int(time.time()),
            }
            self.comments[comment_id] = comment
        value = {
            "item": "comment",
            "verb": "add",
            "comment_id": comment_id,
            "post_id": post_id,
            "parent_id": parent_id or post_id,
            "from": visitor,
            "message": text,
            "created_time": comment["created_time"],
        }
        entry = {"id": page.page_id, "time": comment["created_time"], "changes": [{"field": "feed", "value": value}]}
        comment["problem"] = self.deliver(page, entry)
        return comment

    def message(self, page: Page, visitor: str, text: str) -> None:
        """A Messenger message from a visitor (page-scoped id) to the Page, sent to the webhook."""
        now = time.time()
        with self._lock:
            mid = f"m_sandbox{next(self._ids)}"
            self.last_message_at[(page.page_id, visitor)] = now
        self.chats.add(page.page_id, visitor, "user", text, "user")
        event = {
            "sender": {"id": visitor},
            "recipient": {"id": page.page_id},
            "timestamp": int(now * 1000),
            "message": {"mid": mid, "text": text},
        }
        problem = self.deliver(page, {"id": page.page_id, "time": int(now * 1000), "messaging": [event]})
        if problem:
            self.chats.add(page.page_id, visitor, "system", problem, "error")

    def timeline(self, page: Page) -> list[dict[str, Any]]:
        """The notice post's comments, each followed by its replies, oldest first."""
        with self._lock:
            mine = [c for c in self.comments.values() if c["page_id"] == page.page_id]
        top = [c for c in mine if not c["parent_id"]]
        found: list[dict[str, Any]] = []
        for comment in top:
            for item in [comment, *(c for c in mine if c["parent_id"] == comment["id"])]:
                found.append(
                    {
                        "id": item["id"],
                        "who": item["from"]["name"],
                        "text": item["message"],
                        "reply": bool(item["parent_id"]),
                        "problem": item.get("problem"),
                    }
                )
        return found

    # ----------------------------------------------------------------- Graph

    def caller(self, request: Request) -> Page | None:
        """The Page whose token the request carries; none when its appsecret_proof (checked whenever given, as
        Graph does) is not the token's HMAC-SHA256 with the app secret."""
        token = request.query_params.get("access_token") or request.headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        page = next((p for p in self.pages() if token and token == p.access_token), None)
        proof = request.query_params.get("appsecret_proof")
        if page is not None and proof:
            expected = hmac.new(page.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, expected):
                request.state.bad_proof = True
                return None
        return page

    def reply(self, page: Page, target: str, text: str) -> Any:
        parent = self.comments.get(target)
        if target == self.post_id(page):
            parent_id = None
        elif parent is None or parent["page_id"] != page.page_id:
            return graph_error(
                400,
                f"Unsupported post request. Object with ID '{target}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation.",
                100,
                33,
                "GraphMethodException",
            )
        else:
            parent_id = parent["parent_id"] or parent["id"]  # two levels deep: a reply to a reply joins the thread
        if not text or len(text) > COMMENT_LIMIT:
            return graph_error(400, "(#100) The message must be 1-8000 characters.", 100)
        with self._lock:
            comment_id = f"1_{next(self._ids)}"
            self.comments[comment_id] = {
                "id": comment_id,
                "page_id": page.page_id,
                "post_id": self.post_id(page),
                "parent_id": parent_id,
                "from": {"id": page.page_id, "name": page.name},
                "message": text,
                "created_time": int(time.time()),
            }
        return JSONResponse({"id": comment_id})

    def send_message(self, page: Page, body: Any) -> Any:
        if not isinstance(body, dict):
            return graph_error(400, "(#100) Invalid JSON", 100)
        recipient = str((body.get("recipient") or {}).get("id") or "")
        text = (body.get("message") or {}).get("text")
        if not recipient or not isinstance(text, str) or not 0 < len(text) <= MESSENGER_LIMIT:
            return graph_error(400, "(#100) The parameter message[text] must be 1-2000 characters.", 100)
        last = self.last_message_at.get((page.page_id, recipient))
        if last is None:
            return graph_error(400, "(#100) No matching user found", 100, 2018001)
        age = time.time() - last
        kind, tag = body.get("messaging_type"), body.get("tag")
        window = HUMAN_AGENT_SECONDS if kind == "MESSAGE_TAG" and tag == "HUMAN_AGENT" else DAY
        if age > window:
            return graph_error(
                400, "(#10) This message is sent outside of allowed window.", 10, 2018278, "OAuthException"
            )
        if kind not in ("RESPONSE", "MESSAGE_TAG", "UPDATE"):
            return graph_error(400, "(#100) Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG", 100)
        with self._lock:
            mid = f"m_sandbox{next(self._ids)}"
        self.chats.add(page.page_id, recipient, "bot", text, "messenger")
        return JSONResponse({"recipient_id": recipient, "message_id": mid})

    def comments_of(self, object_id: str, query: dict[str, str]) -> Any:
        with self._lock:
            found = [c for c in self.comments.values() if c["parent_id"] == object_id]
        if query.get("order") == "reverse_chronological":
            found.reverse()
        size = int(query.get("limit", "25")) if query.get("limit", "25").isdigit() else 25
        start = int(query.get("after", "0")) if query.get("after", "0").isdigit() else 0
        page = found[start : start + size]
        body: dict[str, Any] = {
            "data": [{"id": c["id"], "from": c["from"], "message": c["message"]} for c in page],
            "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}},
        }
        if start + size < len(found):
            body["paging"]["next"] = f"sandbox://comments/{object_id}?after={start + size}"
        return JSONResponse(body)


def create_app(pages: Callable[[], list[Page]]) -> Starlette:
    """The sandbox as an ASGI app, to mount at a path (its pages and its Graph API answer under it)."""
    sandbox = FacebookSandbox(pages=pages)

    def index(request: Request) -> Response:
        base = common.root(request)
        links = "".join(
            f'<li>{html.escape(p.name)}: <a href="{base}/{html.escape(p.page_id)}/">게시물 댓글</a> · '
            f'<a href="{base}/{html.escape(p.page_id)}/messenger/">메신저</a></li>'
            for p in sandbox.pages()
        )
        body = (
            f"{common.BADGE}<h1>페이스북 페이지 연습장</h1>"
            "<p>실제 페이스북 대신 이 컴퓨터 안에서 돌아가는 연습용 페이지입니다. 페이지를 골라 게시물에 댓글을 달거나 "
            "메신저로 민원을 보내 보세요.</p>"
            + (f"<ul>{links}</ul>" if links else "<p>연습용 페이스북 페이지 계정이 없습니다.</p>")
        )
        return common.page("페이스북 페이지 연습장", body, root=base)

    def post_page(request: Request) -> Response:
        page = sandbox.page(request.path_params["page_id"])
        base = common.root(request)
        if page is None:
            return common.page("찾을 수 없음", "<h1>그런 페이지가 없습니다.</h1>", root=base)
        own = f"{base}/{html.escape(page.page_id)}"
        body = (
            f"{common.BADGE}<h1>{html.escape(page.name)}</h1>"
            '<article class="tweet"><p class="tweet-author">' + html.escape(page.name) + "</p>"
            '<p class="tweet-text">생활 속 불편 사항을 댓글로 알려 주세요. '
            "담당 부서가 확인해 답변드립니다.</p></article>"
            f'<form class="tweet-form" data-post data-base="{own}">'
            '<label for="fb-name">이름</label><input id="fb-name" name="name" value="김민지" required>'
            '<label for="fb-text">댓글</label><textarea id="fb-text" name="text" rows="3" required></textarea>'
            '<button type="submit">댓글 달기</button></form>'
            '<ol class="timeline" data-timeline aria-live="polite"></ol>'
            '<p class="hint">페이지가 답글을 달면 댓글 아래에 나타납니다. '
            f'<a href="{own}/messenger/">메신저로 보내기</a></p>'
        )
        return common.page(f"{page.name} - 페이스북 연습장", body, root=base, script="timeline.js")

    async def post_comment(request: Request) -> Response:
        page = sandbox.page(request.path_params["page_id"])
        if page is None:
            return JSONResponse({"error": "그런 페이지가 없습니다."}, status_code=404)
        data = await request.json()
        name, text = str(data.get("name") or "").strip(), str(data.get("text") or "").strip()
        if not name or not text or len(text) > COMMENT_LIMIT:
            return JSONResponse({"error": "이름과 댓글 내용을 넣어 주세요."}, status_code=400)
        # A visitor's page-scoped id, the same for the same name (ids stay stable in a training session).
        visitor = {"id": str(10**14 + int(hashlib.sha256(name.encode()).hexdigest()[:12], 16) % 10**14), "name": name}
        # The webhook may be this very process: the delivery waits in a thread, not in the event loop.
        comment = await run_in_threadpool(sandbox.comment, page, visitor, text, data.get("parent_id") or None)
        return JSONResponse({"comment": comment}, status_code=201)

    def timeline(request: Request) -> Response:
        page = sandbox.page(request.path_params["page_id"])
        return JSONResponse({"items": sandbox.timeline(page) if page else []})

    def messenger_page(request: Request) -> Response:
        page = sandbox.page(request.path_params["page_id"])
        base = common.root(request)
        if page is None:
            return common.page("찾을 수 없음", "<h1>그런 페이지가 없습니다.</h1>", root=base)
        body = f"{common.BADGE}<h1>{html.escape(page.name)} 메신저</h1>" + common.chat_window(
            base=f"{base}/{page.page_id}/messenger",
            storage="facebook-visitor",
            new_user="7###############",
            theme="messenger",
            hint="보낸 메시지는 소통의 민원함에 도착합니다. 직원이 답변하면 이 창에 나타납니다.",
        )
        return common.page(f"{page.name} 메신저 - 페이스북 연습장", body, root=base, script="chat.js")

    async def messenger_say(request: Request) -> Response:
        page = sandbox.page(request.path_params["page_id"])
        if page is None:
            return JSONResponse({"error": "그런 페이지가 없습니다."}, status_code=404)
        data = await request.json()
        user, text = str(data.get("user") or ""), str(data.get("text") or "").strip()
        if not user or not text:
            return JSONResponse({"error": "보낼 내용이 없습니다."}, status_code=400)
        await run_in_threadpool(sandbox.message, page, user, text[:MESSENGER_LIMIT])
        return JSONResponse({"bubbles": sandbox.chats.chat(page.page_id, user)})

    def messenger_messages(request: Request) -> Response:
        user = request.query_params.get("user", "")
        found = sandbox.chats.chat(request.path_params["page_id"], user, common.after_id(request))
        return JSONResponse({"bubbles": found})

    def graph_get(request: Request) -> Response:
        page = sandbox.caller(request)
        if page is None and getattr(request.state, "bad_proof", False):
            return graph_error(
                400, "Invalid appsecret_proof provided in the API argument", 100, kind="GraphMethodException"
            )
        if page is None:
            return graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        object_id = request.path_params["object_id"]
        if object_id in ("me", page.page_id):
            return JSONResponse({"id": page.page_id, "name": page.name})
        comment = sandbox.comments.get(object_id)
        if comment is None and object_id != sandbox.post_id(page):
            return graph_error(400, f"Object with ID '{object_id}' does not exist", 100, 33, "GraphMethodException")
        found: dict[str, Any] = {"id": object_id}
        if comment is not None and comment["parent_id"]:
            found["parent"] = {"id": comment["parent_id"]}
        return JSONResponse(found)

    def graph_comments(request: Request) -> Response:
        if sandbox.caller(request) is None:
            return graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        return sandbox.comments_of(request.path_params["object_id"], dict(request.query_params))

    async def graph_post_comment(request: Request) -> Response:
        page = sandbox.caller(request)
        if page is None:
            return graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        form = await request.form()
        text = form.get("message")
        return sandbox.reply(page, request.path_params["object_id"], text if isinstance(text, str) else "")

    async def graph_messages(request: Request) -> Response:
        page = sandbox.caller(request)
        if page is None:
            return graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if request.path_params["object_id"] not in (page.page_id, "me"):
            return graph_error(400, "(#230) Requires pages_messaging permission to manage the object", 230)
        try:
            body = await request.json()
        except ValueError:
            body = None
        return sandbox.send_message(page, body)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", common.static_files("timeline.js", "chat.js")),
            Route(GRAPH + "/{object_id}/comments", graph_comments),
            Route(GRAPH + "/{object_id}/comments", graph_post_comment, methods=["POST"]),
            Route(GRAPH + "/{object_id}/messages", graph_messages, methods=["POST"]),
            Route(GRAPH + "/{object_id}", graph_get),
            Route("/{page_id}/", post_page),
            Route("/{page_id}/post", post_comment, methods=["POST"]),
            Route("/{page_id}/timeline", timeline),
            Route("/{page_id}/messenger/", messenger_page),
            Route("/{page_id}/messenger/say", messenger_say, methods=["POST"]),
            Route("/{page_id}/messenger/messages", messenger_messages),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["GRAPH", "FacebookSandbox", "Page", "create_app", "signature"]
