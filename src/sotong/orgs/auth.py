"""Staff log-in and log-out as actions: throttled by user name and address, every attempt recorded and audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import LoginThrottled, PermissionDenied
from sotong.orgs.models import LoginAttempt, User
from sotong.orgs.passwords import hash_password, needs_rehash, verify_password

USERNAME_MAX = 64
IP_MAX = 64
BAD_CREDENTIALS = "wrong user name or password"


class LoginFailed(PermissionDenied):
    """Wrong user name or password, or an inactive account: one message for all, so none is confirmed."""

    code = "login_failed"
    http_status = 401


_dummy_hash: str | None = None


def _burn_time(password: str) -> None:
    # An unknown user name costs the same hash as a known one, so timing does not reveal which names exist.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("not-a-real-password")
    verify_password(_dummy_hash, password)


def is_throttled(
    session: Session, *, username: str, ip: str, max_failures: int, window_seconds: int, now: dt.datetime
) -> bool:
    """True when the user name or the address has failed `max_failures` times within the window."""
    since = now - dt.timedelta(seconds=window_seconds)
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True), LoginAttempt.at >= since
        )
    )
    # A success clears the name's count (only the owner can succeed); an address's count is never cleared,
    # or an attacker with one valid account could reset it between guesses at others.
    user_query = select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    if last_success is not None:
        user_query = user_query.where(LoginAttempt.at > last_success)
    user_failures = session.scalar(user_query)
    if (user_failures or 0) >= max_failures:
        return True
    ip_failures = session.scalar(
        select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    )
    return (ip_failures or 0) >= max_failures


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str,
    max_failures: int,
    window_seconds: int,
) -> User:
    """Check a staff user's credentials; refuse outright (LoginThrottled) while the name or address is locked out."""
    username = username.strip()[:USERNAME_MAX]
    ip = (ip or "unknown")[:IP_MAX]
    now = utcnow()
    if is_throttled(
        session, username=username, ip=ip, max_failures=max_failures, window_seconds=window_seconds, now=now
    ):
        with atomic(session):
            # Not counted as a failure: the lock-out ends a window after the last real attempt.
            record(
                session,
                actor=Actor(kind="citizen", label=f"login:{username}"),
                action="user.login_throttled",
                org_id=None,
                details={"username": username, "ip": ip},
            )
        minutes = max(1, window_seconds // 60)
        raise LoginThrottled(
            f"too many failed log-ins for this user name or address; try again in {minutes} minutes",
            retry_after_seconds=window_seconds,
        )
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        _burn_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_active
    with atomic(session):
        session.add(LoginAttempt(username=username, ip=ip, succeeded=ok, at=now))
        if ok and user is not None:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = now
            record(session, actor=Actor.for_user(user), action="user.login", org_id=user.org_id, details={"ip": ip})
        else:
            record(
                session,
                actor=Actor(kind="citizen", label=f"login:{username}"),
                action="user.login_failed",
                org_id=user.org_id if user is not None else None,
                details={"username": username, "ip": ip},
            )
    if not ok or user is None:
        raise LoginFailed(BAD_CREDENTIALS)
    return user


def logout(session: Session, *, actor: Actor) -> None:
    """Log a staff user out: every session of the account ends on the server, so a copied cookie is worthless.

    One generation per account (not a row per session): logging out on one device ends the others too.
    """
    with atomic(session):
        if actor.user_id is not None:
            user = session.get(User, actor.user_id, with_for_update=True)
            if user is not None:
                user.session_generation = (user.session_generation or 0) + 1
        record(session, actor=actor, action="user.logout", org_id=actor.org_id)


def active_user(session: Session, user_id: int) -> User | None:
    """The user a session belongs to, if the account still exists and is active."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
