"""A faithful fake of the Facebook Graph API for one app with two Pages: the webhooks it sends (signed like
Facebook signs them, one callback URL for the app, so a delivery may carry entries of both Pages) and the calls
we make back: comment replies and Messenger sends, each with the token of the Page they belong to, Graph's error
bodies ({"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}), HTTP 400 for a deleted
object (code 100, subcode 33), the 24-hour Messenger window and the HUMAN_AGENT tag's 7 days (code 10, subcode
2018278 outside them), photo-only comments and messages (their photos served from the CDN without a token),
comment lists paged with cursors (``limit``, ``after``, ``paging.next``) and Page throttling (code 32 with
X-Business-Use-Case-Usage)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import Request, Response, jpeg, serve

VERSION = "v21.0"


def _error(message: str, code: int, subcode: int | None = None, kind: str = "OAuthException") -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class FakeGraph:
    """송파구청's Page, its posts, the citizens' comments and Messenger threads."""

    page_id: str = "104857600123456"
    page_token: str = "EAAB-page-token"
    app_secret: str = "app-secret-0123"
    # The app's second Page (송파구 보건소), subscribed to the same app and so to the same callback URL.
    second_page_id: str = "104857600654321"
    second_page_token: str = "EAAB-second-page-token"
    human_agent_permission: bool = True  # the app was granted Meta's Human Agent permission
    requests: list[Request] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # posts and comments by id
    sent_messages: list[dict[str, Any]] = field(default_factory=list)
    last_user_message: dict[str, dt.datetime] = field(default_factory=dict)  # PSID → when they last wrote
    throttled_minutes: int | None = None
    base_url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(900_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.page_post = self._object(f"{self.page_id}_{next(self._ids)}", self.page_id, "송파구청", "도로 공사 안내")
        self.second_post = self._object(
            f"{self.second_page_id}_{next(self._ids)}", self.second_page_id, "송파구 보건소", "예방접종 안내"
        )
        self.photos: dict[str, bytes] = {}

    @property
    def tokens(self) -> dict[str, str]:
        """Each Page's token, by Page id."""
        return {self.page_id: self.page_token, self.second_page_id: self.second_page_token}

    def page_of(self, object_id: str) -> str:
        """The Page a post or comment belongs to."""
        obj = self.objects[object_id]
        while obj["parent"] is not None:
            obj = self.objects[obj["parent"]]
        return str(obj["from"]["id"])

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/{VERSION}"

    def _object(
        self, object_id: str, from_id: str, name: str, message: str, parent: str | None = None
    ) -> dict[str, Any]:
        obj = {"id": object_id, "from": {"id": from_id, "name": name}, "message": message, "parent": parent}
        self.objects[object_id] = obj
        return obj

    # ----------------------------------------------------------------- webhooks Facebook sends us

    def sign(self, body: bytes, secret: str | None = None) -> dict[str, str]:
        """Headers Facebook sends with a webhook body."""
        digest = hmac.new((secret or self.app_secret).encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}

    def _entry(self, page: str | None = None, **kwargs: Any) -> bytes:
        entry = {"id": page or self.page_id, "time": int(dt.datetime.now(dt.UTC).timestamp()), **kwargs}
        # Facebook's JSON escapes non-ASCII; the signature is over exactly these bytes.
        return json.dumps({"object": "page", "entry": [entry]}).encode()

    @staticmethod
    def batch(*bodies: bytes) -> bytes:
        """One delivery carrying the entries of several (Facebook batches events of the app's Pages)."""
        entries = [entry for body in bodies for entry in json.loads(body)["entry"]]
        return json.dumps({"object": "page", "entry": entries}).encode()

    def photo(self) -> str:
        """A photo a citizen attached, on Facebook's CDN (a signed URL, fetched without a token)."""
        name = f"{next(self._ids)}_n.jpg"
        self.photos[name] = jpeg()
        return f"{self.base_url}/cdn/{name}?oh=00_AfB&oe=67A1B2C3"

    def comment(
        self,
        text: str,
        *,
        user_id: str = "2001",
        name: str = "김민지",
        post_id: str | None = None,
        parent_id: str | None = None,
        page: str | None = None,
        photo: bool = False,
    ) -> tuple[str, bytes]:
        """A citizen comments on a Page post (or replies under a comment), with a photo if `photo` (then `text`
        may be empty); returns its id and the webhook body."""
        page = page or self.page_id
        post = post_id or (self.page_post if page == self.page_id else self.second_post)["id"]
        comment_id = f"{post.split('_')[-1]}_{next(self._ids)}"
        self._object(comment_id, user_id, name, text, parent_id or post)
        value: dict[str, Any] = {
            "from": {"id": user_id, "name": name},
            "post_id": post,
            "comment_id": comment_id,
            "parent_id": parent_id or post,
            "created_time": int(dt.datetime.now(dt.UTC).timestamp()),
            "item": "comment",
            "verb": "add",
            "message": text,
        }
        if photo:
            value["photo"] = self.photo()
        return comment_id, self._entry(page, changes=[{"field": "feed", "value": value}])

    def page_reply_echo(self, comment_id: str) -> bytes:
        """The feed event Facebook sends for the Page's own reply."""
        obj = self.objects[comment_id]
        value = {
            "from": {"id": self.page_id, "name": "송파구청"},
            "post_id": self.page_post["id"],
            "comment_id": comment_id,
            "parent_id": obj["parent"],
            "created_time": int(dt.datetime.now(dt.UTC).timestamp()),
            "item": "comment",
            "verb": "add",
            "message": obj["message"],
        }
        return self._entry(changes=[{"field": "feed", "value": value}])

    def messenger(
        self, text: str, *, psid: str = "7001", echo: bool = False, page: str | None = None, photo: bool = False
    ) -> tuple[str, bytes]:
        """A Messenger message to the Page (or the echo of one the Page sent), with a photo if `photo` (then
        `text` may be empty); returns its mid and the body."""
        page = page or self.page_id
        mid = f"m_{next(self._ids)}"
        now = dt.datetime.now(dt.UTC)
        if not echo:
            self.last_user_message[psid] = now
        message: dict[str, Any] = {"mid": mid}
        if text:
            message["text"] = text
        if photo:
            message["attachments"] = [{"type": "image", "payload": {"url": self.photo()}}]
        sender, recipient = (page, psid) if echo else (psid, page)
        if echo:
            message["is_echo"] = True
        event = {
            "sender": {"id": sender},
            "recipient": {"id": recipient},
            "timestamp": int(now.timestamp() * 1000),
            "message": message,
        }
        return mid, self._entry(page, messaging=[event])

    def replies_to(self, object_id: str) -> list[dict[str, Any]]:
        """The Page's replies under an object."""
        page = self.page_of(object_id)
        return [o for o in self.objects.values() if o["parent"] == object_id and o["from"]["id"] == page]

    # ----------------------------------------------------------------- the Graph API

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            return self._route(request)

    def _route(self, request: Request) -> Response:
        if request.method == "GET" and request.path.startswith("/cdn/"):
            data = self.photos.get(request.path.removeprefix("/cdn/"))
            return Response(200, data, {"Content-Type": "image/jpeg"}) if data else Response(404, b"")
        prefix = f"/{VERSION}/"
        if not request.path.startswith(prefix):
            return Response(400, _error("Unknown path components", 2500))
        token = (request.query.get("access_token") or [""])[0]
        pages = [page for page, page_token in self.tokens.items() if page_token == token]
        if not pages:
            return Response(400, _error("Invalid OAuth access token - Cannot parse access token", 190))
        [token_page] = pages
        proof = (request.query.get("appsecret_proof") or [""])[0]
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if proof and not hmac.compare_digest(proof, expected):
            # Graph checks a proof whenever one is given (and requires it when the app says so).
            return Response(400, _error("Invalid appsecret_proof provided in the API argument", 100))
        if self.throttled_minutes is not None:
            usage = {
                self.page_id: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 20,
                        "total_time": 30,
                        "estimated_time_to_regain_access": self.throttled_minutes,
                    }
                ]
            }
            return Response(
                400,
                _error("(#32) Page request limit reached", 32),
                {"X-Business-Use-Case-Usage": json.dumps(usage)},
            )
        parts = request.path[len(prefix) :].split("/")
        if request.method == "GET" and parts == ["me"]:
            # A Page token's "me" is the Page itself.
            names = {self.page_id: "송파구청", self.second_page_id: "송파구 보건소"}
            return Response(200, {"id": token_page, "name": names[token_page]})
        if parts[0] in self.objects and self.page_of(parts[0]) != token_page:
            # Another Page's object: its token is not this one.
            return Response(403, _error("(#200) Permissions error", 200, kind="OAuthException"))
        if request.method == "POST" and len(parts) == 2 and parts[1] == "comments":
            return self._comment(parts[0], request)
        if request.method == "POST" and len(parts) == 2 and parts[1] == "messages":
            if parts[0] != token_page:
                return Response(403, _error("(#200) Permissions error", 200))
            return self._message(request)
        if request.method == "GET" and parts[0] not in self.objects:
            return Response(400, _error(f"Object with ID '{parts[0]}' does not exist", 100, 33, "GraphMethodException"))
        if request.method == "GET" and len(parts) == 1:
            node: dict[str, Any] = {"id": parts[0]}
            parent = self.objects[parts[0]]["parent"]
            if parent is not None and self.objects.get(parent, {}).get("parent") is not None:
                node["parent"] = {"id": parent}  # only comments have a parent comment
            return Response(200, node)
        if request.method == "GET" and len(parts) == 2 and parts[1] == "comments":
            children = [o for o in self.objects.values() if o["parent"] == parts[0]]
            if (request.query.get("order") or [""])[0] == "reverse_chronological":
                children.reverse()
            limit = min(int((request.query.get("limit") or ["25"])[0]), 100)
            start = int((request.query.get("after") or ["c0"])[0][1:])
            page = children[start : start + limit]
            data = [{"id": o["id"], "from": o["from"], "message": o["message"]} for o in page]
            paging: dict[str, Any] = {"cursors": {"before": f"c{start}", "after": f"c{start + len(page)}"}}
            if start + limit < len(children):
                paging["next"] = f"{self.graph_url}/{parts[0]}/comments?after=c{start + limit}&limit={limit}"
            return Response(200, {"data": data, "paging": paging})
        return Response(400, _error("Unsupported request", 100))

    def _comment(self, object_id: str, request: Request) -> Response:
        if object_id not in self.objects:
            return Response(
                400,
                _error(
                    f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
                    "missing permissions, or does not support this operation.",
                    100,
                    33,
                    "GraphMethodException",
                ),
            )
        parts = request.parts()  # a comment with a photo comes as multipart: message + source
        message = parts["message"][1].decode() if "message" in parts else (request.form().get("message") or [""])[0]
        photo = parts.get("source")
        if photo is not None and not photo[0].startswith("image/"):
            return Response(400, _error("(#100) Invalid image", 100))
        if not message.strip() and photo is None:
            return Response(400, _error("(#100) Missing message or attachment", 100))
        # Replies to a reply land under the top-level comment: Facebook threads are two levels deep.
        target = self.objects[object_id]
        is_reply = target["parent"] is not None and self.objects.get(target["parent"], {}).get("parent") is not None
        top = target["parent"] if is_reply else object_id
        reply_id = f"{top.split('_')[0]}_{next(self._ids)}"
        page = self.page_of(object_id)
        self._object(reply_id, page, "송파구청", message, top)
        if photo is not None:
            self.objects[reply_id]["photo"] = photo[1]
        return Response(200, {"id": reply_id})

    def _message(self, request: Request) -> Response:
        body = request.json()
        psid = str((body.get("recipient") or {}).get("id") or "")
        text = str((body.get("message") or {}).get("text") or "")
        if not psid or not text or body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return Response(400, _error("(#100) param recipient, message and messaging_type are required", 100))
        last = self.last_user_message.get(psid)
        since = dt.datetime.now(dt.UTC) - last if last is not None else None
        if body.get("messaging_type") == "MESSAGE_TAG":
            if body.get("tag") != "HUMAN_AGENT" or not self.human_agent_permission:
                return Response(400, _error("(#10) This message is sent outside of allowed window.", 10, 2018278))
            window = dt.timedelta(days=7)
        else:
            window = dt.timedelta(hours=24)
        if since is None or since > window:
            return Response(400, _error("(#10) This message is sent outside of allowed window.", 10, 2018278))
        mid = f"m_{next(self._ids)}"
        self.sent_messages.append({"recipient": psid, "text": text, "mid": mid, "tag": body.get("tag")})
        return Response(200, {"recipient_id": psid, "message_id": mid})


@contextmanager
def running(fake: FakeGraph | None = None) -> Iterator[FakeGraph]:
    """A fake Graph API listening on 127.0.0.1; its base_url is set."""
    fake = fake or FakeGraph()
    with serve(fake) as url:
        fake.base_url = url
        yield fake
