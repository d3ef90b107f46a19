"""Tables of the organisation domain. Every row that belongs to an organisation carries `org_id`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    false,
    true,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from sotong.actors import Role
from sotong.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from sotong.errors import InvalidInput
from sotong.secrets import seal


class Channel(StrEnum):
    x = "x"
    facebook = "facebook"
    mastodon = "mastodon"
    kakao = "kakao"
    naver = "naver"
    email = "email"
    web = "web"
    sms = "sms"
    phone = "phone"  # 120 call centre import
    visit = "visit"  # counter / Friday complaint office import
    open311 = "open311"


# What an organisation answers chatter with (triage decides a message is no complaint): a polite acknowledgement
# on the citizen's channel, or nothing at all. Never a "접수" receipt, never a department, never the public list.
CHATTER_REPLIES = ("acknowledge", "none")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The short form used in public case numbers: 2026-송파-000123.
    short_name: Mapped[str] = mapped_column(String(16), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    work_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(9, 0))
    work_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(18, 0))
    lunch_start: Mapped[dt.time | None] = mapped_column(Time, default=dt.time(12, 0))
    lunch_end: Mapped[dt.time | None] = mapped_column(Time, default=dt.time(13, 0))
    # Triage routes automatically above this confidence (triage issue); kept here as org policy.
    auto_route_threshold: Mapped[float] = mapped_column(default=0.8)
    # Staff must sign in with a TOTP code as well as the password (orgs/twofactor.py); set by the organisation's admin.
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What a message that is not a complaint (a greeting, praise, chatter) is answered with: CHATTER_REPLIES.
    chatter_reply: Mapped[str] = mapped_column(String(16), default="acknowledge", server_default="acknowledge")
    # Publish a new case without a person's review when triage finds it administration-related and the masker is
    # sure of everything it found (cases/actions/publication.py); off, every case waits in 공개 검토.
    auto_release: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 공무원 실명제: public answers end with the officer's name, department and department phone.
    sign_answers: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def check_business_hours(start: dt.time, end: dt.time, lunch_start: dt.time | None, lunch_end: dt.time | None) -> None:
    """Business hours that end after they start, and a lunch break inside them (or none); InvalidInput else."""
    if start >= end:
        raise InvalidInput("business hours must end after they start")
    if (lunch_start is None) != (lunch_end is None):
        raise InvalidInput("lunch needs both a start and an end, or neither")
    if lunch_start is not None and lunch_end is not None and not (start <= lunch_start < lunch_end <= end):
        raise InvalidInput("lunch must lie inside business hours")


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    # The department's published office number: it signs public answers (공무원 실명제), never masked.
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's fingerprint (web/session.py): bumping it ends every session of the account, copied
    # cookies included (log-out, "sign out everywhere", deactivation, a new password).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Two-factor sign-in (orgs/twofactor.py): the TOTP secret, encrypted like channel credentials (sotong.secrets);
    # set while enrolling, in use once `totp_enabled`. The last time step accepted, so a code works only once.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """One of a user's one-time recovery codes for two-factor sign-in (a lost phone): only its SHA-256 is kept, and
    the time it was used; a new set replaces the old. orgs/twofactor.py makes them, orgs/actions/twofactor.py checks."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Failed and successful logins, read by the throttle (kept in the database so every web worker agrees)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A machine client's key to the JSON API (`Authorization: Bearer ...`), of one organisation, with scopes.

    Only a SHA-256 of the token is stored: a stolen database gives no working tokens. Tokens are 256 random bits,
    so a plain hash (not a slow password hash) is enough and keeps every request cheap. Kept after revocation or
    expiry, for the audit trail. Actions: orgs/actions/tokens.py; checks: orgs/tokens.py.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # what uses it, e.g. "구청 민원 통계 시스템"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, shown in listings and audit labels so admins can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated, from orgs/tokens.py SCOPES
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(64))

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ChannelAccount(Base):
    """An official account of the organisation on one channel (Seoul runs about 40)."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("org_id", "channel", "handle"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    handle: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # Answers to a personal account (the mayor's) go out from this one instead.
    reply_via_account_id: Mapped[int | None] = mapped_column(ForeignKey("channel_accounts.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Connector settings; secrets are encrypted by the channels issue before they land here.
    config: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    description: Mapped[str | None] = mapped_column(Text)
    # The standard category (orgs/taxonomy.tsv) this one stands for: the seed model predicts standard codes.
    standard_code: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(ChannelAccount, "before_insert")
@event.listens_for(ChannelAccount, "before_update")
def _seal_before_write(_mapper: Mapper[Any], _connection: Any, account: ChannelAccount) -> None:
    """Whoever writes an account (an action, the demo, a test), no plaintext secret reaches the row.

    Beside the model on purpose: the hook exists wherever the table does, with nothing to register.
    """
    sealed = seal(account.config)
    if sealed != (account.config or {}):
        account.config = sealed
        flag_modified(account, "config")
