"""A domain error as a person reads it, in their language.

Actions raise errors with an English message for logs, the API and the CLI (errors.py). A page in Korean
shows the catalogue's words instead: the error's own sentence where the catalogue knows it, otherwise a plain
sentence for its kind (not found, not allowed, not now, check the input), never the English.
"""

from __future__ import annotations

import re

from sotong.cases.models import CaseStatus
from sotong.cases.status import TRANSITIONS, status_label
from sotong.errors import IllegalTransition, SotongError
from sotong.i18n import translate

# The messages pages meet most, by how they begin: (start of the English message, catalogue key).
KNOWN: tuple[tuple[str, str], ...] = (
    ("no such case, or the token does not match", "error.msg.token"),
    ("no such case", "error.msg.no_case"),
    ("no such attachment", "error.msg.no_attachment"),
    ("only an administrator may open the administration pages", "error.msg.admin_only"),
    ("the inbox is for the SNS centre desk", "error.msg.inbox_only"),
    ("every required element needs its slot in the body", "error.msg.missing_slots"),
    ("the answer has unfilled slots", "error.msg.unfilled_slots"),
    ("the answer is empty", "error.msg.empty_answer"),
    ("a hold needs a reason", "error.msg.reason"),
    ("a transfer needs a reason", "error.msg.reason"),
    ("reopening needs a reason", "error.msg.reason"),
    ("an extension needs a reason", "error.msg.reason"),
    ("the expected resume date is in the past", "error.msg.resume_past"),
    ("this case has already been extended once", "error.msg.extended_once"),
    ("the case is already with that department", "error.msg.same_department"),
    ("route the case to a department before assigning it", "error.msg.route_first"),
    ("sandbox accounts cannot be used in production", "error.msg.sandbox_in_production"),
    ("a 공익신고 is never published", "error.msg.whistleblower_private"),
    ("the citizen asked to keep this case private", "error.msg.citizen_private"),
    ("the public text cannot be empty", "error.msg.public_text_empty"),
    ("공개 검토 is for operators", "error.msg.review_operators"),
)
SLOT = re.compile(r"\[[^\[\]\n]+\]")


def error_text(exc: SotongError, lang: str) -> str:
    """The error's message for a page in `lang`: English as raised, Korean from the catalogue."""
    action, status = str(exc.extra.get("action")), str(exc.extra.get("status"))
    statuses = {s.value for s in CaseStatus}
    if lang != "en" and isinstance(exc, IllegalTransition) and action in TRANSITIONS and status in statuses:
        return translate(
            lang,
            "error.msg.transition",
            action=translate(lang, f"action.{action}"),
            status=status_label(CaseStatus(status), lang),
        )
    return message_text(exc.message, exc.code, lang)


def message_text(message: str, code: str, lang: str) -> str:
    """`error_text` for an error kept as its message and code (a bulk action's per-case results)."""
    if lang == "en":
        return message
    for start, key in KNOWN:
        if message.startswith(start):
            return translate(lang, key, slots=", ".join(SLOT.findall(message)))
    key = f"error.kind.{code}"
    text = translate(lang, key)
    return text if text != key else translate(lang, "error.kind.error")
