"""Open311 state changes: issuing and revoking API keys, and taking in a POSTed service request."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.service import record
from sotong.cases.actions import receive_message
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Case, Message
from sotong.channels.open311.models import Open311ApiKey
from sotong.channels.open311.service import Open311Error, service_category, token_key
from sotong.db import atomic, utcnow
from sotong.errors import NotFound
from sotong.orgs.models import Channel, ChannelAccount, Organisation
from sotong.settings import get_settings

MAX_DESCRIPTION = 4000
ACCOUNT_HANDLE = "open311"
# A client that timed out sends the same request again. With an idempotency key (Idempotency-Key header or
# `idempotency_key` field) the first case is returned for a day, with the same token; without one, the same
# client's identical request within a few minutes is taken for a retry too.
IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
REPEAT_WINDOW = dt.timedelta(minutes=10)
MAX_IDEMPOTENCY_KEY = 255
# Fields that do not make a request different (the key itself; the api_key is compared as the client).
_NOT_THE_REQUEST = frozenset({"api_key", "idempotency_key"})


# One address: no spaces, no line breaks, one @ (answers are mailed to it).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def intake_account(session: Session, org: Organisation) -> ChannelAccount:
    """The organisation's Open311 channel account (created with its first API key)."""
    account = session.scalar(
        select(ChannelAccount).where(ChannelAccount.org_id == org.id, ChannelAccount.channel == Channel.open311)
    )
    if account is None:
        account = ChannelAccount(
            org_id=org.id, channel=Channel.open311, handle=ACCOUNT_HANDLE, display_name="Open311 GeoReport v2"
        )
        session.add(account)
        session.flush()
    return account


def create_api_key(session: Session, *, actor: Actor, org_id: int, name: str) -> tuple[Open311ApiKey, str]:
    """Issue a key for an application; the plain key is returned once and never stored."""
    name = name.strip()
    if not name:
        raise Open311Error(400, "a key needs the name of the application that uses it")
    plain = "o311_" + secrets.token_urlsafe(32)
    with atomic(session):
        org = session.get(Organisation, org_id)
        if org is None:
            raise NotFound(f"unknown organisation {org_id}")
        intake_account(session, org)
        key = Open311ApiKey(org_id=org.id, name=name[:120], key_hash=_hash(plain), key_prefix=plain[:12])
        session.add(key)
        session.flush()
        record(
            session,
            actor=actor,
            action="open311.key_created",
            org_id=org.id,
            after={"key_id": key.id, "name": key.name, "prefix": key.key_prefix},
        )
    return key, plain


def revoke_api_key(session: Session, *, actor: Actor, org_id: int, key_id: int) -> Open311ApiKey:
    """Stop a key from creating requests (kept for the audit trail)."""
    with atomic(session):
        key = session.get(Open311ApiKey, key_id)
        if key is None or key.org_id != org_id:
            raise NotFound(f"no API key {key_id}")
        key.active = False
        record(
            session,
            actor=actor,
            action="open311.key_revoked",
            org_id=org_id,
            before={"active": True},
            after={"key_id": key.id, "active": False},
        )
    return key


def authenticate(session: Session, api_key: str | None) -> Open311ApiKey:
    """The active key for `api_key`, or 403 (the standard's code for a bad key)."""
    if not api_key:
        raise Open311Error(403, "api_key is required to create a service request")
    # Looked up by its hash: comparing digests in the index leaks nothing useful about the key itself.
    key = session.scalar(select(Open311ApiKey).where(Open311ApiKey.key_hash == _hash(api_key)))
    if key is None or not key.active:
        raise Open311Error(403, "api_key is not valid")
    return key


@dataclass(frozen=True)
class Submitted:
    case: Case
    token: str | None  # None: a repeat without an idempotency key, answered with the first case's number only


def _fingerprint(form: Mapping[str, str]) -> str:
    fields = sorted((k, v) for k, v in form.items() if k not in _NOT_THE_REQUEST)
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _idempotent_token(key: Open311ApiKey, idempotency_key: str) -> str:
    """The token of the request this client sends under this key: the same on every retry, unguessable."""
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"open311-idempotency:{key.id}:{idempotency_key}".encode(), hashlib.sha256).hexdigest()[:32]


