"""Telling staff about their cases: one fan-out (console, e-mail, the organisation's messenger webhook) used by
every action and by the escalation sweep, plus reading and marking a user's notifications.

Everything that leaves Sotong goes through the outbox, queued in the transaction of the change that causes it,
so a notification is sent only if that change commits, is retried on failure, and never goes out twice (the
idempotency key of each copy is derived from the one key the caller gives).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.notifications.models import Notification, NotificationPreference, OrgWebhook
from sotong.orgs.models import User
from sotong.outbox.service import enqueue_many, item_values
from sotong.secrets import open_value, seal_value
from sotong.settings import get_settings

# What a notification is about; the console shows a label per kind, the webhook sends it as "event".
KINDS = ("assigned", "due_soon", "overdue", "follow_up", "reopened", "mention")
EMAIL_TRANSPORT = "notify_email"
WEBHOOK_TRANSPORT = "notify_webhook"
# A sealed 64-character secret (Fernet token + prefix) fits the column's 200 characters.
MIN_SECRET, MAX_SECRET = 16, 64


@dataclass(frozen=True)
class _Recipient:
    user_id: int
    username: str
    email: str | None
    wants_email: bool


class Fanout:
    """Builds the outbox rows of notifications; looks users and webhooks up once per instance (a sweep batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[int, _Recipient | None] = {}
        self._webhooks: dict[int, bool] = {}

    def items(
        self,
        *,
        org_id: int,
        user_id: int,
        kind: str,
        text: str,
        key: str,
        case_id: int | None = None,
        case_number: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The outbox rows of one notification to one user: in-app always, e-mail and webhook when configured."""
        payload: dict[str, Any] = {
            "user_id": user_id,
            "kind": kind,
            # One line, decided here once: the text is the e-mail's subject, and a line break from a note's excerpt
            # made the mail unsendable (eight failed attempts).
            "text": " ".join(text.split()),
            "case_number": case_number,
            **(extra or {}),
        }
        rows = [
            item_values(
                org_id=org_id,
                case_id=case_id,
                kind="notify",
                transport="inapp",
                recipient=str(user_id),
                idempotency_key=key,
                payload=payload,
            )
        ]
        recipient = self._recipient(user_id)
        if recipient is None:
            return rows
        settings = get_settings()
        link = f"{settings.base_url}/staff/cases/{case_number}" if case_number else f"{settings.base_url}/staff/"
        outside = {**payload, "username": recipient.username, "url": link, "created_at": utcnow().isoformat()}
        if recipient.wants_email and recipient.email and settings.smtp_host:
            rows.append(
                item_values(
                    org_id=org_id,
                    case_id=case_id,
                    kind="notify",
                    transport=EMAIL_TRANSPORT,
                    recipient=recipient.email,
                    idempotency_key=f"{key}:email",
                    payload=outside,
                )
            )
        if self._has_webhook(org_id):
            rows.append(
                item_values(
                    org_id=org_id,
                    case_id=case_id,
                    kind="notify",
                    transport=WEBHOOK_TRANSPORT,
                    recipient=str(org_id),
                    idempotency_key=f"{key}:webhook",
                    payload=outside,
                )
            )
        return rows

    def _recipient(self, user_id: int) -> _Recipient | None:
        if user_id not in self._users:
            row = self.session.execute(
                select(User.id, User.username, User.email, User.is_active, NotificationPreference.email)
                .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
                .where(User.id == user_id)
            ).first()
            self._users[user_id] = (
                _Recipient(row[0], row[1], row[2], bool(row[4])) if row is not None and row[3] else None
            )
        return self._users[user_id]

    def _has_webhook(self, org_id: int) -> bool:
        if org_id not in self._webhooks:
            enabled = self.session.scalar(select(OrgWebhook.enabled).where(OrgWebhook.org_id == org_id))
            self._webhooks[org_id] = bool(enabled)
        return self._webhooks[org_id]


def notify(
    session: Session,
    *,
    org_id: int,
    user_id: int,
    kind: str,
    text: str,
    key: str,
    case_id: int | None = None,
    case_number: str | None = None,
) -> None:
    """Queue one notification to one user inside the caller's transaction (all its delivery routes)."""
    enqueue_many(
        session,
        Fanout(session).items(
            org_id=org_id, user_id=user_id, kind=kind, text=text, key=key, case_id=case_id, case_number=case_number
        ),
    )


# --------------------------------------------------------------------------------------------- reading


def unread_count(session: Session, *, user_id: int, limit: int | None = None) -> int:
    """How many notifications the user has not read; with `limit`, counted only up to `limit + 1` (the menu's
    badge, on every staff page: a manager's missed-deadline notices can pile up by the thousand)."""
    unread = select(Notification.id).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if limit is not None:
        unread = unread.limit(limit + 1)
    return int(session.scalar(select(func.count()).select_from(unread.subquery())) or 0)


def for_user(
    session: Session, *, user_id: int, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[Notification]:
    """The user's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.id.desc()).limit(max(1, min(limit, 200))).offset(max(0, offset))
    return list(session.scalars(query))


def preference(session: Session, *, user_id: int) -> bool:
    """Whether the user asked for e-mail copies."""
    return bool(session.scalar(select(NotificationPreference.email).where(NotificationPreference.user_id == user_id)))


def org_webhook(session: Session, *, org_id: int) -> OrgWebhook | None:
    """The organisation's webhook, if one is set."""
    return session.get(OrgWebhook, org_id)


# --------------------------------------------------------------------------------------------- actions


def mark_read(session: Session, *, actor: Actor, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when no ids are given); returns how many."""
    if actor.user_id is None:
        raise NotFound("only staff users have notifications")
    with atomic(session):
        query = update(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        if notification_ids is not None:
            query = query.where(Notification.id.in_(notification_ids))
        result = session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
        # Reading one's own notifications changes nothing anyone else sees: no audit event.
        return int(result.rowcount)  # type: ignore[attr-defined]


def set_email_preference(session: Session, *, actor: Actor, email: bool) -> None:
    """In-app only, or in-app plus e-mail copies to the user's address."""
    if actor.user_id is None:
        raise NotFound("only staff users have notification preferences")
    with atomic(session):
        row = session.get(NotificationPreference, actor.user_id)
        before = bool(row.email) if row is not None else False
        if row is None:
            row = NotificationPreference(user_id=actor.user_id, email=email)
            session.add(row)
        row.email = email
        row.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action="user.notification_preference",
            org_id=actor.org_id,
            before={"email": before},
            after={"email": email},
        )


def set_org_webhook(
    session: Session, *, actor: Actor, org_id: int, url: str, secret: str | None = None, enabled: bool = True
) -> OrgWebhook:
    """Set (or change) the organisation's messenger webhook; an admin's job. An empty secret keeps the old one."""
    require_role(actor, Role.admin, what="configure the organisation's webhook")
    if actor.is_staff and actor.org_id != org_id:
        raise NotFound("no such organisation")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 500:
        raise InvalidInput("the webhook URL must be an http(s) address of at most 500 characters")
    secret = (secret or "").strip()
    if secret and not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise InvalidInput(f"the webhook secret must be {MIN_SECRET} to {MAX_SECRET} characters")
    with atomic(session):
        row = session.get(OrgWebhook, org_id)
        if row is None:
            if not secret:
                raise InvalidInput(f"the webhook secret must be {MIN_SECRET} to {MAX_SECRET} characters")
            # Encrypted at rest like the channel credentials; only the transport opens it, right before signing.
            row = OrgWebhook(org_id=org_id, url=url, secret=seal_value(secret), enabled=enabled)
            session.add(row)
            before: dict[str, Any] = {}
        else:
            before = {"url": row.url, "enabled": row.enabled}
            if secret:
                row.secret = seal_value(secret)
            row.url, row.enabled = url, enabled
        row.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action="org.webhook_set",
            org_id=org_id,
            before=before,
            # The secret is never written to the audit log.
            after={"url": url, "enabled": enabled, "secret_changed": bool(secret)},
        )
    return row


def webhook_secret(hook: OrgWebhook) -> str:
    """The shared secret in clear, for signing (a row written before encryption is read as it is)."""
    return str(open_value(hook.secret))


def rotate_webhook_secrets(session: Session) -> int:
    """Re-encrypt every organisation's webhook secret with the newest credentials key; how many rows."""
    changed = 0
    with atomic(session):
        for hook in session.scalars(select(OrgWebhook).order_by(OrgWebhook.org_id).with_for_update()):
            hook.secret = seal_value(webhook_secret(hook))  # plaintext rows of older versions sealed too
            changed += 1
    return changed


def signature(secret: str, body: bytes) -> str:
    """The X-Sotong-Signature header value of a webhook body: ``sha256=<hex HMAC-SHA256 with the secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
