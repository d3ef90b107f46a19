"""A faithful fake Mastodon instance: bearer tokens, notifications with Link pagination (since_id, max_id, min_id),
Mastodon 4.3's notification policy (``GET/PATCH /api/v2/notifications/policy``; private mentions are filtered by
default, and a filtered notification is left out of ``/api/v1/notifications`` and kept as a notification request,
``GET /api/v1/notifications/requests``, its sender's notifications listed with ``account_id`` filtered ones
included, ``POST .../requests/:id/accept`` merging them into the feed; a dropped one is gone), statuses with
Idempotency-Key (kept for one hour, as Mastodon keeps them), the 500-character limit and links as Mastodon counts
and finds them (twitter-text), X-RateLimit-* headers and 429s, 404s for deleted posts, and Mastodon's error bodies
({"error": ...})."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from twitter_text import extract_urls_with_indices

from tests.fakes.server import Request, Response, serve
from tests.fakes.x import jpeg

RATE_LIMIT = 300
IDEMPOTENCY_SECONDS = 3600
# Mastodon 4.3's defaults: private mentions and moderated accounts filtered, the rest accepted.
DEFAULT_POLICY = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "filter",
    "for_limited_accounts": "filter",
}
REMOTE_MENTION_RE = re.compile(r"(@\w+)@[\w.-]+")


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def links(text: str) -> list[tuple[int, int, str]]:
    """The links Mastodon makes of a status's text: what its extractor (twitter-text's, with a protocol) finds.
    A path ends at the first character twitter-text does not accept: a Hangul case number stays plain text."""
    found = extract_urls_with_indices(text, extract_urls_without_protocol=False)
    return [(link["indices"][0], link["indices"][1], link["url"]) for link in found]


def weighted_length(text: str) -> int:
    """Mastodon's count: every link is 23 characters, a remote mention only its local part."""
    out, position = [], 0
    for start, end, _url in links(text):
        out += [text[position:start], "x" * 23]
        position = end
    out.append(text[position:])
    return len(REMOTE_MENTION_RE.sub(r"\1", "".join(out)))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br />")


def content_html(text: str) -> str:
    """A status's `content` as Mastodon renders it: escaped, line breaks as <br />, each link an <a>."""
    out, position = [], 0
    for start, end, url in links(text):
        out += [_escape(text[position:start]), f'<a href="{_escape(url)}" rel="nofollow noopener" target="_blank">']
        out += [_escape(url), "</a>"]
        position = end
    out.append(_escape(text[position:]))
    return "<p>" + "".join(out) + "</p>"


