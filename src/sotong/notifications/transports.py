"""Delivering staff notifications: in the console (a row written in the worker's own transaction), by e-mail
(SMTP from the settings) and to the organisation's messenger webhook (signed JSON POST). All three are outbox
transports, so the worker retries and never sends twice.
"""

from __future__ import annotations

import json
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
from sqlalchemy.orm import Session

from sotong import smtp
from sotong.notifications.models import Notification, OrgWebhook
from sotong.notifications.service import EMAIL_TRANSPORT, WEBHOOK_TRANSPORT, signature, webhook_secret
from sotong.orgs.models import User
from sotong.outbox.transports import Delivery, Transport, TransportError, retry_after
from sotong.settings import get_settings

TIMEOUT = 10.0
SMTP_TIMEOUT = 20.0
SIGNATURE_HEADER = "X-Sotong-Signature"
DELIVERY_HEADER = "X-Sotong-Delivery"


class InAppTransport(Transport):
    """A notification in the staff console for ``payload["user_id"]``."""

    name = "inapp"
    private = True
    idempotent = True  # the row is written in the transaction that records the item sent

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Add the notification row to the worker's transaction (see `Transport.send`)."""
        user_id = delivery.payload.get("user_id")
        user = session.get(User, user_id) if isinstance(user_id, int) else None
        if user is None:
            raise TransportError(f"in-app notification for unknown user {user_id!r}", permanent=True)
        notification = Notification(
            org_id=delivery.org_id if delivery.org_id is not None else user.org_id,
            user_id=user.id,
            case_id=delivery.case_id,
            kind=str(delivery.payload.get("kind") or delivery.kind)[:32],
            text=str(delivery.payload.get("text") or delivery.payload.get("case_number") or delivery.kind),
        )
        session.add(notification)
        session.flush()
        return str(notification.id)


class EmailNotificationTransport(Transport):
    """A short e-mail to the staff user: what happened and the link to the case."""

    name = EMAIL_TRANSPORT
    # A colleague's rare second copy (same Message-ID, shown as one by mail clients) is better than an "outcome
    # unknown" nobody is watching for: staff notifications are simply sent again.
    idempotent = True

    def compose(self, delivery: Delivery) -> EmailMessage:
        """The mail of one notification (plain text, UTF-8)."""
        settings = get_settings()
        payload = delivery.payload
        mail = EmailMessage(policy=policy.SMTP)
        mail["From"] = settings.mail_from
        mail["To"] = delivery.recipient or ""
        mail["Subject"] = f"[소통] {payload.get('text') or payload.get('kind')}"
        # The same id on every attempt: a mail client shows a rare duplicate (sent, then the ack lost) as one.
        domain = settings.mail_from.rpartition("@")[2] or "sotong.local"
        mail["Message-ID"] = make_msgid(idstring=f"notify-{delivery.item_id}", domain=domain)
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Sotong-Notification"] = str(payload.get("kind") or "")
        mail.set_content(f"{payload.get('text') or ''}\n\n{payload.get('url') or ''}\n", charset="utf-8")
        return mail

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Send over the configured SMTP server; a refused address fails for good, an unreachable server retries."""
        settings = get_settings()
        if not settings.smtp_host or not delivery.recipient:
            raise TransportError("notification e-mail: no SMTP server is configured", permanent=True)
        try:
            mail = self.compose(delivery)
        except (ValueError, TypeError) as exc:  # a header the mail format cannot carry fails the same way every time
            raise TransportError(f"notification e-mail: cannot write the mail: {exc}", permanent=True) from exc
        try:
            with smtp.connect(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                user=settings.smtp_user,
                password=settings.smtp_password,
                timeout=SMTP_TIMEOUT,
            ) as server:
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"notification e-mail: address refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"notification e-mail: SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"notification e-mail: SMTP server unreachable: {type(exc).__name__}") from exc
        return str(mail["Message-ID"])


class WebhookNotificationTransport(Transport):
    """A JSON POST to the organisation's messenger bot, signed with HMAC-SHA256 of the body."""

    name = WEBHOOK_TRANSPORT
    idempotent = True  # the bot deduplicates by the document's "id"

    def body(self, delivery: Delivery) -> bytes:
        """The JSON document POSTed (the same bytes on every attempt: the bot deduplicates by "id")."""
        payload = delivery.payload
        document = {
            "id": delivery.idempotency_key,
            "event": payload.get("kind"),
            "text": payload.get("text"),
            "case_number": payload.get("case_number"),
            "url": payload.get("url"),
            "user": {"id": payload.get("user_id"), "username": payload.get("username")},
            "organisation_id": delivery.org_id,
            "created_at": payload.get("created_at"),
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """POST once; 2xx is delivered, 4xx (but 408/429) fails for good, the rest is retried."""
        hook = session.get(OrgWebhook, delivery.org_id) if delivery.org_id is not None else None
        if hook is None or not hook.enabled:
            raise TransportError("notification webhook: the organisation has no webhook (any more)", permanent=True)
        url, secret = hook.url, webhook_secret(hook)
        # No transaction of ours stays open while we wait for the bot.
        session.rollback()
        body = self.body(delivery)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature(secret, body),
            DELIVERY_HEADER: delivery.idempotency_key,
            "User-Agent": "Sotong-Notifications",
        }
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise TransportError(f"notification webhook: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return response.headers.get("X-Request-Id") or str(response.status_code)
        wait = retry_after(response.headers.get("Retry-After"))
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise TransportError(
            f"notification webhook: HTTP {response.status_code}", permanent=permanent, retry_after=wait
        )


# What `sotong.wiring` registers with the outbox.
TRANSPORTS: tuple[Transport, ...] = (InAppTransport(), EmailNotificationTransport(), WebhookNotificationTransport())
