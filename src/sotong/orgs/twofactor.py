"""Staff two-factor sign-in: TOTP (RFC 6238, the codes of Google Authenticator, Microsoft Authenticator, 1Password).

A secret is made when a user enrols, shown once as a QR code and as text, and kept encrypted (`sotong.secrets`, as
channel credentials are). It is in use only once the user has typed a code from it (`confirm_enrolment`), so a
half-finished enrolment locks no one out. Each accepted code's time step is stored: a code works once, so one
read over a shoulder or from a proxy log cannot be replayed. An organisation can require it of all its staff
(`Organisation.require_two_factor`); such staff enrol at their next log-in, others may enrol on their own security
page. Enrolling gives ten one-time recovery codes for a lost phone, shown once and kept hashed.
Actions: `orgs/actions/twofactor.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
import segno

from sotong.orgs.models import User
from sotong.secrets import open_value, seal_value

ISSUER = "Sotong 소통"
# One step (30 s) either side: a phone clock a little off, or a code typed as it changed.
VALID_WINDOW = 1


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def sealed(secret: str) -> str:
    """The secret as stored."""
    return seal_value(secret)


def secret_of(user: User) -> str | None:
    """The user's TOTP secret in clear, or None."""
    return str(open_value(user.totp_secret)) if user.totp_secret else None


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (drawn here: no image library, nothing loaded from elsewhere)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return svg


def matching_step(secret: str, code: str, *, now: dt.datetime, after: int | None) -> int | None:
    """The time step `code` belongs to (within one step of `now`), or None; steps up to `after` are spent."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if (after is None or step > after) and pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


RECOVERY_CODES = 10
# Lower-case letters and digits without look-alikes (no 0/o, 1/l/i): 16 of them are ~80 bits, far beyond guessing
# and beyond brute-forcing a stolen hash, so SHA-256 (not a slow password hash) is enough.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16


def new_recovery_codes() -> list[str]:
    """A fresh set of recovery codes in clear, grouped by four for reading (`abcd-efgh-jkmn-pqrs`)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def normal_recovery(code: str) -> str | None:
    """A typed recovery code without spaces, dashes and case, or None when it cannot be one."""
    raw = "".join(ch for ch in code.lower() if ch not in " -")
    if len(raw) != RECOVERY_LENGTH or any(ch not in RECOVERY_ALPHABET for ch in raw):
        return None
    return raw


def recovery_hash(code: str) -> str:
    """What is stored of a recovery code (given in its normal form)."""
    return hashlib.sha256(code.encode()).hexdigest()
