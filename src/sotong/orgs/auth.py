"""Staff log-in and log-out as actions: throttled by user name and address, every attempt recorded and audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, LoginThrottled, PermissionDenied
from sotong.orgs.actions import twofactor as twofactor_actions
from sotong.orgs.models import LoginAttempt, User
from sotong.orgs.passwords import hash_password, needs_rehash, verify_password
from sotong.orgs.service import organisation

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


# A distributed guess at one account (many addresses, each under the per-address limit) still stops, for every
# address the account has not logged in from lately, after this many times the per-address limit.
ACCOUNT_WIDE_FACTOR = 10
KNOWN_ADDRESS_DAYS = 90


def is_throttled(
    session: Session, *, username: str, ip: str, max_failures: int, window_seconds: int, now: dt.datetime
) -> bool:
    """Whether this attempt (user name, address) is refused without checking the password.

    Built so that an outsider cannot lock the owner out (a CAPTCHA-free design, docs/security.md):

    1. the address: `max_failures` failures within the window from one address, whatever the user names, throttle
       that address, except for accounts that have logged in from it lately;
    2. the account at that address: `max_failures` failures for one user name from one address (since its last
       success there) throttle that pair only; the owner elsewhere is not affected;
    3. the account everywhere: `ACCOUNT_WIDE_FACTOR` × `max_failures` failures for one user name from any addresses
       throttle it at every address it has not logged in from within `KNOWN_ADDRESS_DAYS`: a botnet's guesses
       stop, and the owner at their usual office address still gets in.
    """
    since = now - dt.timedelta(seconds=window_seconds)
    failed = LoginAttempt.succeeded.is_(False)
    known = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.at >= now - dt.timedelta(days=KNOWN_ADDRESS_DAYS),
        )
    )
    if known is None:
        # An address's count is never cleared by a success, or one valid account would reset it between guesses.
        from_address = session.scalar(
            select(func.count()).where(LoginAttempt.ip == ip, failed, LoginAttempt.at >= since)
        )
        if (from_address or 0) >= max_failures:
            return True
    pair_since = max(since, known) if known is not None else since
    pair = session.scalar(
        select(func.count()).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip, failed, LoginAttempt.at > pair_since
        )
    )
    if (pair or 0) >= max_failures:
        return True
    if known is not None:
        return False
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True), LoginAttempt.at >= since
        )
    )
    account = select(func.count()).where(LoginAttempt.username == username, failed, LoginAttempt.at >= since)
    if last_success is not None:
        account = account.where(LoginAttempt.at > last_success)
    return (session.scalar(account) or 0) >= ACCOUNT_WIDE_FACTOR * max_failures


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
    _refuse_if_throttled(
        session, username=username, ip=ip, max_failures=max_failures, window_seconds=window_seconds, now=now
    )
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        _burn_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_active
    with atomic(session):
        second = ok and user is not None and needs_second_factor(session, user)
        if not second:
            # With a second factor to come, the password alone is no success: it must not clear any count, or
            # whoever knows it could guess codes for ever, five at a time.
            session.add(LoginAttempt(username=username, ip=ip, succeeded=ok, at=now))
        if ok and user is not None:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            if second:
                record(
                    session, actor=Actor.for_user(user), action="user.password_accepted", org_id=user.org_id,
                    details={"ip": ip},
                )  # fmt: skip
            else:
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


def _refuse_if_throttled(
    session: Session, *, username: str, ip: str, max_failures: int, window_seconds: int, now: dt.datetime
) -> None:
    if not is_throttled(
        session, username=username, ip=ip, max_failures=max_failures, window_seconds=window_seconds, now=now
    ):
        return
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
        f"too many failed log-ins from this address; try again in {minutes} minutes",
        retry_after_seconds=window_seconds,
    )


def needs_second_factor(session: Session, user: User) -> bool:
    """Whether the user signs in with a TOTP code too: enrolled, or their organisation requires it."""
    return user.totp_enabled or organisation(session, user.org_id).require_two_factor


def second_factor(
    session: Session,
    *,
    user_id: int,
    code: str,
    ip: str,
    max_failures: int,
    window_seconds: int,
    enrolling: bool = False,
) -> User:
    """The second step of a log-in: the TOTP code (or, `enrolling`, the first code of a new secret).

    Throttled and recorded like passwords: a wrong code is a failed log-in of that user name at that address.
    """
    ip = (ip or "unknown")[:IP_MAX]
    now = utcnow()
    user = active_user(session, user_id)
    if user is None:
        raise LoginFailed(BAD_CREDENTIALS)
    username = user.username
    _refuse_if_throttled(
        session, username=username, ip=ip, max_failures=max_failures, window_seconds=window_seconds, now=now
    )
    if enrolling:
        try:
            twofactor_actions.confirm_enrolment(
                session, actor=Actor.for_user(user), user_id=user.id, code=code, now=now
            )
            ok = True
        except InvalidInput:
            ok = False
        factor = "totp"
    else:
        used = twofactor_actions.check_code(session, user_id=user.id, code=code, now=now)
        ok, factor = used is not None, used or "totp"
    with atomic(session):
        session.add(LoginAttempt(username=username, ip=ip, succeeded=ok, at=now))
        if ok:
            user.last_login_at = now
            record(
                session, actor=Actor.for_user(user), action="user.login", org_id=user.org_id,
                details={"ip": ip, "second_factor": factor},
            )  # fmt: skip
        else:
            record(
                session,
                actor=Actor(kind="citizen", label=f"login:{username}"),
                action="user.login_failed",
                org_id=user.org_id,
                details={"username": username, "ip": ip, "second_factor": "totp"},
            )
    if not ok:
        raise LoginFailed("the code is not right (or was used already)")
    return user


def disable_two_factor(
    session: Session,
    *,
    user_id: int,
    password: str,
    code: str,
    ip: str,
    max_failures: int,
    window_seconds: int,
) -> User:
    """The user turns their own two-factor sign-in off, with their password and a code (or a recovery code).

    Throttled and recorded like a log-in: a signed-in browser someone else sits at cannot guess its way through.
    """
    ip = (ip or "unknown")[:IP_MAX]
    now = utcnow()
    user = active_user(session, user_id)
    if user is None:
        raise LoginFailed(BAD_CREDENTIALS)
    if organisation(session, user.org_id).require_two_factor:  # before a code is spent on nothing
        raise InvalidInput("your organisation requires two-factor sign-in", code="two_factor_required")
    _refuse_if_throttled(
        session, username=user.username, ip=ip, max_failures=max_failures, window_seconds=window_seconds, now=now
    )
    ok = verify_password(user.password_hash, password) and (
        twofactor_actions.check_code(session, user_id=user.id, code=code, now=now) is not None
    )
    if not ok:
        with atomic(session):
            session.add(LoginAttempt(username=user.username, ip=ip, succeeded=False, at=now))
            record(
                session,
                actor=Actor.for_user(user),
                action="user.two_factor_disable_refused",
                org_id=user.org_id,
                details={"ip": ip},
            )
        raise LoginFailed("the password or the code is not right")
    return twofactor_actions.turn_off(session, actor=Actor.for_user(user), user_id=user.id)


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


def purge_login_attempts(
    session: Session, *, before: dt.datetime, org_id: int | None, limit: int, dry_run: bool = False
) -> int:
    """Delete (or with `dry_run` count) up to `limit` log-in attempts older than `before`, in the caller's
    transaction: the attempts naming the organisation's accounts, or with `org_id` None those naming no account.

    The retention pass (retention/actions.py) calls this in batches. The throttle reads 90 days back
    (KNOWN_ADDRESS_DAYS), so shorter periods are refused by the retention settings.
    """
    accounts = select(User.username)
    named = (
        LoginAttempt.username.in_(accounts.where(User.org_id == org_id))
        if org_id is not None
        else (LoginAttempt.username.not_in(accounts))
    )
    query = select(LoginAttempt.id).where(LoginAttempt.at < before, named)
    if dry_run:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(LoginAttempt.id).limit(limit)))
    if ids:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
    return len(ids)
