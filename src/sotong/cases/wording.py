"""What citizens read about their case, in the words the product uses with them (plain Korean).

Receipts, answers and notices as every channel sends them (`reply_text`), and the stages of a case as a citizen
is told them (`CITIZEN_STATUS`). Staff read other words for the same statuses, on purpose: the catalogue's
``status.*`` (cases/status.py `status_label`), finer and in the statute's terms.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sotong.cases.models import CaseStatus
from sotong.i18n.particles import attach
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


def _day(value: object) -> str | None:
    """A calendar day as the citizen reads it (2026-12-21), from its ISO form."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return None


ACKNOWLEDGEMENT = "보내주신 말씀 감사합니다. 소중한 의견으로 잘 받았습니다. 불편하신 점이 있으면 언제든 알려 주세요."


# A private chat's receipt asks whether the case may be published (default 비공개, as 국민신문고 does); the answer
# words are those of `cases.actions.publication.CHAT_CHOICES`.
ASK_VISIBILITY = "이 민원은 공개하지 않습니다. 개인정보를 가려 공개 민원 목록에 올려도 된다면 '공개'라고 보내 주세요."


# What the citizen is told after answering that question in the chat.
VISIBILITY_CHOSEN = {
    "public": "공개로 바꿨습니다. 담당자가 개인정보를 가린 것을 확인한 뒤 공개 민원 목록에 올립니다.",
    "private": "비공개로 정했습니다. 공개되지 않으며, 답변은 이 채팅으로 받으실 수 있습니다.",
    "refused": "비공개로 정하신 민원은 다시 공개할 수 없습니다. 답변은 이 채팅으로 받으실 수 있습니다.",
}


def reply_text(delivery: Delivery) -> str:
    """The text for one outbox item: receipt, answer, notices; always with the case number and tracking link."""
    payload = delivery.payload
    number = payload.get("case_number") or ""
    url = payload.get("tracking_url") or ""
    if delivery.kind == "receipt":
        due = _deadline(payload.get("due_at"))
        deadline = f", 처리기한 {due}" if due else ""
        ask = f" {ASK_VISIBILITY}" if payload.get("ask_visibility") else ""
        return f"민원이 접수되었습니다. 접수번호 {number}{deadline}.{ask} 진행 상황: {url}"
    if delivery.kind == "acknowledgement":
        # Chatter (a greeting, praise): thanked, not taken in as a complaint, so no case number and no deadline.
        return ACKNOWLEDGEMENT
    if delivery.kind == "answer":
        # The signature (public replies only, cases/delivery.py) is the officer's: never masked, never the citizen's.
        signed = f"\n담당: {payload['signature']}" if payload.get("signature") else ""
        return f"[{number} 답변] {str(payload.get('body') or '').strip()}{signed}\n{url}"
    if delivery.kind == "transfer_notice":
        to_org, new_number = payload.get("to_org", ""), payload.get("new_case_number", "")
        return f"민원 {attach(number, '은')} {attach(to_org, '으로')} 이송되었습니다 (새 접수번호 {new_number})."
    if delivery.kind == "hold_notice":
        reason = str(payload.get("reason") or "").strip()
        until = _day(payload.get("until"))
        resume = f" {until}에 다시 처리할 예정입니다." if until else ""
        return f"민원 {number}의 처리를 잠시 보류합니다. 사유: {reason}.{resume} {url}".strip()
    if delivery.kind == "tracking_link":
        # Asked for on the web receipt: the one secret of the receipt, to keep somewhere other than the screen.
        return f"민원 {number}의 처리 경과는 이 주소에서 확인하세요: {url}"
    if delivery.kind == "extension_notice":
        due = _deadline(payload.get("due_at"))
        return f"민원 {number}의 처리기한이 {attach(due or '', '으로')} 연장되었습니다. {url}"
    return f"민원 {number}: {str(payload.get('text') or '').strip()} {url}".strip()


# How the Kakao chatbot names a case's stage to the citizen who asks about it: plainer than the staff's words.
CITIZEN_STATUS: dict[CaseStatus, str] = {
    CaseStatus.received: "접수",
    CaseStatus.triaged: "분류 완료",
    CaseStatus.assigned: "담당자 배정",
    CaseStatus.in_progress: "처리 중",
    CaseStatus.on_hold: "보류",
    CaseStatus.transferred: "이송",
    CaseStatus.transferred_out: "타 기관 이송",
    CaseStatus.answered: "답변 완료",
    CaseStatus.closed: "종결",
    CaseStatus.rejected: "처리 불가",
    CaseStatus.reopened: "재문의 접수",
}
