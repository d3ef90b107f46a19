"""Domain errors: each carries a stable code and the HTTP status the API maps it to; the CLI prints it."""

from __future__ import annotations

from typing import Any


class SotongError(Exception):
    """Base of every error a user can cause; the message is meant to be shown to them."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.message, **self.extra}


class NotFound(SotongError):
    code = "not_found"
    http_status = 404


class PermissionDenied(SotongError):
    code = "permission_denied"
    http_status = 403


class IllegalTransition(SotongError):
    code = "illegal_transition"
    http_status = 409


class InvalidInput(SotongError):
    code = "invalid_input"
    http_status = 422


class DuplicateSubmission(SotongError):
    code = "duplicate_submission"
    http_status = 409


class DeadlineError(SotongError):
    """A deadline that cannot be computed: no working time in reach, a second extension, a bad policy."""

    code = "deadline_error"
    http_status = 422


class AttachmentRejected(SotongError):
    code = "attachment_rejected"
    http_status = 422


class LoginThrottled(SotongError):
    code = "login_throttled"
    http_status = 429
