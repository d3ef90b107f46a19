"""Reading the administration forms: typed values out of strings, and errors tied to the field at fault.

Problems are collected per field (shown next to it, linked with aria-describedby) rather than as one flash,
so a keyboard or screen-reader user lands on the field to fix. Domain refusals carry a `field` and a `code`
(see orgs/actions.py); the code picks the translated message, the field where it is shown.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from sotong.actors import Actor, Role
from sotong.errors import InvalidInput, PermissionDenied
from sotong.i18n import translate
from sotong.web.csrf import CSRF_FIELD
from sotong.web.deps import CurrentUser
from sotong.web.error_text import error_text
from sotong.web.templating import request_language

E = TypeVar("E", bound=StrEnum)


def admin_actor(user: CurrentUser) -> Actor:
    """The actor of a logged-in admin; every other role is refused (403) on every administration page."""
    if user.role is not Role.admin:
        raise PermissionDenied("only an administrator may open the administration pages")
    return Actor.for_user(user)


AdminActor = Annotated[Actor, Depends(admin_actor)]


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form's text fields, stripped (the CSRF guard has read it already: Starlette caches it)."""
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}


FormData = Annotated[dict[str, str], Depends(form_data)]


class Form:
    """One submitted form: typed getters that record a translated error per field instead of raising."""

    def __init__(self, request: Request, values: dict[str, str]) -> None:
        self.lang = request_language(request)
        self.values = values
        self.errors: dict[str, str] = {}

    def error(self, field: str, code: str, **values: Any) -> None:
        """Record the first problem of a field."""
        self.errors.setdefault(field, translate(self.lang, f"admin.error.{code}", **values))

    def refused(self, exc: InvalidInput) -> None:
        """Show a domain refusal next to its field, in the user's language when it has a code."""
        field = str(exc.extra.get("field") or "_form")
        code = exc.extra.get("code")
        key = f"admin.error.{code}"
        # The message may quote the domain's own detail (a regular expression's syntax error, say).
        text = translate(self.lang, key, detail=exc.message) if code else error_text(exc, self.lang)
        self.errors.setdefault(field, error_text(exc, self.lang) if text == key else text)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self, name: str, *, required: bool = False, max_length: int = 120) -> str | None:
        value = self.values.get(name, "")
        if not value:
            if required:
                self.error(name, "required")
            return None
        if len(value) > max_length:
            self.error(name, "too_long", max=max_length)
            return None
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        raw = self.values.get(name, "")
        if not raw:
            if required:
                self.error(name, "required")
            return None
        try:
            value = int(raw)
        except ValueError:
            self.error(name, "not_integer")
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.error(name, "out_of_range", min=minimum if minimum is not None else "", max=maximum or "")
            return None
        return value

    def choice(self, name: str, enum_cls: type[E], *, required: bool = False) -> E | None:
        raw = self.values.get(name, "")
        if not raw:
            if required:
                self.error(name, "required")
            return None
        try:
            return enum_cls(raw)
        except ValueError:
            self.error(name, "invalid_choice")
            return None

    def ref(self, name: str, allowed: set[int], *, required: bool = False) -> int | None:
        """The id of a row picked from a select list; only the ids the page offered are accepted."""
        raw = self.values.get(name, "")
        if not raw:
            if required:
                self.error(name, "required")
            return None
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value not in allowed:
            self.error(name, "invalid_choice")
            return None
        return value

    def time(self, name: str, *, required: bool = False) -> dt.time | None:
        raw = self.values.get(name, "")
        if not raw:
            if required:
                self.error(name, "required")
            return None
        try:
            return dt.time.fromisoformat(raw)
        except ValueError:
            self.error(name, "not_time")
            return None

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        raw = self.values.get(name, "")
        if not raw:
            if required:
                self.error(name, "required")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.error(name, "not_date")
            return None

    def checkbox(self, name: str) -> bool:
        return self.values.get(name) in ("1", "on", "true")
