"""Opening an SMTP session: the TLS modes and the log-in in one place, for citizens' answers (the e-mail
channel, channels/email/) and for staff notifications (notifications/transports.py)."""

from __future__ import annotations

import smtplib
import ssl

SECURITIES = ("tls", "starttls", "none")


def default_port(security: str) -> int:
    """SMTP's port for a security mode: 465 for implicit TLS, 587 (submission) otherwise."""
    return 465 if security == "tls" else 587


def xoauth2_response(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (Google's and Microsoft's format; the protocol adds the base64)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def connect(
    *,
    host: str,
    port: int,
    security: str,
    user: str | None,
    password: str | None,
    timeout: float,
    bearer_token: str | None = None,
) -> smtplib.SMTP:
    """A connected, authenticated SMTP session (no log-in without a user); closed again if any step fails.

    With `bearer_token` the log-in is `AUTH XOAUTH2` with that OAuth 2.0 access token instead of the password;
    a refused token raises smtplib.SMTPAuthenticationError like a refused password."""
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
        if user and bearer_token:
            offered = smtp.esmtp_features.get("auth", "").upper().split()
            if "XOAUTH2" not in offered:
                # Said plainly rather than tried: a renewal cannot help a server that does not take tokens.
                raise smtplib.SMTPNotSupportedError(f"the SMTP server offers no AUTH XOAUTH2 (only {offered})")
            response = xoauth2_response(user, bearer_token)
            # A refusal comes as a 334 challenge carrying the error as JSON: the client answers it with an empty
            # line, and the server then says 535.
            smtp.auth("XOAUTH2", lambda challenge=None: response if challenge is None else "")
        elif user:
            smtp.login(user, password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp
