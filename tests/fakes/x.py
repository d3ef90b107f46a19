"""A faithful fake X API v2: OAuth 2.0 user tokens that expire after two hours and a rotating refresh token
(``POST /2/oauth2/token``: each refresh token works once), mentions newest first with since_id and next_token
pages, meta (newest_id, oldest_id, result_count, next_token), includes (users, media), POST /2/tweets with reply
threading (the reply's text starts with the ``@handle`` of the author it answers, as X adds it), links found and
wrapped in t.co links by twitter-text itself and the 280 weighted-character limit counted by twitter-text itself
(never by the product's code), x-rate-limit-* headers on every answer, 429s as X sends them (problem JSON, no
Retry-After), and X's problem bodies for unauthorised, not found and forbidden (including the 403 of the update
limits, which passes)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from twitter_text import extract_urls_with_indices, parse_tweet

from tests.fakes.server import Request, Response, jpeg, serve

WINDOW = 15 * 60
TOKEN_LIFETIME = 2 * 60 * 60  # OAuth 2.0 user access tokens live two hours


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> Response:
    return Response(status, {"title": title, "detail": detail, "type": kind, "status": status})


@dataclass
class FakeX:
    """X with our official account (@songpaOK) and citizens who mention it."""

    token: str = "x-user-token-songpa"
    consumer_secret: str = "x-consumer-secret-3b9f"
    client_id: str = "songpa-oauth2-client"
    client_secret: str = "songpa-oauth2-secret-9d2e"
    refresh_token: str = "x-refresh-token-0"  # the one refresh token that works now (each refresh rotates it)
    token_expires: float = 0.0  # epoch seconds; 0 = the token in `token` never expires (a legacy bearer token)
    over_update_limit: bool = False  # the account hit X's update limits: posts get a 403 until it is lifted
    requests: list[Request] = field(default_factory=list)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # our media uploads by id, with their bytes
    deleted: set[str] = field(default_factory=set)
    limit: int = 180  # requests per endpoint per 15-minute window
    used: dict[str, int] = field(default_factory=dict)
    reset_at: int = 0
    lose_next_post_response: bool = False  # the tweet is created but the answer never arrives (503)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_890_000_000_000_000_000, 1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def __post_init__(self) -> None:
        self.me = self.user("songpaOK", "송파구청")
        self.reset_at = int(time.time()) + WINDOW

    # ----------------------------------------------------------------- what tests do to the platform

    def user(self, username: str = "minji_kim", name: str = "김민지") -> dict[str, Any]:
        user = {"id": str(next(self._ids)), "username": username, "name": name}
        self.users[user["id"]] = user
        return user

    def _tweet(self, author: dict[str, Any], text: str, in_reply_to: str | None = None) -> dict[str, Any]:
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
            tweet["conversation_id"] = parent["conversation_id"]
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
        self.tweets[tweet_id] = tweet
        return tweet

    def mention(
        self,
        text: str,
        *,
        author: dict[str, Any] | None = None,
        in_reply_to: str | None = None,
        photos: int = 0,
    ) -> dict[str, Any]:
        """A citizen tweets at @songpaOK (X escapes &, < and > in the text it returns)."""
        author = author or self.user()
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        tweet = self._tweet(author, f"@{self.me['username']} {escaped}", in_reply_to)
        tweet["entities"] = {"mentions": [{"start": 0, "end": 9, "username": self.me["username"], "id": self.me["id"]}]}
        if photos:
            keys = []
            for _ in range(photos):
                key = f"3_{next(self._ids)}"
                # Served by this fake (X serves them from pbs.twimg.com, without authentication).
                self.media[key] = {"media_key": key, "type": "photo", "url": f"{self.base_url}/media/{key}.jpg"}
                keys.append(key)
            tweet["attachments"] = {"media_keys": keys}
        return tweet

    def replies(self) -> list[dict[str, Any]]:
        """What our account tweeted, oldest first."""
        return [t for t in self.tweets.values() if t["author_id"] == self.me["id"] and t["id"] not in self.deleted]

    def delete(self, tweet_id: str) -> None:
        self.deleted.add(tweet_id)

    def expire_token(self) -> None:
        """Two hours have passed since the access token was issued."""
        self.token_expires = time.time() - 1

    def revoke_refresh_token(self) -> None:
        """The account owner revoked the app (or the refresh token was used elsewhere): refreshing is refused."""
        self.refresh_token = f"revoked-{next(self._ids)}"

    def exhaust(self, seconds: int = 600) -> None:
        """Every endpoint's window is spent; it resets `seconds` from now."""
        self.reset_at = int(time.time()) + seconds
        self.used = dict.fromkeys(("mentions", "tweets", "timeline"), self.limit)

    def signature(self, body: bytes) -> str:
        """What X puts in x-twitter-webhooks-signature."""
        digest = hmac.new(self.consumer_secret.encode(), body, hashlib.sha256).digest()
        return "sha256=" + base64.b64encode(digest).decode()

    # ----------------------------------------------------------------- the API

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            photo = re.fullmatch(r"/media/([\w-]+)\.jpg", request.path)
            if request.method == "GET" and photo:
                if photo.group(1) not in self.media:
                    return problem(404, "Not Found Error", "no such media")
                return Response(200, jpeg(), {"Content-Type": "image/jpeg"})
            if request.method == "POST" and request.path == "/2/oauth2/token":
                return self._oauth2_token(request)
            expired = self.token_expires and time.time() >= self.token_expires
            if request.headers.get("authorization") != f"Bearer {self.token}" or expired:
                return problem(401, "Unauthorized", "Unauthorized")
            if request.method == "GET" and request.path == "/2/users/me":
                return Response(200, {"data": self.me})
            mentions = re.fullmatch(r"/2/users/(\d+)/mentions", request.path)
            timeline = re.fullmatch(r"/2/users/(\d+)/tweets", request.path)
            if request.method == "GET" and mentions:
                return self._limited("mentions", lambda: self._list(request, mentions.group(1), mentions=True))
            if request.method == "GET" and timeline:
                return self._limited("timeline", lambda: self._list(request, timeline.group(1), mentions=False))
            if request.method == "POST" and request.path == "/2/media/upload":
                return self._limited("media", lambda: self._upload(request))
            if request.method == "POST" and request.path == "/2/tweets":
                return self._limited("tweets", lambda: self._post(request))
            return problem(404, "Not Found Error", f"no route {request.method} {request.path}")

    def _limited(self, endpoint: str, answer: Any) -> Response:
        if time.time() >= self.reset_at:
            self.used, self.reset_at = {}, int(time.time()) + WINDOW
        used = self.used.get(endpoint, 0)
        headers = {"x-rate-limit-limit": str(self.limit), "x-rate-limit-reset": str(self.reset_at)}
        if used >= self.limit:
            response = problem(429, "Too Many Requests", "Too Many Requests")
            response.headers.update(headers, **{"x-rate-limit-remaining": "0"})
            return response
        self.used[endpoint] = used + 1
        response = answer()
        response.headers.update(headers, **{"x-rate-limit-remaining": str(self.limit - used - 1)})
        return response

    def _list(self, request: Request, user_id: str, *, mentions: bool) -> Response:
        query = {k: v[0] for k, v in request.query.items()}
        if user_id not in self.users:
            return problem(
                404,
                "Not Found Error",
                f"Could not find user with id: [{user_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        size = int(query.get("max_results", "10"))
        if not 5 <= size <= 100:
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        since = int(query.get("since_id", "0"))
        handle = f"@{self.users[user_id]['username']}"
        found = sorted(
            (
                t
                for t in self.tweets.values()
                if t["id"] not in self.deleted
                and int(t["id"]) > since
                and (handle in t["text"] if mentions else t["author_id"] == user_id)
            ),
            key=lambda t: int(t["id"]),
            reverse=True,
        )[:800]  # only the 800 newest mentions are reachable
        start = int(query["pagination_token"][1:]) if "pagination_token" in query else 0
        page = found[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + size < len(found):
            meta["next_token"] = f"p{start + size}"
        if not page:
            return Response(200, {"meta": meta})
        wanted = set(query.get("tweet.fields", "").split(","))
        keep = {"id", "text", "edit_history_tweet_ids"} | wanted
        data = [{k: v for k, v in t.items() if k in keep} for t in page]
        body: dict[str, Any] = {"data": data, "meta": meta}
        expansions = set(query.get("expansions", "").split(","))
        includes: dict[str, Any] = {}
        if "author_id" in expansions:
            includes["users"] = [self.users[a] for a in dict.fromkeys(t["author_id"] for t in page)]
        keys = [k for t in page for k in (t.get("attachments") or {}).get("media_keys", [])]
        if "attachments.media_keys" in expansions and keys:
            includes["media"] = [self.media[k] for k in keys]
        if includes:
            body["includes"] = includes
        return Response(200, body)

    def _oauth2_token(self, request: Request) -> Response:
        """grant_type=refresh_token: a new access token (two hours) and a new refresh token; the old one is dead."""
        form = {k: v[0] for k, v in request.form().items()}
        basic = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != basic or form.get("client_id") != self.client_id:
            return Response(401, {"error": "invalid_client", "error_description": "Missing valid authorization header"})
        if form.get("grant_type") != "refresh_token":
            return Response(400, {"error": "unsupported_grant_type", "error_description": "grant_type not supported"})
        if form.get("refresh_token") != self.refresh_token:
            return Response(
                400, {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
            )
        serial = next(self._ids)
        self.token, self.refresh_token = f"x-user-token-{serial}", f"x-refresh-token-{serial}"
        self.token_expires = time.time() + TOKEN_LIFETIME
        return Response(
            200,
            {
                "token_type": "bearer",
                "expires_in": TOKEN_LIFETIME,
                "access_token": self.token,
                "scope": "tweet.read tweet.write users.read offline.access media.write",
                "refresh_token": self.refresh_token,
            },
        )

    def _post(self, request: Request) -> Response:
        body = request.json()
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        if parse_tweet(text).weightedLength > 280:
            return problem(403, "Forbidden", "Your Tweet text is too long.")
        if self.over_update_limit:
            return problem(403, "Forbidden", "User is over daily status update limit.")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to and (reply_to not in self.tweets or reply_to in self.deleted):
            return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
        prefix = self._reply_prefix(reply_to)
        if any(t["text"] == prefix + self._wrapped(text)[0] for t in self.replies()):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        media_ids = [str(i) for i in (body.get("media") or {}).get("media_ids") or []]
        if len(media_ids) > 4 or any(i not in self.uploads for i in media_ids):
            return problem(400, "Invalid Request", "Your media IDs are invalid.")
        tweet = self._tweet(self.me, text, reply_to)
        wrapped, urls = self._wrapped(text)
        tweet["text"] = prefix + wrapped
        if media_ids:
            # X links the photos at the end of the text, a t.co URL whose entity names the media.
            keys = [self.uploads[i]["media_key"] for i in media_ids]
            short = f"https://t.co/{tweet['id'][-10:]}"
            tweet["text"] += f" {short}"
            urls.append({"url": short, "expanded_url": f"https://x.com/songpa/status/{tweet['id']}/photo/1",
                         "media_key": keys[0]})  # fmt: skip
            tweet["attachments"] = {"media_keys": keys}
            for key in keys:
                self.media[key] = {"media_key": key, "type": "photo", "url": f"{self.base_url}/media/{key}.jpg"}
        if urls:
            tweet["entities"] = {"urls": urls}
        if self.lose_next_post_response:
            self.lose_next_post_response = False
            return problem(503, "Service Unavailable", "Service Unavailable")
        return Response(
            201, {"data": {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}}
        )

    def _upload(self, request: Request) -> Response:
        """POST /2/media/upload: a multipart `media` image with `media_category`; the upload's id and media_key."""
        parts = request.parts()
        content_type, data = parts.get("media", ("", b""))
        category = parts.get("media_category", ("", b""))[1].decode()
        if not data or not content_type.startswith("image/") or category != "tweet_image":
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        media_id = str(next(self._ids))
        self.uploads[media_id] = {"media_key": f"3_{media_id}", "data": data}
        return Response(
            200,
            {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(data), "expires_after_secs": 86400}},
        )

    def _reply_prefix(self, reply_to: str | None) -> str:
        """What X puts in front of a reply's text: "@handle " of the author replied to (unless it is us)."""
        if not reply_to or reply_to not in self.tweets:
            return ""
        author = self.users[self.tweets[reply_to]["author_id"]]
        return "" if author["id"] == self.me["id"] else f"@{author['username']} "

    def _wrapped(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """X stores every link twitter-text finds as a t.co one and lists what it linked in entities.urls: a link
        ends where twitter-text ends it (at the first Hangul character of a path, say), the rest stays text."""
        urls, out, position = [], [], 0
        for found in extract_urls_with_indices(text):
            start, end = found["indices"]
            short = "https://t.co/" + hashlib.sha1(found["url"].encode()).hexdigest()[:10]
            urls.append({"url": short, "expanded_url": found["url"], "display_url": found["url"][8:30]})
            out += [text[position:start], short]
            position = end
        out.append(text[position:])
        text = "".join(out)
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), urls


@contextmanager
def running() -> Iterator[FakeX]:
    """A fake X on a free local port."""
    fake = FakeX()
    with serve(fake) as base_url:
        fake.base_url = base_url
        yield fake


def event_body(fake: FakeX, tweet: dict[str, Any]) -> bytes:
    """An Account Activity tweet_create_events delivery (v1.1 tweet objects) for one mention."""
    author = fake.users[tweet["author_id"]]
    created = dt.datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
    v1 = {
        "id_str": tweet["id"],
        "created_at": created.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "text": tweet["text"],
        "user": {"id_str": author["id"], "screen_name": author["username"], "name": author["name"]},
        "in_reply_to_status_id_str": None,
    }
    return json.dumps({"for_user_id": fake.me["id"], "tweet_create_events": [v1]}, ensure_ascii=False).encode()
