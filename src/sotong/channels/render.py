"""The words of receipts and answers as they go out on a social channel (plain text, Korean)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sotong.outbox.transports import Delivery

SEOUL = ZoneInfo("Asia/Seoul")


def _deadline(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        due = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    # Citizens read deadlines in local time, whatever the server stores.
    return due.astimezone(SEOUL).strftime("%Y-%m-%d")


def reply_text(delivery: Delivery) -> str:
    """The text for one outbox item: receipt, answer, notices; always with the case number and tracking link."""
    payload = delivery.payload
    number = payload.get("case_number") or ""
    url = payload.get("tracking_url") or ""
    if delivery.kind == "receipt":
        due = _deadline(payload.get("due_at"))
        deadline = f", 처리기한 {due}" if due else ""
        return f"민원이 접수되었습니다. 접수번호 {number}{deadline}. 진행 상황: {url}"
    if delivery.kind == "answer":
        return f"[{number} 답변] {str(payload.get('body') or '').strip()}\n{url}"
    if delivery.kind == "transfer_notice":
        to_org, new_number = payload.get("to_org", ""), payload.get("new_case_number", "")
        return f"민원 {number}은(는) {to_org}(으)로 이송되었습니다 (새 접수번호 {new_number})."
    if delivery.kind == "extension_notice":
        due = _deadline(payload.get("due_at"))
        return f"민원 {number}의 처리기한이 {due or ''}(으)로 연장되었습니다. {url}"
    return f"민원 {number}: {str(payload.get('text') or '').strip()} {url}".strip()


def fit(text: str, limit: int, url: str) -> str:
    """Shorten `text` to `limit` characters, ending with the link to the full text when something was cut."""
    if len(text) <= limit:
        return text
    tail = f"… {url}" if url else "…"
    return text[: max(limit - len(tail), 0)].rstrip() + tail
