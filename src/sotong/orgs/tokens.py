"""API tokens for machine clients of the JSON API: what a token looks like, its scopes, and checking one.

A token is `sot_` and 43 characters of `secrets.token_urlsafe(32)` (256 random bits). It is shown once, when it is
made; the database keeps its SHA-256 and its first characters (`prefix`, to tell tokens apart in listings and the
audit log). It belongs to one organisation and acts there with the powers of an organisation-wide role: an
operator's (the SNS centre desk's: every case of the organisation), which its scopes then narrow to the routes they
name; a token with only cases:read acts as a viewer, so nothing it reaches can write. Actions that
need a person (notes, "assign to me") are refused to it. Actions: orgs/actions/tokens.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role
from sotong.errors import PermissionDenied
from sotong.orgs.models import ApiToken

TOKEN_PREFIX = "sot_"
PREFIX_LENGTH = 12  # "sot_" and 8 characters: enough to tell a city's tokens apart, far too few to guess the rest
# What each scope allows, by route of the JSON API (api/cases.py, api/deliveries.py). A write scope includes the
# read scope of the same resource: an action's answer is the case it changed.
SCOPES: dict[str, str] = {
    "cases:read": "list and read cases (GET /api/v1/cases, /api/v1/cases/{number})",
    "cases:write": "run case actions (POST /api/v1/cases/{number}/{action})",
    "deliveries:read": "read deliveries to citizens (GET /api/v1/deliveries/..., /api/v1/cases/{number}/deliveries)",
    "deliveries:write": "send a delivery again or settle it by hand (POST .../deliveries/{id}/retry|resolve)",
}
# A token's use is written down at most this often (a write per read would turn every poll into a write).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenRefused(Exception):
    """The bearer token cannot be used: `code` and `reason` say why (the API answers 401 with them)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class InsufficientScope(PermissionDenied):
    """The token is good but its scopes do not cover this call (403)."""

    code = "insufficient_scope"


def new_token() -> str:
    """A fresh token in clear (to be shown once)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def clean_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """The scopes, known ones only, in the catalogue's order; ValueError naming an unknown one."""
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}")
    return [s for s in SCOPES if s in wanted]


def allows(scopes: list[str], needed: str) -> bool:
    """Whether a token with `scopes` may do what `needed` covers (a write scope includes its read scope)."""
    if needed in scopes:
        return True
    resource, _, kind = needed.partition(":")
    return kind == "read" and f"{resource}:write" in scopes


def role_of(scopes: list[str]) -> Role:
    """The organisation-wide role a token acts with (the delivery lists are the centre's, not a viewer's)."""
    if any(s.endswith(":write") for s in scopes) or "deliveries:read" in scopes:
        return Role.operator
    return Role.viewer


def actor_for(token: ApiToken) -> Actor:
    """The actor a token acts as: audit events name the token by its prefix and name."""
    return Actor(
        kind="token",
        label=f"{token.prefix} {token.name}"[:120],
        org_id=token.org_id,
        role=role_of(token.scope_list),
    )


@dataclass(frozen=True)
class Bearer:
    """A checked token: its row id, organisation and scopes."""

    token_id: int
    actor: Actor
    scopes: list[str]
    last_used_at: dt.datetime | None


def check(session: Session, token: str, *, now: dt.datetime) -> Bearer:
    """The token's holder, or TokenRefused saying why (unknown, revoked, expired)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise TokenRefused("invalid_token", "not a Sotong API token")
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None:
        raise TokenRefused("invalid_token", "unknown API token")
    if row.revoked_at is not None:
        raise TokenRefused("token_revoked", "this API token was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRefused("token_expired", f"this API token expired at {row.expires_at:%Y-%m-%d %H:%M} UTC")
    return Bearer(token_id=row.id, actor=actor_for(row), scopes=row.scope_list, last_used_at=row.last_used_at)
