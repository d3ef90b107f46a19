"""Opening an SMTP session: the TLS modes and the log-in in one place, for citizens' answers (the e-mail
channel, channels/email/) and for staff notifications (notifications/transports.py)."""

from __future__ import annotations

import smtplib
import ssl

SECURITIES = ("tls", "starttls", "none")


def default_port(security: str) -> int:
    """SMTP's port for a security mode: 465 for implicit TLS, 587 (submission) otherwise."""
    return 465 if security == "tls" else 587


def connect(
    *, host: str, port: int, security: str, user: str | None, password: str | None, timeout: float
) -> smtplib.SMTP:
    """A connected, authenticated SMTP session (no log-in without a user); closed again if any step fails."""
    if security not in SECURITIES:
        raise ValueError(f"SMTP security must be one of {', '.join(SECURITIES)}, not {security!r}")
    smtp: smtplib.SMTP
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if security == "starttls":
            # Loading the certificate store costs more than the rest of a send: only where TLS is used.
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if user:
            smtp.login(user, password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp
