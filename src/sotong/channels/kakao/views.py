"""The skill server: POST /hooks/kakao/{account_id}, answered with a skill response within Kakao's 5 seconds.

Same order as the generic webhook route: the token is checked before the body is read as JSON, the body is
parsed before anything is stored, and a bad request leaves nothing but a log line.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from sotong.channels.base import MalformedPayload, SignatureError
from sotong.channels.health import record_attempt
from sotong.channels.hooks import raw_body
from sotong.channels.kakao import skill
from sotong.channels.kakao.connector import KakaoConnector, inbound_message, is_help, lookup_number, parse_skill
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from sotong.web.deps import DbSession

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hooks", include_in_schema=False)
connector = KakaoConnector()


def _refuse(status: int, reason: str, account_id: int, db: Session | None = None) -> JSONResponse:
    log.warning("hook kakao/%s refused (%s): %s", account_id, status, reason)
    if db is not None:  # a known account: its admins see the refusal in its health
        db.rollback()
        record_attempt(db, account_id=account_id, source="webhook", error=f"webhook refused ({status}): {reason}")
    return JSONResponse({"error": reason}, status_code=status)


@router.post("/kakao/{account_id}")
def skill_request(
    account_id: int, request: Request, db: DbSession, body: Annotated[bytes, Depends(raw_body)]
) -> JSONResponse:
    """One skill request of the account's bot: a complaint, a status question or a greeting."""
    account = db.get(ChannelAccount, account_id)
    if account is None or account.channel is not Channel.kakao:
        return _refuse(404, f"no kakao account {account_id}", account_id)
    if not account.enabled:
        return _refuse(403, f"account {account_id} is disabled", account_id)
    config: dict[str, Any] = open_config(account.config)  # secrets decrypted for this request only
    db.rollback()  # end the read: intake opens its own transactions
    try:
        connector.verify(config, headers=request.headers, body=body)
    except SignatureError as exc:
        return _refuse(401 if exc.missing else 403, exc.message, account_id, db)
    try:
        parsed = parse_skill(config, body)
    except MalformedPayload as exc:
        return _refuse(400, exc.message, account_id, db)
    number = lookup_number(parsed)
    if number is not None:
        answer = skill.status_answer(db, account_id=account_id, user_key=parsed.user_key, number=number)
        record_attempt(db, account_id=account_id, source="webhook")
        return JSONResponse(answer)
    if is_help(parsed, config):
        record_attempt(db, account_id=account_id, source="webhook")
        return JSONResponse(skill.help_answer())
    answer, error = skill.answer_within_budget(
        request.app.state.sessions,
        account_id=account_id,
        config=config,
        request=parsed,
        inbound=inbound_message(config, parsed),
    )
    # A complaint still being taken in (the callback path) counts as arrived: the thread stores it or logs why not.
    record_attempt(db, account_id=account_id, source="webhook", error=error, stored=0 if error else 1)
    return JSONResponse(answer)
