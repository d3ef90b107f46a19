"""What the signed session cookie holds: the user, a fingerprint of their sessions, the CSRF token, flashes.

The cookie is signed, not encrypted: nothing secret goes in it. It is also not the session's only record: the
fingerprint is checked against the user's row on every request, so the server can end a session whose cookie was
copied (log-out, "sign out everywhere", deactivation and a new password bump `User.session_generation`).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from fastapi import Request

from sotong.orgs.models import User

USER_KEY = "uid"
EPOCH_KEY = "epoch"
CSRF_KEY = "csrf"
LANG_KEY = "lang"
FLASH_KEY = "flash"
# Between the password and the second factor: who, with which fingerprint, since when (nothing is open yet).
PENDING_KEY = "pending"
PENDING_SECONDS = 300


def _epoch(user: User) -> str:
    # Changes with the password hash and the session generation: either ends every session of the user.
    material = f"{user.password_hash}:{user.session_generation or 0}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def start_user_session(request: Request, user: User) -> None:
    """Log `user` in: a fresh session (new CSRF token) keeping only the chosen language."""
    lang = request.session.get(LANG_KEY)
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[EPOCH_KEY] = _epoch(user)
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    if lang:
        request.session[LANG_KEY] = lang


def start_pending_session(request: Request, user: User, *, now: float) -> None:
    """The password was right; the second factor is still to come. No staff page opens on this session."""
    lang = request.session.get(LANG_KEY)
    request.session.clear()
    request.session[PENDING_KEY] = {"uid": user.id, "epoch": _epoch(user), "at": int(now)}
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    if lang:
        request.session[LANG_KEY] = lang


def pending_user_id(request: Request, *, now: float) -> int | None:
    """The user whose password was right within the last PENDING_SECONDS, awaiting the second factor."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    if not isinstance(pending.get("at"), int) or now - pending["at"] > PENDING_SECONDS:
        return None
    return int(pending["uid"])


def pending_matches(request: Request, user: User) -> bool:
    """Whether the pending sign-in was started with the user's current password and session generation."""
    pending = request.session.get(PENDING_KEY) or {}
    return secrets.compare_digest(str(pending.get("epoch", "")), _epoch(user))


def end_user_session(request: Request) -> None:
    """Log out, keeping only the chosen language."""
    lang = request.session.get(LANG_KEY)
    request.session.clear()
    if lang:
        request.session[LANG_KEY] = lang


def user_id_of(request: Request) -> int | None:
    """The user id the session claims (not yet checked against the database)."""
    value = request.session.get(USER_KEY)
    return value if isinstance(value, int) else None


def session_matches(request: Request, user: User) -> bool:
    """Whether the session was opened with the user's current password and session generation."""
    return secrets.compare_digest(str(request.session.get(EPOCH_KEY, "")), _epoch(user))


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def flash(request: Request, kind: str, message: str) -> None:
    """Queue a message for the next page shown (kind: success or error)."""
    messages: list[dict[str, Any]] = list(request.session.get(FLASH_KEY, []))
    messages.append({"kind": kind, "message": message})
    request.session[FLASH_KEY] = messages[-5:]


def pop_flashes(request: Request) -> list[dict[str, Any]]:
    """The queued messages, removed from the session."""
    messages: list[dict[str, Any]] = request.session.pop(FLASH_KEY, [])
    return messages
