"""The TalkTalk webhook: POST /hooks/naver/{account_id}, answered 200 with no body (receipts follow by the
send API through the outbox, so a slow database never makes TalkTalk's 5-second read time out twice).

Same order as the generic webhook route: the caller is checked first, the body parsed before anything is
stored, and a bad request leaves nothing but a log line.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from sotong.channels.base import MalformedPayload, SignatureError
from sotong.channels.health import record_attempt
from sotong.channels.hooks import raw_body
from sotong.channels.intake import take_in
from sotong.channels.naver.connector import NaverConnector
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from sotong.web.deps import DbSession

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hooks", include_in_schema=False)
connector = NaverConnector()


def _refuse(status: int, reason: str, account_id: int, db: Session | None = None) -> JSONResponse:
    log.warning("hook naver/%s refused (%s): %s", account_id, status, reason)
    if db is not None:  # a known account: its admins see the refusal in its health
        db.rollback()
        record_attempt(db, account_id=account_id, source="webhook", error=f"webhook refused ({status}): {reason}")
    return JSONResponse({"error": reason}, status_code=status)


@router.post("/naver/{account_id}")
def event(account_id: int, request: Request, db: DbSession, body: Annotated[bytes, Depends(raw_body)]) -> Response:
    """One TalkTalk event of the account: a citizen's message is stored once; other events are acknowledged."""
    account = db.get(ChannelAccount, account_id)
    if account is None or account.channel is not Channel.naver:
        return _refuse(404, f"no naver account {account_id}", account_id)
    if not account.enabled:
        return _refuse(403, f"account {account_id} is disabled", account_id)
    config = open_config(account.config)  # secrets decrypted for this request only
    db.rollback()  # end the read: intake opens its own transactions
    client_ip = request.client.host if request.client else None
    try:
        connector.verify_caller(config, client_ip=client_ip, query=dict(request.query_params))
    except SignatureError as exc:
        return _refuse(401 if exc.missing else 403, exc.message, account_id, db)
    try:
        messages = connector.parse(config, body)
    except MalformedPayload as exc:
        return _refuse(400, exc.message, account_id, db)
    result = take_in(db, account_id=account_id, messages=messages)
    record_attempt(db, account_id=account_id, source="webhook", stored=result.stored)
    return Response(status_code=200)
