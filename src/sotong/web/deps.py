"""Request-scoped dependencies: settings, the database session, the logged-in staff user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.db import utcnow
from sotong.orgs import tokens
from sotong.orgs.actions.tokens import note_use
from sotong.orgs.auth import active_user
from sotong.orgs.models import User
from sotong.settings import Settings
from sotong.web.session import session_matches, user_id_of


class NotAuthenticated(Exception):
    """No valid staff session (or API token): pages redirect to the log-in form, the API answers 401 with the
    reason (`code`, `reason`)."""

    def __init__(self, code: str = "not_authenticated", reason: str = "log in first") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request, closed when the response is done (actions commit their own work)."""
    with request.app.state.sessions() as session:
        # Template helpers (the menu's unread count) read through this same session: a second one per request
        # would hold a second pooled connection, and under load every worker's pool would run dry waiting.
        request.state.db = session
        yield session


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def optional_user(request: Request, db: DbSession) -> User | None:
    """The logged-in staff user, or None; a session of a deactivated account or an old password is dropped."""
    user_id = user_id_of(request)
    if user_id is None:
        return None
    user = active_user(db, user_id)
    if user is None or not session_matches(request, user):
        request.session.clear()
        return None
    request.state.user = user
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in staff user; NotAuthenticated otherwise."""
    if user is None:
        raise NotAuthenticated()
    return user


def staff_actor(user: Annotated[User, Depends(current_user)]) -> Actor:
    """The actor of the logged-in staff user."""
    return Actor.for_user(user)


CurrentUser = Annotated[User, Depends(current_user)]
StaffActor = Annotated[Actor, Depends(staff_actor)]


def _bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header; None without the header; 401 for another scheme."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("invalid_token", "the Authorization header must be 'Bearer <API token>'")
    return value.strip()


def api_actor(scope: str) -> Callable[[Request, Session], Actor]:
    """A JSON API route's actor: the API token's (`Authorization: Bearer`), which must hold `scope`, or else the
    staff session's (whose role decides, as on the pages). A bad token is a 401 with the reason, never a fall back
    to the session."""
    assert scope in tokens.SCOPES, scope

    def dependency(request: Request, db: DbSession) -> Actor:
        token = _bearer_token(request)
        if token is None:
            user = optional_user(request, db)
            if user is None:
                raise NotAuthenticated()
            return Actor.for_user(user)
        now = utcnow()
        try:
            bearer = tokens.check(db, token, now=now)
        except tokens.TokenRefused as exc:
            raise NotAuthenticated(exc.code, exc.reason) from None
        if bearer.last_used_at is None or now - bearer.last_used_at >= tokens.LAST_USED_RESOLUTION:
            note_use(db, token_id=bearer.token_id, ip=request.client.host if request.client else None, now=now)
        if not tokens.allows(bearer.scopes, scope):
            raise tokens.InsufficientScope(f"this API token lacks the scope {scope}", scope=scope)
        return bearer.actor

    return dependency


CasesReader = Annotated[Actor, Depends(api_actor("cases:read"))]
CasesWriter = Annotated[Actor, Depends(api_actor("cases:write"))]
DeliveriesReader = Annotated[Actor, Depends(api_actor("deliveries:read"))]
DeliveriesWriter = Annotated[Actor, Depends(api_actor("deliveries:write"))]
