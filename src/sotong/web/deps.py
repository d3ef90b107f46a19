"""Request-scoped dependencies: settings, the database session, the logged-in staff user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.orgs.auth import active_user
from sotong.orgs.models import User
from sotong.settings import Settings
from sotong.web.session import session_matches, user_id_of


class NotAuthenticated(Exception):
    """No valid staff session: pages redirect to the log-in form, the API answers 401."""


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
