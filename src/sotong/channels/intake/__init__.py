"""Handing parsed messages to intake: a poll page in one transaction, one message at a time when that fails.

A page is checked against what is already stored with one SELECT, then its new messages are stored together
(`receive_new_messages`: one INSERT per table, not a dozen round trips per message). If that transaction fails
(a message the batch could not store, or another worker storing one of them first), nothing of it is kept and
the messages are taken in one by one, each in its own transaction, so one bad message never holds back the rest
and a retried batch is harmless.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.actions import chat_choice, check_inbound, choose_in_chat, receive_message, receive_new_messages
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Message
from sotong.channels.intake.media import MediaPolicy, with_media
from sotong.db import utcnow
from sotong.errors import AttachmentRejected, InvalidInput
from sotong.orgs.models import ChannelAccount
from sotong.secrets import open_config

log = logging.getLogger(__name__)

# Messages stored per transaction: a page of X mentions (100) at once, a backlog of 800 in a few commits.
BATCH_SIZE = 100
# A platform's timestamp decides the statutory deadline, so one far from now is not believed: later than a few
# minutes ahead (a clock or a parser gone wrong; a deadline would be pushed out) or older than a year (epoch 0, a
# two-digit year; the case would be overdue on arrival) is replaced by the time it reached us, with a log line.
MAX_AHEAD = dt.timedelta(minutes=5)
MAX_BEHIND = dt.timedelta(days=365)


def bounded(inbound: InboundMessage, account_id: int, now: dt.datetime) -> InboundMessage:
    """The message with its platform timestamp kept if plausible, else clamped to `now` (and the clamp logged)."""
    at = inbound.received_at
    if at.tzinfo is None or now - MAX_BEHIND <= at <= now + MAX_AHEAD:
        return inbound  # a naive timestamp is refused by check_inbound, with its reason
    log.warning(
        "account %s: message %s has a platform timestamp %s far from now (%s); stored as received now",
        account_id,
        inbound.external_id,
        at.isoformat(),
        now.isoformat(),
    )
    return dataclasses.replace(inbound, received_at=now)


@dataclass
class TakeInResult:
    """How a batch went: new messages, ones already stored (retries, overlapping polls), refused ones."""

    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    answered: int = 0  # a private chat's 공개/비공개 answers: applied to the case, not stored as messages


def _stored_ids(session: Session, account_id: int, external_ids: list[str]) -> set[str]:
    """Which of these platform ids the account has already stored (one SELECT for the whole page)."""
    found: set[str] = set()
    for start in range(0, len(external_ids), 1000):
        found.update(
            session.scalars(
                select(Message.external_id).where(
                    Message.channel_account_id == account_id,
                    Message.external_id.in_(external_ids[start : start + 1000]),
                )
            )
        )
    session.rollback()  # a read only: no transaction stays open while photos download
    return found


def _media_policy(session: Session, account_id: int) -> MediaPolicy:
    """Where this account's media may come from besides its platform's hosts: its own configured servers."""
    account = session.get(ChannelAccount, account_id)
    config = open_config(account.config) if account is not None else {}
    session.rollback()  # a read only: no transaction stays open while photos download
    return MediaPolicy.for_account((), config)


def take_in(
    session: Session, *, account_id: int, messages: Iterable[InboundMessage], now: dt.datetime | None = None
) -> TakeInResult:
    """Store each message exactly once (opening a case or attaching a follow-up); refusals are logged, not fatal."""
    now = now or utcnow()
    result = TakeInResult()
    page: list[InboundMessage] = []
    seen: set[str] = set()
    for inbound in messages:
        if inbound.external_id in seen:
            result.duplicates += 1  # the same message twice in one page (a platform repeating itself)
            continue
        seen.add(inbound.external_id)
        page.append(bounded(inbound, account_id, now))
    stored = _stored_ids(session, account_id, [inbound.external_id for inbound in page])
    fresh: list[InboundMessage] = []
    policy: MediaPolicy | None = None
    for inbound in page:
        if inbound.external_id in stored:
            result.duplicates += 1
            continue
        if _visibility_answer(session, account_id, inbound):
            result.answered += 1
            continue
        try:
            if inbound.media_urls:
                policy = policy or _media_policy(session, account_id)
                inbound = with_media(inbound, policy)  # only for new messages: a retry never downloads again
            check_inbound(inbound)
        except (InvalidInput, AttachmentRejected) as exc:
            _refused(account_id, inbound, exc)
            result.refused += 1
            continue
        fresh.append(inbound)
    for start in range(0, len(fresh), BATCH_SIZE):
        _store(session, account_id, fresh[start : start + BATCH_SIZE], result)
    return result


def _visibility_answer(session: Session, account_id: int, inbound: InboundMessage) -> bool:
    """A private chat's citizen answering the receipt's 공개/비공개 question (a button or the word alone): applied
    to their case and confirmed to them, not stored as a message. False for anything else."""
    if not inbound.chat or not inbound.author_handle or inbound.attachments or inbound.media_urls:
        return False
    raw = inbound.raw if isinstance(inbound.raw, dict) else {}
    choice = raw.get("visibility_reply") or chat_choice(inbound.text)
    if choice not in ("public", "private"):
        return False
    chosen = choose_in_chat(
        session,
        account_id=account_id,
        author_handle=inbound.author_handle,
        choice=choice,
        reply_key=inbound.external_id,
        notify=True,
    )
    return chosen is not None


def _store(session: Session, account_id: int, batch: list[InboundMessage], result: TakeInResult) -> None:
    try:
        result.stored += len(receive_new_messages(session, account_id=account_id, inbounds=batch))
        return
    except Exception as exc:  # rolled back whole; one by one below says which message it was, or raises
        log.info(
            "account %s: a batch of %s messages failed (%s); taking them in one by one", account_id, len(batch), exc
        )
    for inbound in batch:
        try:
            outcome = receive_message(session, account_id=account_id, inbound=inbound)
        except (InvalidInput, AttachmentRejected) as exc:
            _refused(account_id, inbound, exc)
            result.refused += 1
            continue
        if outcome.created:
            result.stored += 1
        else:
            result.duplicates += 1


def _refused(account_id: int, inbound: InboundMessage, exc: Exception) -> None:
    # One unusable message must not make the platform redeliver (and us re-store) the rest forever.
    log.warning("account %s: message %s refused: %s", account_id, inbound.external_id, exc)
