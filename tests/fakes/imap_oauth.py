"""pymap, a real IMAP server, taught to accept XOAUTH2 as Gmail and Microsoft 365 do.

pysasl (pymap's SASL library) parses XOAUTH2 (`OAuth2Mechanism`) but leaves the bearer token to the application
to verify, and pymap's in-memory backend does not: this launcher offers the mechanism beside PLAIN and LOGIN and
checks each token with the authorisation server's introspection endpoint (RFC 7662, the fake in oauth.py), as a
resource server does. A token that is unknown, expired, or issued for another user is refused with a tagged NO.

Run as ``python -m tests.fakes.imap_oauth <introspection URL> <pymap arguments...>``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.parse
import urllib.request
from typing import Any

from pymap.backend.dict import Identity, Login
from pymap.config import IMAPConfig
from pymap.exceptions import InvalidAuth
from pysasl import SASLAuth
from pysasl.creds.external import ExternalCredentials, ExternalVerificationRequired
from pysasl.creds.server import ServerCredentials
from pysasl.mechanism.oauth import OAuth2Mechanism


def introspected_user(url: str, token: str) -> str | None:
    """The user the authorisation server says the token stands for, None when it is not active."""
    body = urllib.parse.urlencode({"token": token}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as response:
        answer: Any = json.load(response)
    return str(answer["username"]) if isinstance(answer, dict) and answer.get("active") else None


def with_xoauth2(url: str) -> None:
    """Patch pymap's classes in this process: XOAUTH2 offered, its tokens checked at `url`."""
    mechanisms = [*SASLAuth.defaults().server_mechanisms, OAuth2Mechanism()]
    IMAPConfig.tls_auth = property(lambda self: SASLAuth(mechanisms))  # type: ignore[method-assign,assignment]
    password_login = Login.authenticate

    async def authenticate(self: Login, credentials: ServerCredentials) -> Identity:
        if not isinstance(credentials, ExternalCredentials):
            return await password_login(self, credentials)
        try:
            credentials.verify(None)  # pysasl hands the bearer token over only through this exception
        except ExternalVerificationRequired as exc:
            token = exc.token or ""
        user = await asyncio.get_running_loop().run_in_executor(None, introspected_user, url, token)
        if user is None or user != credentials.authzid:
            raise InvalidAuth()
        return Identity(user, self, None, frozenset())

    Login.authenticate = authenticate  # type: ignore[method-assign]


if __name__ == "__main__":
    from pymap.main import main

    with_xoauth2(sys.argv[1])
    sys.argv = ["pymap", *sys.argv[2:]]
    main()
