"""CSRF protection for every state-changing request of a staff session: a token from our own pages, in a header or
a form field, matching the session's."""

from __future__ import annotations

import secrets

from fastapi import Request

from sotong.errors import PermissionDenied
from sotong.web.session import CSRF_KEY, user_id_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


async def verify_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request whose token (header or form field) is not this session's."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_KEY)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not secrets.compare_digest(supplied.encode(), str(expected).encode()):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again")


async def csrf_protect(request: Request) -> None:
    """App-wide: a request that carries a staff session must prove it came from our own pages."""
    if request.method not in SAFE_METHODS and user_id_of(request) is not None:
        await verify_csrf(request)
