"""The anonymous page cache: public pages served from memory for the few seconds their views allow.

A small shared cache in front of the application (one per process, like a reverse proxy's, in memory), so a
crowd of anonymous visitors reading the same list costs one render per few seconds instead of one each.
It stores a response only when every one of these holds:

- the request is a GET from a visitor without a staff session and without queued flash messages
  (those pages may carry a name or a message meant for one person), and carries no `Authorization`;
- the view marked the response `Cache-Control: public, max-age=N` (N > 0): views opt in, nothing is cached by
  default; the entry lives min(N, `max_seconds`) seconds;
- the status is 200 and the response sets no cookie;
- rendering it left the visitor's session as it was (a page that created a CSRF token or popped a flash has a
  form or a message for this visitor alone).

The key is the path, the query (parameters sorted) and the language the page is rendered in (chosen like
`request_language`: ?lang=, the session's choice, Accept-Language, the default). Concurrent misses of one key
render once; the others wait for it. Every entry is dropped when what the public may see changes (a case
released, edited, hidden or made private): at once in the process that made the change
(`cases.actions.on_public_change`, wired in app.py), and in every other process before its next cache hit, which
first compares the public generation in the database (generation.py); otherwise an entry lives `max_seconds`
(the case page itself is never cached).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sotong.i18n import LANGUAGES, choose_language
from sotong.portal.generation import CHECKED, GenerationWatch
from sotong.settings import Settings
from sotong.web.session import FLASH_KEY, LANG_KEY, USER_KEY

# Headers a cached response is replayed with; the rest (Date, Server, session cookie) come fresh.
_KEPT = {b"content-type", b"content-length", b"cache-control", b"vary", b"content-security-policy", b"etag"}
# A page is a few dozen kB; anything bigger (a streamed export) is passed through, never held in memory.
MAX_BODY = 1_000_000
# The pages worth it: the list (with its filters and searches) and the statistics.
CACHED_PATHS = frozenset({"/", "/stats"})


@dataclass
class _Entry:
    stored: float
    expires: float
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class PageCache:
    """The stored pages of one process; `clock` is replaceable so tests can move time."""

    max_seconds: float
    default_language: str = "ko"
    paths: frozenset[str] = CACHED_PATHS
    max_entries: int = 1000  # a list page is ~17 kB, /stats ~36 kB: at most ~20-35 MB per process
    clock: Callable[[], float] = time.monotonic
    _entries: dict[tuple[Any, ...], _Entry] = field(default_factory=dict)
    _pending: dict[tuple[Any, ...], asyncio.Future[_Entry | None]] = field(default_factory=dict)

    @classmethod
    def for_settings(cls, settings: Settings) -> PageCache:
        """Off when `portal_cache_seconds` is 0; else entries live as long as their view allows, at most the
        longer of the list's and the statistics' staleness bound."""
        seconds = max(settings.portal_cache_seconds, settings.stats_cache_seconds)
        return cls(
            max_seconds=seconds if settings.portal_cache_seconds else 0, default_language=settings.default_language
        )

    def get(self, key: tuple[Any, ...]) -> _Entry | None:
        """A fresh entry of `key`, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self.clock():
            del self._entries[key]
            return None
        return entry

    def put(self, key: tuple[Any, ...], entry: _Entry) -> None:
        """Store `entry`; when full, expired entries go first, then the soonest to expire."""
        if len(self._entries) >= self.max_entries:
            now = self.clock()
            for stale in [k for k, e in self._entries.items() if e.expires <= now]:
                del self._entries[stale]
            while len(self._entries) >= self.max_entries:
                del self._entries[min(self._entries, key=lambda k: self._entries[k].expires)]
        self._entries[key] = entry

    def clear(self) -> None:
        """Forget every stored page."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def anonymous(request: Request) -> bool:
    """True for a visitor without a staff session and without queued messages: what such a visitor sees, anyone
    else without them sees too (call before rendering: rendering pops the messages)."""
    return USER_KEY not in request.session and FLASH_KEY not in request.session


def mark_public(response: Response, seconds: int) -> Response:
    """Let the page cache and any reverse proxy share `response` for `seconds` (nothing when 0).

    Vary: the language comes from the session cookie or Accept-Language, so a proxy keys on both (in practice
    it shares only among visitors without a cookie, which portal readers are).
    """
    if seconds > 0:
        response.headers["Cache-Control"] = f"public, max-age={seconds}"
        response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def _max_age(cache_control: str) -> int:
    """N of `public, max-age=N`; 0 for anything not marked public (private, no-store, no header)."""
    directives = [d.strip().lower() for d in cache_control.split(",")]
    if "public" not in directives or "no-store" in directives or "private" in directives:
        return 0
    for directive in directives:
        if directive.startswith("max-age="):
            try:
                return max(0, int(directive.removeprefix("max-age=")))
            except ValueError:
                return 0
    return 0


class PageCacheMiddleware:
    """Serve anonymous GETs of pages their views marked public from `cache` (see the module docstring).

    Installed inside the session middleware, which has decoded the visitor's session into `scope["session"]`.
    """

    def __init__(self, app: ASGIApp, cache: PageCache, watch: GenerationWatch | None = None) -> None:
        self.app = app
        self.cache = cache
        self.watch = watch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.cache.max_seconds <= 0
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] not in self.cache.paths
        ):
            await self.app(scope, receive, send)
            return
        session: dict[str, Any] = scope.get("session", {})
        headers = Headers(scope=scope)
        if USER_KEY in session or FLASH_KEY in session or "authorization" in headers:
            await self.app(scope, receive, send)
            return
        query = QueryParams(scope.get("query_string", b""))
        chosen = query.get("lang")
        lang = choose_language(
            query=chosen,
            stored=session.get(LANG_KEY),
            user_pref=None,
            accept=headers.get("accept-language"),
            default=self.cache.default_language,
        )
        key = (scope["path"], tuple(sorted(query.multi_items())), lang)
        if self.watch is not None:
            # Before the cache is read, hit or miss: another process may have changed what the public may see
            # (then the cache is emptied), and a page rendered now is stored as of the generation just read.
            await self._moved(scope)
        entry = self.cache.get(key)
        if entry is None and key in self.cache._pending:
            entry = await asyncio.shield(self.cache._pending[key])  # someone is rendering it: wait, then share
        if entry is not None:
            if chosen in LANGUAGES:
                session[LANG_KEY] = chosen  # what the view does with ?lang=: the choice is remembered
            await self._replay(entry, send)
            return
        await self._render(scope, receive, send, key, session)

    async def _moved(self, scope: Scope) -> bool:
        """Whether the public generation moved, the caches then emptied (read once per request, in a worker
        thread: it is a query)."""
        state = scope.setdefault("state", {})
        if state.get(CHECKED) or self.watch is None:
            return False
        state[CHECKED] = True
        return await run_in_threadpool(self.watch.check)

    async def _render(self, scope: Scope, receive: Receive, send: Send, key: tuple[Any, ...], session: Any) -> None:
        pending: asyncio.Future[_Entry | None] = asyncio.get_running_loop().create_future()
        self.cache._pending[key] = pending
        before = {k: v for k, v in session.items() if k != LANG_KEY}
        kept: list[tuple[bytes, bytes]] = []
        seconds = 0.0
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal seconds, size
            if message["type"] == "http.response.start":
                seconds = self._seconds(message)
                kept.extend((k, v) for k, v in message.get("headers", []) if k.lower() in _KEPT)
            elif message["type"] == "http.response.body" and seconds > 0:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_BODY:
                    seconds, chunks[:] = 0, []
                else:
                    chunks.append(body)
            await send(message)

        entry: _Entry | None = None
        try:
            await self.app(scope, receive, capture)
            unchanged = {k: v for k, v in session.items() if k != LANG_KEY} == before
            if seconds > 0 and unchanged:
                now = self.cache.clock()
                entry = _Entry(now, now + seconds, kept, b"".join(chunks))
                self.cache.put(key, entry)
        finally:
            if self.cache._pending.get(key) is pending:  # waiters who got nothing may have started their own
                del self.cache._pending[key]
            pending.set_result(entry)

    def _seconds(self, start: Message) -> float:
        """How long this response may be kept: 0 unless a public 200 without a cookie."""
        headers = Headers(raw=start.get("headers", []))
        if start.get("status") != 200 or "set-cookie" in headers:
            return 0
        return min(_max_age(headers.get("cache-control", "")), self.cache.max_seconds)

    async def _replay(self, entry: _Entry, send: Send) -> None:
        # Age: a proxy behind us counts the seconds spent here against the page's max-age.
        age = str(int(self.cache.clock() - entry.stored)).encode()
        headers = [*entry.headers, (b"age", age)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})
