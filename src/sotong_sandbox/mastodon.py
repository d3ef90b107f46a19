"""A Mastodon sandbox: a small instance's local timeline where a citizen mentions an official account, and the
Mastodon API calls the product makes (with the real Mastodon.py client).

``GET /api/v1/accounts/verify_credentials``, mention notifications (``GET /api/v1/notifications`` with
``types[]``, ``min_id``/``max_id``/``since_id``, ``limit`` and a ``Link`` header), the 4.3 notification policy
(``GET``/``PATCH /api/v2/notifications/policy``) and its requests (none: nothing is filtered here), ``GET
/api/v1/statuses/:id``, ``POST /api/v1/statuses`` (``status``, ``in_reply_to_id``, ``visibility``, honouring
``Idempotency-Key`` for an hour) and ``POST /api/v2/media``, each with ``Authorization: Bearer`` the account's
token. Status ``content`` is HTML, as Mastodon gives it. State lives in the process.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sotong_sandbox import common

DOMAIN = "mastodon.example"
STATUS_LIMIT = 500
IDEMPOTENCY_SECONDS = 3600
POLICY_KEYS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
VISIBILITIES = ("public", "unlisted", "private", "direct")


@dataclass(frozen=True)
class Official:
    """An official account of the instance the product reads and posts with."""

    username: str  # local username, without @ or domain
    name: str
    access_token: str


def _iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@dataclass
class MastodonSandbox:
    officials: Callable[[], list[Official]]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by username (lower case)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by account id
    policies: dict[str, dict[str, str]] = field(default_factory=dict)  # by account id
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotent: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(113_000_000_000_000_001))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def account(self, username: str, name: str) -> dict[str, Any]:
        """The local account with this username, made on first use."""
        with self._lock:
            found = self.accounts.get(username.lower())
            if found is None:
                found = {
                    "id": str(next(self._ids)),
                    "username": username,
                    "acct": username,
                    "display_name": name or username,
                    "locked": False,
                    "bot": False,
                    "created_at": _iso(time.time()),
                    "note": "",
                    "url": f"https://{DOMAIN}/@{username}",
                    "avatar": "",
                    "header": "",
                    "followers_count": 0,
                    "following_count": 0,
                    "statuses_count": 0,
                    "fields": [],
                    "emojis": [],
                }
                self.accounts[username.lower()] = found
            return found

    def known(self) -> list[tuple[Official, dict[str, Any]]]:
        """The official accounts, each as an account of the instance."""
        return [(o, self.account(o.username, o.name)) for o in self.officials()]

    def caller(self, request: Request) -> dict[str, Any] | None:
        given = request.headers.get("authorization", "")
        return next((a for o, a in self.known() if given == f"Bearer {o.access_token}"), None)

    def post(
        self, author: dict[str, Any], text: str, *, visibility: str = "public", in_reply_to_id: str | None = None
    ) -> dict[str, Any]:
        """A status; each local account it mentions (@username) gets a mention notification."""
        officials = {a["username"].lower(): a for _, a in self.known()}
        with self._lock:
            status_id = str(next(self._ids))
            replied = self.statuses.get(in_reply_to_id or "")
            mentioned = [
                self.accounts[m.lower()]
                for m in dict.fromkeys(re.findall(r"@([A-Za-z0-9_]+)(?:@" + re.escape(DOMAIN) + r")?", text))
                if m.lower() in self.accounts
            ]
            status: dict[str, Any] = {
                "id": status_id,
                "created_at": _iso(time.time()),
                "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": replied["account"]["id"] if replied else None,
                "sensitive": False,
                "spoiler_text": "",
                "visibility": visibility,
                "language": "ko",
                "uri": f"https://{DOMAIN}/users/{author['username']}/statuses/{status_id}",
                "url": f"https://{DOMAIN}/@{author['username']}/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "content": content_html(text, {a["username"].lower(): a for a in mentioned}),
                "reblog": None,
                "account": author,
                "media_attachments": [],
                "mentions": [
                    {"id": a["id"], "username": a["username"], "acct": a["acct"], "url": a["url"]} for a in mentioned
                ],
                "tags": [],
                "emojis": [],
                "card": None,
                "poll": None,
            }
            self.statuses[status_id] = status
            for account in mentioned:
                if account["id"] == author["id"] or account["username"].lower() not in officials:
                    continue
                self.notifications.setdefault(account["id"], []).append(
                    {
                        "id": str(next(self._ids)),
                        "type": "mention",
                        "created_at": status["created_at"],
                        "account": author,
                        "status": status,
                    }
                )
            return status

    def timeline(self) -> list[dict[str, Any]]:
        """The public and direct statuses as threads: each citizen's post followed by the replies to it."""
        with self._lock:
            found = sorted(self.statuses.values(), key=lambda s: int(s["id"]))
        items: list[dict[str, Any]] = []
        for status in found:
            if status["in_reply_to_id"]:
                continue
            thread = [status, *(s for s in found if s["in_reply_to_id"] == status["id"])]
            for item in thread:
                who = f"{item['account']['display_name']} @{item['account']['acct']}"
                if item["visibility"] == "direct":
                    who += " (개인 메시지)"
                items.append(
                    {"id": item["id"], "who": who, "text": text_of(item), "reply": bool(item["in_reply_to_id"])}
                )
        items.reverse()
        return items

    def list_notifications(self, me: dict[str, Any], request: Request) -> Response:
        query = request.query_params
        types = query.getlist("types[]") or query.getlist("types")
        limit = min(int(query.get("limit", "40")) if query.get("limit", "40").isdigit() else 40, 80)
        bounds = {k: int(query[k]) for k in ("since_id", "max_id", "min_id") if query.get(k, "").isdigit()}
        sender = query.get("account_id")
        with self._lock:
            found = [
                n
                for n in self.notifications.get(me["id"], [])
                if (not types or n["type"] in types)
                and (not sender or n["account"]["id"] == sender)
                and int(n["id"]) > bounds.get("since_id", 0)
                and int(n["id"]) > bounds.get("min_id", 0)
                and ("max_id" not in bounds or int(n["id"]) < bounds["max_id"])
            ]
        # With min_id the page is the oldest ones after it; otherwise the newest. Either way shown newest first.
        found.sort(key=lambda n: int(n["id"]), reverse="min_id" not in bounds)
        page = sorted(found[:limit], key=lambda n: int(n["id"]), reverse=True)
        headers = {}
        if page:
            base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
            extra = "".join(f"&types[]={t}" for t in types) + f"&limit={limit}"
            newer, older = page[0]["id"], page[-1]["id"]
            headers["Link"] = f'<{base}?max_id={older}{extra}>; rel="next", <{base}?min_id={newer}{extra}>; rel="prev"'
        return JSONResponse(page, headers=headers)