@dataclass
class FakeMastodon:
    """One instance with our official account (@songpa) and citizens who mention it."""

    token: str = "token-songpa"
    domain: str = "gov.social"
    requests: list[Request] = field(default_factory=list)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)  # ours, newest last
    throttled_for: float | None = None  # seconds: every request gets 429 until cleared
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(109_000_000_000_000_000, 1000))
    _idempotent: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)  # → status id, when
    policy: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_POLICY))
    filtered: list[dict[str, Any]] = field(default_factory=list)  # notifications held back as requests
    clock_offset: float = 0.0  # seconds the instance's clock is ahead (tests let an hour pass)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # uploads by id, with their bytes
    _lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    # Open streaming connections (GET /api/v1/streaming/user/notification), each fed every new notification.
    _streams: list[queue.Queue[dict[str, Any] | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.me = self._account("songpa", "송파구청")

    # ----------------------------------------------------------------- what tests do to the platform

    def _account(self, username: str, name: str, domain: str | None = None) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "username": username,
            "acct": f"{username}@{domain}" if domain else username,
            "display_name": name,
            "locked": False,
            "bot": False,
            "created_at": _iso(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
            "note": "",
            "url": f"https://{domain or self.domain}/@{username}",
            "avatar": "",
            "header": "",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": 0,
            "fields": [],
            "emojis": [],
        }

    def citizen(
        self, username: str = "minji", name: str = "김민지", domain: str | None = "mastodon.social"
    ) -> dict[str, Any]:
        """A citizen's account (remote by default, as most are)."""
        return self._account(username, name, domain)

    def _status(
        self, account: dict[str, Any], text: str, visibility: str, in_reply_to_id: str | None
    ) -> dict[str, Any]:
        status_id = str(next(self._ids))
        replied = self.statuses.get(in_reply_to_id or "")
        status: dict[str, Any] = {
            "id": status_id,
            "created_at": _iso(dt.datetime.now(dt.UTC)),
            "in_reply_to_id": in_reply_to_id,
            "in_reply_to_account_id": replied["account"]["id"] if replied else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": visibility,
            "language": "ko",
            "uri": f"https://{self.domain}/users/{account['username']}/statuses/{status_id}",
            "url": f"https://{self.domain}/@{account['username']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": content_html(text),
            "text": None,
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        self.statuses[status_id] = status
        return status

    def mention(
        self,
        text: str,
        *,
        author: dict[str, Any] | None = None,
        visibility: str = "public",
        in_reply_to_id: str | None = None,
        photos: int = 0,
    ) -> dict[str, Any]:
        """A status mentioning @songpa, and the notification Mastodon gives our account for it."""
        status = self._status(author or self.citizen(), f"@songpa {text}", visibility, in_reply_to_id)
        status["media_attachments"] = [
            {
                "id": str(next(self._ids)),
                "type": "image",
                "url": f"{self.base_url}/system/media/{status['id']}-{n}.jpg",
                "preview_url": None,
                "description": None,
            }
            for n in range(photos)
        ]
        notification = {
            "id": str(next(self._ids)),
            "type": "mention",
            "created_at": status["created_at"],
            "account": status["account"],
            "status": status,
        }
        verdict = self.policy["for_private_mentions"] if visibility == "direct" else "accept"
        if verdict == "drop":
            return status
        if verdict == "filter":
            self.filtered.append(notification)
            return status
        self.notifications.append(notification)
        for stream in list(self._streams):
            stream.put(notification)
        return status

    def close_streams(self) -> None:
        """The instance restarts: every streaming connection ends (clients reconnect)."""
        for stream in list(self._streams):
            stream.put(None)

    def _stream(self) -> Iterator[bytes]:
        """Server-sent events as Mastodon's streaming server writes them, with its heartbeat comments."""
        feed: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._streams.append(feed)
        try:
            yield b":)\n"
            while True:
                try:
                    event = feed.get(timeout=0.5)
                except queue.Empty:
                    yield b":thump\n"
                    continue
                if event is None:
                    return
                yield b"event: notification\ndata: " + json.dumps(event).encode() + b"\n\n"
        finally:
            self._streams.remove(feed)

    def notify(self, kind: str, status: dict[str, Any]) -> None:
        """Another notification (a favourite, or a self-mention some servers echo)."""
        self.notifications.append(
            {
                "id": str(next(self._ids)),
                "type": kind,
                "created_at": status["created_at"],
                "account": status["account"],
                "status": status,
            }
        )

    def delete(self, status_id: str) -> None:
        """The citizen deletes their post."""
        del self.statuses[status_id]

    def posted(self) -> list[dict[str, Any]]:
        """The statuses our account posted, oldest first."""
        return [s for s in self.statuses.values() if s["account"]["id"] == self.me["id"]]

    # ----------------------------------------------------------------- the API

    def _headers(self) -> dict[str, str]:
        reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.throttled_for or 300)
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0" if self.throttled_for else str(RATE_LIMIT - 1),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            response = self._route(request)
            response.headers = {**self._headers(), **response.headers}
            return response

    def _route(self, request: Request) -> Response:
        path = request.path
        if request.method == "GET" and path.startswith("/system/media/"):
            return Response(200, jpeg(), {"Content-Type": "image/jpeg"})  # media files need no token
        if request.method == "GET" and path.rstrip("/") == "/api/v2/instance":
            # What Mastodon.py reads to learn the API version before an upload (Mastodon 4.3: API version 2).
            return Response(200, {"domain": self.domain, "title": "gov.social", "version": "4.3.0",
                                  "api_versions": {"mastodon": 2}})  # fmt: skip
        if request.method == "GET" and path.rstrip("/") == "/api/v1/instance":
            # The streaming API on the same host, as a small instance runs it.
            return Response(200, {"uri": self.domain, "title": "gov.social", "version": "4.3.0",
                                  "urls": {"streaming_api": self.base_url}})  # fmt: skip
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"error": "The access token is invalid"})
        if self.throttled_for:
            return Response(429, {"error": "Too many requests"})
        path, method = request.path, request.method
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return Response(200, self.me)
        if method == "GET" and path == "/api/v1/notifications":
            return self._notifications(request)
        if method == "GET" and path == "/api/v2/notifications/policy":
            return Response(200, self._policy())
        if method == "PATCH" and path == "/api/v2/notifications/policy":
            changes = {k: v[-1] for k, v in request.form().items() if k in DEFAULT_POLICY}
            if any(v not in ("accept", "filter", "drop") for v in changes.values()):
                return Response(422, {"error": "Validation failed: policy values are accept, filter or drop"})
            self.policy.update(changes)
            return Response(200, self._policy())
        if method == "GET" and path == "/api/v1/notifications/requests":
            return Response(200, self._requests())
        if method == "POST" and path.startswith("/api/v1/notifications/requests/") and path.endswith("/accept"):
            return self._accept(path.split("/")[-2])
        if method == "GET" and path.startswith("/api/v1/statuses/"):
            status = self.statuses.get(path.rsplit("/", 1)[1])
            return Response(200, status) if status else Response(404, {"error": "Record not found"})
        if method == "POST" and path == "/api/v1/statuses":
            return self._post_status(request)
        if method == "POST" and path in ("/api/v2/media", "/api/v1/media"):
            return self._upload(request)
        if method == "GET" and path == "/api/v1/timelines/public":
            return Response(200, [])
        if method == "GET" and path in ("/api/v1/streaming/user/notification", "/api/v1/streaming/user"):
            return Response(200, self._stream(), {"Content-Type": "text/event-stream"})
        return Response(404, {"error": "Record not found"})

    def _policy(self) -> dict[str, Any]:
        senders = {n["account"]["id"] for n in self.filtered}
        return {**self.policy, "summary": {"pending_requests_count": len(senders),
                                           "pending_notifications_count": len(self.filtered)}}  # fmt: skip

    def _requests(self) -> list[dict[str, Any]]:
        """One request per account whose notifications were filtered."""
        by_account: dict[str, list[dict[str, Any]]] = {}
        for notification in self.filtered:
            by_account.setdefault(notification["account"]["id"], []).append(notification)
        return [
            {
                "id": str(int(items[-1]["id"]) + 1),
                "created_at": items[0]["created_at"],
                "updated_at": items[-1]["created_at"],
                "notifications_count": str(len(items)),
                "account": items[-1]["account"],
                "last_status": items[-1]["status"],
            }
            for items in by_account.values()
        ]

    def _accept(self, request_id: str) -> Response:
        """Accepting a request merges its sender's filtered notifications into the feed (Mastodon does it in a
        background job, so a client cannot count on reading them there at once; here it is immediate)."""
        [request] = [r for r in self._requests() if r["id"] == request_id] or [None]
        if request is None:
            return Response(404, {"error": "Record not found"})
        sender = request["account"]["id"]
        self.notifications += [n for n in self.filtered if n["account"]["id"] == sender]
        self.notifications.sort(key=lambda n: int(n["id"]))
        self.filtered = [n for n in self.filtered if n["account"]["id"] != sender]
        return Response(200, {})

    def _notifications(self, request: Request) -> Response:
        q = request.query
        types = q.get("types[]") or q.get("types") or []
        limit = min(int((q.get("limit") or ["40"])[0]), 80)
        since, max_id, min_id = (int(q[k][0]) if q.get(k) else None for k in ("since_id", "max_id", "min_id"))
        sender = (q.get("account_id") or [None])[0]
        # One sender's notifications include the filtered ones (Notification.browserable with from_account_id):
        # how a client reads a notification request.
        pool = self.notifications + self.filtered if sender else self.notifications
        found = [n for n in pool if (not types or n["type"] in types) and (not sender or n["account"]["id"] == sender)]
        found = [
            n
            for n in found
            if (since is None or int(n["id"]) > since)
            and (max_id is None or int(n["id"]) < max_id)
            and (min_id is None or int(n["id"]) > min_id)
        ]
        found.sort(key=lambda n: int(n["id"]), reverse=min_id is None)
        page = found[:limit]
        page.sort(key=lambda n: int(n["id"]), reverse=True)
        headers = {}
        if page:
            base = f"http://{request.headers['host']}/api/v1/notifications"
            extra = "".join(f"&types[]={t}" for t in types) + f"&limit={limit}"
            extra += f"&account_id={sender}" if sender else ""
            newer, older = page[0]["id"], page[-1]["id"]
            headers["Link"] = f'<{base}?max_id={older}{extra}>; rel="next", <{base}?min_id={newer}{extra}>; rel="prev"'
        return Response(200, page, headers)

    def _post_status(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in request.form().items()}
        key = request.headers.get("idempotency-key")
        now = time.time() + self.clock_offset
        kept = self._idempotent.get((self.token, key)) if key else None
        if kept is not None and now - kept[1] < IDEMPOTENCY_SECONDS:
            # Mastodon keeps the key for an hour and answers a repeat with the status it made the first time.
            return Response(200, self.statuses[kept[0]])
        text = form.get("status", "")
        if not text.strip():
            return Response(422, {"error": "Validation failed: Text can't be blank"})
        if weighted_length(text) > 500:
            return Response(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
        visibility = form.get("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Response(422, {"error": f"Validation failed: Visibility {visibility} is not a valid visibility"})
        reply_to = form.get("in_reply_to_id") or None
        if reply_to and reply_to not in self.statuses:
            return Response(404, {"error": "The post you are trying to reply to does not appear to exist."})
        media_ids = [i for i in request.form().get("media_ids[]", []) + request.form().get("media_ids", []) if i]
        if len(media_ids) > 4:
            return Response(422, {"error": "Validation failed: Media attachments too many"})
        if any(i not in self.media for i in media_ids):
            return Response(422, {"error": "Validation failed: Media attachments are invalid"})
        status = self._status(self.me, text, visibility, reply_to)
        status["media_attachments"] = [
            {k: v for k, v in self.media[i].items() if k != "data"} | {"id": i} for i in media_ids
        ]
        if key:
            self._idempotent[(self.token, key)] = (status["id"], now)
        return Response(200, status)

    def _upload(self, request: Request) -> Response:
        """POST /api/v2/media: one multipart `file` part, an image, answered with its MediaAttachment."""
        content_type, data = request.parts().get("file", ("", b""))
        if not data or not content_type.startswith("image/"):
            return Response(422, {"error": "Validation failed: File content type is invalid"})
        media_id = str(next(self._ids))
        self.media[media_id] = {
            "type": "image",
            "url": f"{self.base_url}/system/media/{media_id}.jpg",
            "preview_url": None,
            "description": None,
            "data": data,
        }
        return Response(200, {k: v for k, v in self.media[media_id].items() if k != "data"} | {"id": media_id})


@contextmanager
def running(fake: FakeMastodon | None = None) -> Iterator[FakeMastodon]:
    """A fake instance listening on 127.0.0.1; its base_url is set."""
    fake = fake or FakeMastodon()
    with serve(fake) as url:
        fake.base_url = url
        yield fake
