"""What the sandboxes share: their Korean page frame, their static files, and a store of chat bubbles.

Nothing here knows a platform: each sandbox module speaks its own platform's API and uses these for its pages.
"""

from __future__ import annotations

import html
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

STATIC = Path(__file__).parent / "static"
BADGE = '<p class="sandbox-badge">연습용(샌드박스)</p>'


def root(request: Request) -> str:
    """The path the sandbox is mounted at (its pages link under it)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def absolute(request: Request) -> str:
    """The sandbox's own absolute URL, as the product reaches it."""
    return f"{request.url.scheme}://{request.url.netloc}{root(request)}"


def page(title: str, body: str, *, root: str, script: str = "") -> HTMLResponse:
    """A sandbox page: Korean, phone-sized, with the sandbox stylesheet and at most one script."""
    tag = f'<script src="{root}/static/{script}" defer></script>' if script else ""
    return HTMLResponse(
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><link rel="stylesheet" href="{root}/static/sandbox.css"></head>'
        f'<body><main class="sandbox">{body}</main>{tag}</body></html>'
    )


def static_files(*names: str) -> Any:
    """A route handler serving these files of the static folder (and nothing else)."""
    allowed = frozenset(names) | {"sandbox.css"}

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in allowed:
            return Response(status_code=404)
        return FileResponse(STATIC / name)

    return static


def chat_window(
    *, base: str, storage: str, new_user: str, hint: str, theme: str, placeholder: str = "민원 내용을 입력하세요"
) -> str:
    """The markup of a chat window driven by static/chat.js: `base` answers /say and /messages; `new_user` is the
    pattern of a new citizen's id in this browser (# a random digit, * a random hex digit); `theme` the platform's
    colours (sandbox.css)."""
    return (
        f'<section class="chat chat-{html.escape(theme)}" data-chat data-base="{html.escape(base)}" '
        f'data-storage="{html.escape(storage)}" data-new-user="{html.escape(new_user)}">'
        '<p class="chat-me" data-me></p>'
        '<ol class="bubbles" data-bubbles aria-live="polite"></ol>'
        '<form class="composer" data-composer><label for="say" class="visually-hidden">메시지</label>'
        f'<textarea id="say" name="text" rows="2" placeholder="{html.escape(placeholder)}" required></textarea>'
        '<button type="submit">보내기</button></form></section>'
        f'<p class="hint">{html.escape(hint)}</p>'
    )


@dataclass
class Chats:
    """Chat bubbles by conversation (a bot and a user, a Page and a visitor, two phone numbers)."""

    chats: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self, owner: str, user: str, sender: str, text: str, via: str, buttons: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        """One bubble: ``sender`` is "user" (the citizen), "bot" (the organisation) or "system" (the sandbox);
        ``buttons`` the quick replies under it (each a ``title`` and the ``code`` a press sends back)."""
        with self._lock:
            bubble = {"id": next(self._ids), "from": sender, "text": text, "via": via, "at": time.time()}
            if buttons:
                bubble["buttons"] = buttons
            self.chats.setdefault((owner, user), []).append(bubble)
            return bubble

    def chat(self, owner: str, user: str, after: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(b) for b in self.chats.get((owner, user), []) if b["id"] > after]


def after_id(request: Request) -> int:
    after = request.query_params.get("after", "")
    return int(after) if after.isdigit() else 0
