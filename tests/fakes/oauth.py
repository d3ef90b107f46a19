"""A fake OAuth 2.0 authorisation server for mailbox logins, as Microsoft's identity platform and Google's token
endpoint behave for a confidential client:

- ``POST /token`` with ``grant_type=refresh_token`` (RFC 6749 section 6), the client's id and secret in the form
  body: an access token that lives an hour (``expires_in`` 3599) and a new refresh token; the refresh token used
  stops working (Microsoft rotates refresh tokens; a client that keeps the old one is locked out at the next
  renewal). An unknown, used or revoked refresh token is ``400 invalid_grant``; a wrong client ``401
  invalid_client``.
- ``POST /introspect`` (RFC 7662): whether a bearer token is active and for whom. The test mail servers ask it
  for every XOAUTH2 log-in, as a resource server does, so a token the fake expired is refused there.

Access tokens issued earlier stay valid until they expire (a refresh does not revoke them), as on both platforms.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.fakes.server import Request, Response, serve

LIFETIME = 3599  # seconds, what both platforms announce for a mail access token


@dataclass
class FakeOAuth:
    user: str = "demouser"
    client_id: str = "sotong-mail-app"
    client_secret: str = "mail-app-secret-7"
    base_url: str = ""
    refresh_token: str = "refresh-0"  # the one refresh token that works now
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)
    refreshes: list[dict[str, str]] = field(default_factory=list)  # the form of every refresh grant
    checks: list[tuple[str, bool]] = field(default_factory=list)  # (token, active) per log-in a mail server saw
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def introspect_url(self) -> str:
        return f"{self.base_url}/introspect"

    def reset(self) -> None:
        """A new app registration for the next test (the server, and the mail servers asking it, stay up)."""
        with self._lock:
            self.refresh_token = f"refresh-0-{next(self._serial)}"
            self.access_tokens.clear()
            self.refreshes.clear()
            self.checks.clear()

    def grant(self) -> str:
        """An access token issued at sign-in (what the set-up stores beside the refresh token)."""
        token = f"access-{next(self._serial)}"
        with self._lock:
            self.access_tokens[token] = time.time() + LIFETIME
        return token

    def expire_access_tokens(self) -> None:
        """An hour has passed: every access token issued so far is refused by the mail servers."""
        with self._lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, time.time() - 1)

    def revoke_refresh_token(self) -> None:
        """The mailbox owner revoked the app's consent (or an administrator reset the account)."""
        with self._lock:
            self.refresh_token = f"revoked-{next(self._serial)}"

    def active_user(self, token: str) -> str | None:
        """The user a bearer token stands for while it is valid, else None (and the check is recorded)."""
        with self._lock:
            active = self.access_tokens.get(token, 0.0) > time.time()
            self.checks.append((token, active))
        return self.user if active else None

    def handle(self, request: Request) -> Response:
        form = {name: values[0] for name, values in request.form().items()}
        if request.method == "POST" and request.path == "/token":
            return self._token(form)
        if request.method == "POST" and request.path == "/introspect":
            user = self.active_user(form.get("token", ""))
            return Response(200, {"active": True, "username": user} if user else {"active": False})
        return Response(404, {"error": "not_found"})

    def _token(self, form: dict[str, str]) -> Response:
        with self._lock:
            self.refreshes.append(form)
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return Response(401, {"error": "invalid_client", "error_description": "Client authentication failed."})
            if form.get("grant_type") != "refresh_token":
                return Response(400, {"error": "unsupported_grant_type"})
            if form.get("refresh_token") != self.refresh_token:
                return Response(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "The refresh token has expired or been revoked.",
                    },
                )
            serial = next(self._serial)
            token = f"access-{serial}"
            self.access_tokens[token] = time.time() + LIFETIME
            self.refresh_token = f"refresh-{serial}"
        return Response(
            200,
            {
                "token_type": "Bearer",
                "scope": form.get("scope", "https://outlook.office.com/IMAP.AccessAsUser.All"),
                "expires_in": LIFETIME,
                "access_token": token,
                "refresh_token": self.refresh_token,
            },
        )


@contextmanager
def running() -> Iterator[FakeOAuth]:
    fake = FakeOAuth()
    with serve(fake) as base_url:
        fake.base_url = base_url
        yield fake