def _earlier(
    session: Session,
    *,
    account_id: int,
    key: Open311ApiKey,
    fingerprint: str,
    idempotency_key: str | None,
    token: str,
    now: dt.datetime,
) -> Submitted | None:
    """The first case of this request, if the client sent it before (see IDEMPOTENCY_WINDOW)."""
    if idempotency_key:
        found = session.scalars(
            select(Message).where(Message.channel_account_id == account_id, Message.external_id == token_key(token))
        ).first()
        if found is None:
            return None
        if found.raw.get("request_hash") != fingerprint:
            raise Open311Error(400, "this idempotency key was used for a different request")
        received = found.received_at if found.received_at.tzinfo else found.received_at.replace(tzinfo=dt.UTC)
        if now - received > IDEMPOTENCY_WINDOW:
            raise Open311Error(400, "this idempotency key was used more than 24 hours ago: send a new one")
        case = session.get(Case, found.case_id) if found.case_id else None
        return Submitted(case=case, token=token) if case is not None else None
    recent = session.scalars(
        select(Message)
        .where(Message.channel_account_id == account_id, Message.received_at >= now - REPEAT_WINDOW)
        .order_by(Message.id)
    )
    for message in recent:
        if message.raw.get("request_hash") == fingerprint and message.raw.get("api_key_id") == key.id:
            case = session.get(Case, message.case_id) if message.case_id else None
            if case is not None:
                return Submitted(case=case, token=None)
    return None


def _coordinate(form: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number in WGS84 degrees") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return value


def submit_request(
    session: Session,
    *,
    key: Open311ApiKey,
    org: Organisation,
    form: Mapping[str, str],
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Submitted:
    """POST /requests: validate like the standard says, then take it in like any channel's message.

    The request becomes a message of the organisation's Open311 account and so a case with a receipt, triage and
    a deadline; its token is the message's external id, so GET /tokens/{token} finds the case. A retry (the same
    idempotency key, or without one the same request from the same client within REPEAT_WINDOW) returns the first
    case instead of opening a second.
    """
    now = now or utcnow()
    idempotency_key = (idempotency_key or form.get("idempotency_key") or "").strip() or None
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Open311Error(400, f"the idempotency key is longer than {MAX_IDEMPOTENCY_KEY} characters")
    if key.org_id != org.id:
        raise Open311Error(403, "this api_key is not valid for this jurisdiction_id")
    service_code = (form.get("service_code") or "").strip()
    if not service_code:
        raise Open311Error(400, "service_code is required")
    category = service_category(session, org, service_code)
    lat = _coordinate(form, "lat", -90.0, 90.0)
    lon = _coordinate(form, "long", -180.0, 180.0)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long must be given together")
    address = (form.get("address_string") or "").strip()[:300] or None
    address_id = (form.get("address_id") or "").strip() or None
    if lat is None and address is None and address_id is None:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    description = (form.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
    email = (form.get("email") or "").strip() or None
    if email is not None and not EMAIL.fullmatch(email):
        # Answers go to this address by e-mail: one address, nothing that could become a second header line.
        raise Open311Error(400, "email must be one e-mail address")
    phone = (form.get("phone") or "").strip() or None
    name = " ".join(p for p in ((form.get("last_name") or "").strip(), (form.get("first_name") or "").strip()) if p)
    attributes = {
        k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")
    }
    account = intake_account(session, org)
    if not account.enabled:
        raise Open311Error(403, "this jurisdiction does not take service requests through Open311 now")
    fingerprint = _fingerprint(form)
    token = _idempotent_token(key, idempotency_key) if idempotency_key else secrets.token_hex(16)
    earlier = _earlier(
        session,
        account_id=account.id,
        key=key,
        fingerprint=fingerprint,
        idempotency_key=idempotency_key,
        token=token,
        now=now,
    )
    if earlier is not None:
        return earlier
    text = description or f"[{category.name}] {address or ''}".strip()
    inbound = InboundMessage(
        external_id=token_key(token),
        text=text,
        received_at=now,
        author_handle=email or phone or form.get("device_id") or form.get("account_id") or None,
        author_name=name or None,
        raw={
            "service_code": category.code,
            "address_id": address_id,
            "device_id": form.get("device_id"),
            "account_id": form.get("account_id"),
            # Linked media are kept as given, not fetched: the server may have no internet access.
            "media_url": form.get("media_url"),
            "attributes": attributes,
            "request_hash": fingerprint,  # what a retry is recognised by (see _earlier)
            "api_key_id": key.id,
        },
        latitude=lat,
        longitude=lon,
        address=address,
        contact={k: v for k, v in (("email", email), ("phone", phone)) if v},
    )
    result = receive_message(session, account_id=account.id, inbound=inbound)
    assert result.case is not None  # a request is never a chat bubble
    with atomic(session):
        session.execute(update(Open311ApiKey).where(Open311ApiKey.id == key.id).values(last_used_at=utcnow()))
    return Submitted(case=result.case, token=token)
