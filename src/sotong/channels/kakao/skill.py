"""The conversation of the skill server: take a complaint in (photos fetched at once), look a case up, help.

Kakao waits five seconds for a skill response. Taking a complaint in (fetching photos, storing the message,
opening the case) runs in its own thread; if it finishes within the account's budget the receipt is the
skill response itself, otherwise Kakao is told ``useCallback`` and the receipt goes to the callback URL.
Which of the two happened is decided once, under a lock, and written with the message in one transaction,
so the outbox worker never sends a receipt the citizen already has, and never forgets one they do not.

A free utterance or a photo alone is one bubble of a chat (cases/actions/conversations.py): it opens no case by
itself, so its answer is no receipt but a line saying it was received and that the receipt follows when the
citizen has finished (by the Event API, once the conversation has been silent for the account's window). Every
bubble gets that line, the first saying what will happen, the next ones only that they were added; a bubble
after the conversation became a case, while that case is open, is told it was added to it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sotong.cases.actions import IntakeResult, chat_choice, choose_in_chat, receive_message
from sotong.cases.actions.intake import conversation_window
from sotong.cases.inbound import InboundMessage
from sotong.cases.links import tracking_url
from sotong.cases.models import Case, CaseStatus, Message
from sotong.cases.wording import CITIZEN_STATUS, SEOUL, reply_text
from sotong.channels.base import ChannelError, Responded, WebhookReply, WebhookRequest
from sotong.channels.kakao.images import ImageFetchError, fetch_images
from sotong.channels.kakao.models import KakaoSkillTurn
from sotong.channels.kakao.protocol import (
    DEFAULT_ANSWER_WITHIN,
    DEFAULT_IMAGE_PREFIXES,
    TEXT_LIMIT,
    SkillRequest,
    external_id,
    inbound_message,
    is_help,
    lookup_number,
    parse_skill,
    push,
    receipt_response,
    skill_response,
)
from sotong.db import atomic
from sotong.errors import AttachmentRejected, InvalidInput
from sotong.orgs.models import ChannelAccount, Department
from sotong.outbox.models import OutboxItem
from sotong.outbox.transports import Delivery
from sotong.text.fitting import fit

log = logging.getLogger(__name__)

# Kakao gives up after 5 s: past this, a request without a callback URL gets its receipt by the Event API.
HARD_LIMIT_SECONDS = 4.5
HOLD_TEXT = "민원을 접수하고 있습니다. 잠시만 기다려 주세요."
HELP_TEXT = (
    "송파구 민원 창구입니다. 불편한 점을 적어 보내 주시면 접수번호와 함께 답을 드립니다. "
    "접수번호로 처리 상황을 조회할 수 있습니다 (예: 2026-송파-000123 조회)."
)
SessionMaker = Callable[[], Session]


@dataclass
class Decision:
    """Where the receipt goes, decided exactly once by whichever of the two threads gets there first."""

    mode: str | None = None
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def decide(self, mode: str) -> str:
        """Settle on `mode` unless the other side already settled; returns what holds."""
        with self.lock:
            if self.mode is None:
                self.mode = mode
            return self.mode


def help_answer() -> dict[str, Any]:
    """The menu: what this channel does, with a quick reply to start."""
    return skill_response([HELP_TEXT], quick_replies=[("민원 접수", "민원 접수")])


def status_answer(session: Session, *, account_id: int, user_key: str, number: str) -> dict[str, Any]:
    """The status of one of the citizen's own cases; other people's cases are not found, whoever asks."""
    case = session.scalar(
        select(Case).where(Case.number == number, Case.channel_account_id == account_id, Case.author_handle == user_key)
    )
    if case is None:
        session.rollback()
        return skill_response([f"접수번호 {number}의 민원을 찾을 수 없습니다. 접수번호를 확인해 주세요."])
    url = tracking_url(case_number=case.number, citizen_token=case.citizen_token, private=True)
    lines = [f"[{case.number}] {case.title}", f"상태: {CITIZEN_STATUS.get(case.status, case.status.value)}"]
    if case.department_id is not None:
        department = session.get(Department, case.department_id)
        if department is not None:
            lines.append(f"담당 부서: {department.name}")
    lines.append(f"처리기한: {case.due_at.astimezone(SEOUL):%Y-%m-%d}")
    if case.answers:
        lines.append(f"답변: {case.answers[-1].body.strip()}")
    lines.append(url)
    session.rollback()  # a read: do not hold a transaction while Kakao waits
    return skill_response([fit("\n".join(lines), TEXT_LIMIT, url)], quick_replies=[("새 민원 접수", "민원 접수")])


def take_complaint(
    sessions: SessionMaker,
    *,
    account_id: int,
    config: Mapping[str, Any],
    request: SkillRequest,
    inbound: InboundMessage,
    decision: Decision,
) -> dict[str, Any]:
    """Fetch the photos, store the message once and open its case; the skill response carrying the receipt."""
    if request.photo_urls:
        prefixes = tuple(config.get("image_url_prefixes") or DEFAULT_IMAGE_PREFIXES)
        inbound = dataclasses.replace(inbound, attachments=fetch_images(request.photo_urls, prefixes=prefixes))
    with sessions() as session:
        try:
            with atomic(session):
                result = receive_message(session, account_id=account_id, inbound=inbound)
                if result.created and result.new_case:
                    mode = decision.decide("inline")
                    session.add(
                        KakaoSkillTurn(
                            account_id=account_id,
                            external_id=inbound.external_id,
                            mode=mode,
                            callback_url=request.callback_url if mode == "callback" else None,
                        )
                    )
        except SQLAlchemyError:
            # The same request stored by a concurrent delivery of it between intake's check and our insert.
            session.rollback()
            result = receive_message(session, account_id=account_id, inbound=inbound)
            if result.created:
                raise
        if result.case is None or (result.created and not result.new_case):
            answer = _bubble_answer(session, account_id, result)
            # No receipt row stands behind this answer: if Kakao was told to wait for the callback, post it there.
            if decision.decide("inline") == "callback" and request.callback_url:
                _post_callback(request.callback_url, answer)
            return answer
        return _receipt(session, result)


def _bubble_answer(session: Session, account_id: int, result: IntakeResult) -> dict[str, Any]:
    """What a chat bubble is told: received (the receipt follows when the citizen has finished), or added to
    their open case."""
    case = result.case
    if case is not None:
        url = tracking_url(case_number=case.number, citizen_token=case.citizen_token, private=True)
        text = f"접수번호 {case.number} 민원에 덧붙여 담당자에게 전했습니다. 진행 상황: {url}"
        session.rollback()
        return receipt_response(case.number, fit(text, TEXT_LIMIT, url))
    account = session.get(ChannelAccount, account_id)
    minutes = conversation_window(account).total_seconds() / 60 if account is not None else 3.0
    count = session.scalar(
        select(func.count(Message.id)).where(Message.conversation_id == result.message.conversation_id)
    )
    session.rollback()  # a read: do not hold a transaction while Kakao waits
    if (count or 0) <= 1:
        text = (
            "말씀 잘 받았습니다. 덧붙일 내용이나 사진이 있으면 이어서 보내 주세요. "
            f"마지막으로 보내신 뒤 {minutes:g}분이 지나면 모두 한 건의 민원으로 접수하고 접수번호를 알려 드립니다."
        )
    else:
        text = (
            f"이어서 받았습니다. 더 보내실 내용이 없으면 {minutes:g}분 뒤 한 건으로 접수하고 접수번호를 보내 드립니다."
        )
    return skill_response([text])


def _receipt(session: Session, result: IntakeResult) -> dict[str, Any]:
    case = result.case
    assert case is not None
    if not result.created:
        url = tracking_url(case_number=case.number, citizen_token=case.citizen_token, private=True)
        return receipt_response(case.number, f"이미 접수된 민원입니다. 접수번호 {case.number}. 진행 상황: {url}")
    item = session.scalar(
        select(OutboxItem)
        .where(OutboxItem.case_id == case.id, OutboxItem.kind.in_(("receipt", "acknowledgement")))
        .order_by(OutboxItem.id)
    )
    # The very words the worker would have sent: the outbox row is the one source of a receipt's text. Chatter
    # the organisation answers with nothing gets no row: a plain "received" then, with no case number promised.
    text = reply_text(Delivery.of(item)) if item is not None else "보내주신 말씀 잘 받았습니다."
    if case.status is CaseStatus.rejected:
        # Chatter, hidden at intake: thanked, with no "처리 상황 조회" button for a case the citizen was never given.
        return skill_response([text])
    return receipt_response(case.number, text, ask_visibility=bool(item and item.payload.get("ask_visibility")))


def refusal(exc: Exception) -> dict[str, Any]:
    """What the citizen is told when their message cannot be taken in (nothing was stored)."""
    if isinstance(exc, ImageFetchError):
        return skill_response(["사진을 내려받지 못했습니다. 사진을 다시 보내 주세요."])
    if isinstance(exc, AttachmentRejected):
        return skill_response(["보내신 파일은 사진으로 받을 수 없습니다. JPEG나 PNG 사진을 보내 주세요."])
    if isinstance(exc, InvalidInput):
        return skill_response(["민원 내용을 글로 적어 보내 주세요."])
    return skill_response(["잠시 후 다시 보내 주세요. 민원을 접수하지 못했습니다."])


def answer_within_budget(
    sessions: SessionMaker,
    *,
    account_id: int,
    config: Mapping[str, Any],
    request: SkillRequest,
    inbound: InboundMessage,
) -> tuple[dict[str, Any], str | None]:
    """The skill response: the receipt when intake is fast enough, else useCallback (or, lacking a callback
    URL, a holding text with the receipt following by the Event API); and why intake failed, if it did."""
    decision = Decision()
    done = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["answer"] = take_complaint(
                sessions, account_id=account_id, config=config, request=request, inbound=inbound, decision=decision
            )
        except Exception as exc:  # reported to the citizen below, or through the callback
            box["error"] = exc
            level = (
                logging.WARNING
                if isinstance(exc, ImageFetchError | AttachmentRejected | InvalidInput)
                else logging.ERROR
            )
            log.log(level, "kakao account %s: complaint %s not taken in: %s", account_id, inbound.external_id, exc)
        finally:
            done.set()
        if "error" in box and decision.mode == "callback" and request.callback_url:
            _post_callback(request.callback_url, refusal(box["error"]))
        elif "error" in box and decision.mode == "event":
            _push_refusal(config, request.user_key, refusal(box["error"]))

    threading.Thread(target=work, name=f"kakao-skill-{account_id}", daemon=True).start()
    budget = float(config.get("answer_within_seconds") or DEFAULT_ANSWER_WITHIN)
    if not done.wait(budget):
        if request.callback_url and decision.decide("callback") == "callback":
            return {"version": "2.0", "useCallback": True, "data": {"text": HOLD_TEXT}}, None
        if not done.wait(max(HARD_LIMIT_SECONDS - budget, 0.0)) and decision.decide("event") == "event":
            return skill_response([HOLD_TEXT]), None
        done.wait()  # intake settled on answering inline and is committing
    if "error" in box:
        return refusal(box["error"]), f"complaint not taken in: {box['error']}"
    answer: dict[str, Any] = box["answer"]
    return answer, None


def _post_callback(callback_url: str, body: dict[str, Any]) -> None:
    """Tell the citizen through the callback that their complaint could not be taken in (nothing to retry)."""
    try:
        httpx.post(callback_url, json=body, timeout=10.0, follow_redirects=False)
    except httpx.HTTPError as exc:
        log.warning("kakao: callback refusal not delivered: %s", exc)


def _push_refusal(config: Mapping[str, Any], user_key: str, answer: dict[str, Any]) -> None:
    """The citizen was told to wait and nothing was stored: say so through the Event API (best effort)."""
    text = answer["template"]["outputs"][0]["simpleText"]["text"]
    try:
        push(config, user_key, text)
    except ChannelError as exc:
        log.warning("kakao: refusal not pushed to %s: %s", user_key, exc.message)


def _visibility_answer(
    sessions: SessionMaker, *, account_id: int, config: Mapping[str, Any], request: SkillRequest
) -> dict[str, Any] | None:
    """The citizen's 공개/비공개 answer to their receipt (a quick reply or typed), applied to their case; None when
    the utterance is no such answer or no case of theirs asked (then it is taken in as any message)."""
    what = request.params.get(str(config.get("param_what") or "what"))
    choice = chat_choice(request.utterance) if not what and not request.photo_urls else None
    if choice is None:
        return None
    with sessions() as session:
        chosen = choose_in_chat(
            session,
            account_id=account_id,
            author_handle=request.user_key,
            choice=choice,
            reply_key=external_id(request),
            notify=False,  # the skill response is the answer
        )
    if chosen is None:
        return None
    return skill_response(
        [f"민원 {chosen.case.number}: {chosen.text}"], quick_replies=[("처리 상황 조회", f"{chosen.case.number} 조회")]
    )


def respond(
    sessions: SessionMaker, *, account_id: int, config: Mapping[str, Any], request: WebhookRequest
) -> Responded:
    """One verified skill request of the account's bot: a status question, a greeting, or a complaint taken in
    (its receipt in the answer when intake is fast enough). MalformedPayload when the body is not a skill request."""
    parsed = parse_skill(config, request.body)
    number = lookup_number(parsed)
    if number is not None:
        with sessions() as session:
            answer = status_answer(session, account_id=account_id, user_key=parsed.user_key, number=number)
        return Responded(WebhookReply(answer))
    if is_help(parsed, config):
        return Responded(WebhookReply(help_answer()))
    chosen = _visibility_answer(sessions, account_id=account_id, config=config, request=parsed)
    if chosen is not None:
        return Responded(WebhookReply(chosen))
    answer, error = answer_within_budget(
        sessions, account_id=account_id, config=config, request=parsed, inbound=inbound_message(config, parsed)
    )
    # A complaint still being taken in (the callback path) counts as arrived: the thread stores it or logs why not.
    return Responded(WebhookReply(answer), stored=0 if error else 1, error=error)