def content_html(text: str, mentioned: dict[str, dict[str, Any]]) -> str:
    """The status text as Mastodon renders it: paragraphs, line breaks and mention links."""

    def mention(match: re.Match[str]) -> str:
        account = mentioned.get(match.group(1).lower())
        if account is None:
            return match.group(0)
        return (
            f'<span class="h-card"><a href="{account["url"]}" class="u-url mention">@<span>'
            f"{account['username']}</span></a></span>"
        )

    paragraphs = [p for p in html.escape(text, quote=False).split("\n\n") if p.strip()]
    return "".join(
        "<p>" + re.sub(r"@([A-Za-z0-9_]+)(?:@" + re.escape(DOMAIN) + r")?", mention, p).replace("\n", "<br />") + "</p>"
        for p in paragraphs
    )


def text_of(status: dict[str, Any]) -> str:
    """A status's words without its markup, for the sandbox's own page."""
    text = re.sub(r"<br ?/?>", "\n", status["content"])
    text = re.sub(r"</p><p>", "\n\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def create_app(officials: Callable[[], list[Official]]) -> Starlette:
    """The sandbox as an ASGI app, to mount at a path (its page and its Mastodon API answer under it)."""
    sandbox = MastodonSandbox(officials=officials)

    def index(request: Request) -> Response:
        base = common.root(request)
        handles = " ".join(f"@{html.escape(o.username)}" for o in sandbox.officials()) or "-"
        first = sandbox.officials()[0].username if sandbox.officials() else ""
        body = (
            f"{common.BADGE}<h1>마스토돈 연습장</h1>"
            "<p>실제 마스토돈 대신 이 컴퓨터 안에서 돌아가는 연습용 인스턴스입니다. "
            f"기관 계정을 언급(@)해 민원을 올려 보세요: {handles}</p>"
            f'<form class="tweet-form" data-post data-base="{base}">'
            '<label for="m-username">내 아이디</label><input id="m-username" name="username" value="minji" '
            'pattern="[A-Za-z0-9_]{1,30}" required>'
            '<label for="m-name">이름</label><input id="m-name" name="name" value="김민지">'
            '<label for="m-visibility">공개 범위</label><select id="m-visibility" name="visibility">'
            '<option value="public">공개</option><option value="direct">개인 메시지(언급한 계정만)</option></select>'
            '<label for="m-text">게시물</label><textarea id="m-text" name="text" rows="3" maxlength="500" required>'
            f"{html.escape('@' + first + ' ') if first else ''}</textarea>"
            '<button type="submit">게시하기</button></form>'
            '<ol class="timeline" data-timeline aria-live="polite"></ol>'
            '<p class="hint">기관 계정이 답글을 달면 이 타임라인에 나타납니다.</p>'
        )
        return common.page("마스토돈 연습장", body, root=base, script="timeline.js")

    async def citizen_post(request: Request) -> Response:
        data = await request.json()
        username = str(data.get("username") or "").lstrip("@").strip()
        text = str(data.get("text") or "").strip()
        visibility = str(data.get("visibility") or "public")
        if not re.fullmatch(r"[A-Za-z0-9_]{1,30}", username) or not text or len(text) > STATUS_LIMIT:
            return JSONResponse({"error": "아이디(영문·숫자)와 500자 이내의 내용을 넣어 주세요."}, status_code=400)
        if visibility not in VISIBILITIES:
            visibility = "public"
        sandbox.known()  # the official accounts exist before the text is searched for mentions
        author = sandbox.account(username, str(data.get("name") or ""))
        return JSONResponse({"status": sandbox.post(author, text, visibility=visibility)}, status_code=201)

    def timeline(request: Request) -> Response:
        return JSONResponse({"items": sandbox.timeline()})

    def instance(request: Request) -> Response:
        return JSONResponse(
            {
                "uri": DOMAIN,
                "domain": DOMAIN,
                "title": "연습용 마스토돈",
                "version": "4.3.0",
                "api_versions": {"mastodon": 2},
                "urls": {"streaming_api": common.absolute(request)},
            }
        )

    def authorised(handler: Callable[[Request, dict[str, Any]], Any]) -> Callable[[Request], Any]:
        async def route(request: Request) -> Response:
            me = sandbox.caller(request)
            if me is None:
                return error(401, "The access token is invalid")
            answer = handler(request, me)
            return await answer if hasattr(answer, "__await__") else answer

        return route

    def verify_credentials(request: Request, me: dict[str, Any]) -> Response:
        return JSONResponse(me)

    def notifications(request: Request, me: dict[str, Any]) -> Response:
        return sandbox.list_notifications(me, request)

    def policy(request: Request, me: dict[str, Any]) -> Response:
        current = sandbox.policies.setdefault(me["id"], dict.fromkeys(POLICY_KEYS, "accept"))
        return JSONResponse({**current, "summary": {"pending_requests_count": 0, "pending_notifications_count": 0}})

    async def update_policy(request: Request, me: dict[str, Any]) -> Response:
        form = await request.form()
        changes = {k: str(v) for k, v in form.items() if k in POLICY_KEYS}
        if any(v not in ("accept", "filter", "drop") for v in changes.values()):
            return error(422, "Validation failed: policy values are accept, filter or drop")
        sandbox.policies.setdefault(me["id"], dict.fromkeys(POLICY_KEYS, "accept")).update(changes)
        return policy(request, me)

    def requests_(request: Request, me: dict[str, Any]) -> Response:
        return JSONResponse([])  # nothing is filtered in the sandbox

    def status(request: Request, me: dict[str, Any]) -> Response:
        found = sandbox.statuses.get(request.path_params["status_id"])
        return JSONResponse(found) if found else error(404, "Record not found")

    async def post_status(request: Request, me: dict[str, Any]) -> Response:
        form = await request.form()
        key = request.headers.get("idempotency-key")
        kept = sandbox.idempotent.get((me["id"], key)) if key else None
        if kept is not None and time.time() - kept[1] < IDEMPOTENCY_SECONDS:
            return JSONResponse(sandbox.statuses[kept[0]])  # the status made the first time
        text = str(form.get("status") or "")
        if not text.strip():
            return error(422, "Validation failed: Text can't be blank")
        if len(text) > STATUS_LIMIT:
            return error(422, "Validation failed: Text character limit of 500 exceeded")
        visibility = str(form.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            return error(422, f"Validation failed: Visibility {visibility} is not a valid visibility")
        reply_to = str(form.get("in_reply_to_id") or "") or None
        if reply_to and reply_to not in sandbox.statuses:
            return error(404, "The post you are trying to reply to does not appear to exist.")
        posted = sandbox.post(me, text, visibility=visibility, in_reply_to_id=reply_to)
        media_ids = [str(v) for k, v in form.multi_items() if k in ("media_ids[]", "media_ids") and v]
        posted["media_attachments"] = [sandbox.media[i] for i in media_ids if i in sandbox.media]
        if key:
            sandbox.idempotent[(me["id"], key)] = (posted["id"], time.time())
        return JSONResponse(posted)

    async def upload(request: Request, me: dict[str, Any]) -> Response:
        form = await request.form()
        file = form.get("file")
        content_type = getattr(file, "content_type", "") or ""
        if file is None or isinstance(file, str) or not content_type.startswith("image/"):
            return error(422, "Validation failed: File content type is invalid")
        media_id = str(next(sandbox._ids))
        sandbox.media[media_id] = {
            "id": media_id,
            "type": "image",
            "url": f"https://{DOMAIN}/system/media/{media_id}.jpg",
            "preview_url": None,
            "description": None,
        }
        return JSONResponse(sandbox.media[media_id])

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", common.static_files("timeline.js")),
            Route("/post", citizen_post, methods=["POST"]),
            Route("/timeline", timeline),
            Route("/api/v1/instance", instance),
            Route("/api/v1/instance/", instance),
            Route("/api/v2/instance", instance),
            Route("/api/v2/instance/", instance),
            Route("/api/v1/accounts/verify_credentials", authorised(verify_credentials)),
            Route("/api/v1/notifications", authorised(notifications)),
            Route("/api/v2/notifications/policy", authorised(policy)),
            Route("/api/v2/notifications/policy", authorised(update_policy), methods=["PATCH"]),
            Route("/api/v1/notifications/requests", authorised(requests_)),
            Route("/api/v1/statuses/{status_id}", authorised(status)),
            Route("/api/v1/statuses", authorised(post_status), methods=["POST"]),
            Route("/api/v2/media", authorised(upload), methods=["POST"]),
            Route("/api/v1/media", authorised(upload), methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox
    return app


__all__ = ["DOMAIN", "MastodonSandbox", "Official", "create_app"]
