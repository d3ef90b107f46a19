"""An X sandbox: a public timeline page where a citizen mentions an official account, and the X API v2 calls the
product makes (``GET /2/users/:id/mentions`` with since_id and next_token pages, ``POST /2/tweets`` with reply
threading, ``GET /2/users/:id/tweets`` to read its own replies back), each with ``Authorization: Bearer`` the
account's token and X's problem bodies. State lives in the process: a restart empties the timeline.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).parent / "static"
TEXT_LIMIT = 280  # characters here; X weighs Hangul double, which the product counts before it posts
PAGE_LIMIT = 800  # only the 800 newest mentions are reachable


@dataclass(frozen=True)
class Account:
    """An official account the product reads and posts with."""

    user_id: str
    username: str  # without the @
    name: str
    bearer_token: str


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"title": title, "detail": detail, "type": "about:blank", "status": status}, status_code=status)


@dataclass
class XSandbox:
    """Every tweet of the sandbox, official accounts' and citizens'."""

    accounts: Callable[[], list[Account]]
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_900_000_000_000_000_000, 1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _user(self, user_id: str, username: str, name: str) -> dict[str, str]:
        user = {"id": user_id, "username": username, "name": name}
        self.users[user_id] = user
        return user

    def citizen(self, username: str, name: str) -> dict[str, str]:
        """The citizen with this handle, made on first use (ids stay stable for the same handle)."""
        with self._lock:
            found = next((u for u in self.users.values() if u["username"].lower() == username.lower()), None)
        return found or self._user(str(next(self._ids)), username, name or username)

    def post(self, author: dict[str, str], text: str, in_reply_to: str | None = None) -> dict[str, Any]:
        """A tweet by `author`; a reply starts with "@handle " of the author it answers, as X writes it."""
        with self._lock:
            tweet_id = str(next(self._ids))
            tweet: dict[str, Any] = {
                "id": tweet_id,
                "text": text,
                "author_id": author["id"],
                "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "conversation_id": tweet_id,
                "edit_history_tweet_ids": [tweet_id],
            }
            if in_reply_to:
                parent = self.tweets[in_reply_to]
                replied = self.users[parent["author_id"]]
                if replied["id"] != author["id"]:
                    tweet["text"] = f"@{replied['username']} {text}"
                tweet["conversation_id"] = parent["conversation_id"]
                tweet["in_reply_to_user_id"] = parent["author_id"]
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
            mentions = [
                {"start": tweet["text"].find(f"@{u['username']}"), "username": u["username"], "id": u["id"]}
                for u in self.users.values()
                if f"@{u['username']}" in tweet["text"]
            ]
            if mentions:
                for mention in mentions:
                    mention["end"] = mention["start"] + len(mention["username"]) + 1
                tweet["entities"] = {"mentions": mentions}
            self.tweets[tweet_id] = tweet
            return tweet

    def timeline(self) -> list[dict[str, Any]]:
        """Every tweet, newest first, with its author's handle and name."""
        with self._lock:
            found = sorted(self.tweets.values(), key=lambda t: int(t["id"]), reverse=True)
            return [{**t, "author": self.users[t["author_id"]]} for t in found]

    def official(self) -> list[Account]:
        """The official accounts, known as users of the sandbox (so a citizen's tweet can mention them)."""
        found = self.accounts()
        with self._lock:
            for account in found:
                self.users[account.user_id] = {
                    "id": account.user_id,
                    "username": account.username,
                    "name": account.name,
                }
        return found

    def caller(self, request: Request) -> Account | None:
        """The official account whose token the request carries."""
        given = request.headers.get("authorization", "")
        return next((a for a in self.official() if given == f"Bearer {a.bearer_token}"), None)

    def listing(self, user_id: str, query: dict[str, str], *, mentions: bool) -> JSONResponse:
        """Mentions of the user (or the user's own tweets), newest first, in pages as X gives them."""
        user = self.users.get(user_id)
        if user is None:
            return problem(404, "Not Found Error", f"Could not find user with id: [{user_id}].")
        size = int(query.get("max_results", "10")) if query.get("max_results", "10").isdigit() else 0
        if not 5 <= size <= 100:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        since = int(query["since_id"]) if query.get("since_id", "").isdigit() else 0
        handle = f"@{user['username']}".lower()
        with self._lock:
            found = sorted(
                (
                    t
                    for t in self.tweets.values()
                    if int(t["id"]) > since
                    and (
                        handle in t["text"].lower() and t["author_id"] != user_id
                        if mentions
                        else t["author_id"] == user_id
                    )
                ),
                key=lambda t: int(t["id"]),
                reverse=True,
            )[:PAGE_LIMIT]
        token = query.get("pagination_token", "")
        start = int(token[1:]) if token[1:].isdigit() else 0
        page = found[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + size < len(found):
            meta["next_token"] = f"p{start + size}"
        if not page:
            return JSONResponse({"meta": meta})
        keep = {"id", "text", "edit_history_tweet_ids"} | set(query.get("tweet.fields", "").split(","))
        body: dict[str, Any] = {"data": [{k: v for k, v in t.items() if k in keep} for t in page], "meta": meta}
        if "author_id" in query.get("expansions", "").split(","):
            authors = dict.fromkeys(t["author_id"] for t in page)
            body["includes"] = {"users": [self.users[a] for a in authors]}
        return JSONResponse(body)


def _page(title: str, body: str, *, root: str, script: str = "") -> HTMLResponse:
    tag = f'<script src="{root}/static/{script}" defer></script>' if script else ""
    return HTMLResponse(
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><link rel="stylesheet" href="{root}/static/sandbox.css"></head>'
        f'<body><main class="sandbox">{body}</main>{tag}</body></html>'
    )


def create_app(accounts: Callable[[], list[Account]]) -> Starlette:
    """The sandbox as an ASGI app, to mount at a path (its page and its API answer under it)."""
    sandbox = XSandbox(accounts=accounts)

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def index(request: Request) -> Response:
        official = sandbox.official()
        handles = " ".join(f"@{html.escape(a.username)}" for a in official) or "-"
        body = (
            '<p class="sandbox-badge">연습용(샌드박스)</p><h1>X 연습장</h1>'
            "<p>실제 X 대신 이 컴퓨터 안에서 돌아가는 연습용 타임라인입니다. "
            f"기관 계정을 언급(@)해 민원을 올려 보세요: {handles}</p>"
            f'<form class="tweet-form" data-tweet data-base="{root(request)}">'
            '<label for="x-username">내 아이디</label><input id="x-username" name="username" value="minji_kim" '
            'pattern="[A-Za-z0-9_]{1,15}" required>'
            '<label for="x-name">이름</label><input id="x-name" name="name" value="김민지">'
            '<label for="x-text">게시물</label><textarea id="x-text" name="text" rows="3" maxlength="280" required>'
            f"{html.escape('@' + official[0].username + ' ') if official else ''}</textarea>"
            '<button type="submit">게시하기</button></form>'
            '<ol class="timeline" data-timeline aria-live="polite"></ol>'
            '<p class="hint">기관 계정이 답글을 달면 이 타임라인에 나타납니다.</p>'
        )
        return _page("X 연습장", body, root=root(request), script="x.js")

    async def tweet(request: Request) -> Response:
        data = await request.json()
        username = str(data.get("username") or "").lstrip("@").strip()
        text = str(data.get("text") or "").strip()
        if not username or not text or len(text) > TEXT_LIMIT:
            return JSONResponse({"error": "아이디와 280자 이내의 내용을 넣어 주세요."}, status_code=400)
        sandbox.official()  # their handles are known before the text is searched for mentions
        author = sandbox.citizen(username, str(data.get("name") or ""))
        return JSONResponse({"tweet": sandbox.post(author, text)}, status_code=201)

    def timeline(request: Request) -> Response:
        return JSONResponse({"tweets": sandbox.timeline()})

    def me(request: Request) -> Response:
        account = sandbox.caller(request)
        if account is None:
            return problem(401, "Unauthorized", "Unauthorized")
        return JSONResponse({"data": sandbox.users[account.user_id]})

    def mentions(request: Request) -> Response:
        if sandbox.caller(request) is None:
            return problem(401, "Unauthorized", "Unauthorized")
        return sandbox.listing(request.path_params["user_id"], dict(request.query_params), mentions=True)

    def own_tweets(request: Request) -> Response:
        if sandbox.caller(request) is None:
            return problem(401, "Unauthorized", "Unauthorized")
        return sandbox.listing(request.path_params["user_id"], dict(request.query_params), mentions=False)

    async def create_tweet(request: Request) -> Response:
        account = sandbox.caller(request)
        if account is None:
            return problem(401, "Unauthorized", "Unauthorized")
        body = await request.json()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to and reply_to not in sandbox.tweets:
            return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
        me = sandbox.users[account.user_id]
        if any(t["author_id"] == me["id"] and t["text"].endswith(text) for t in sandbox.tweets.values()):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        posted = sandbox.post(me, text, reply_to)
        data = {"id": posted["id"], "text": posted["text"], "edit_history_tweet_ids": [posted["id"]]}
        return JSONResponse({"data": data}, status_code=201)

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in {"x.js", "sandbox.css"}:
            return Response(status_code=404)
        return FileResponse(STATIC / name)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", static),
            Route("/tweet", tweet, methods=["POST"]),
            Route("/timeline", timeline),
            Route("/2/users/me", me),
            Route("/2/users/{user_id}/mentions", mentions),
            Route("/2/users/{user_id}/tweets", own_tweets),
            Route("/2/tweets", create_tweet, methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["Account", "XSandbox", "create_app"]
