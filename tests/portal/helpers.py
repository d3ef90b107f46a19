"""Public cases driven through the real actions, for the portal tests."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator

from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.actions import publication
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.channels import accounts as channel_accounts
from sotong.orgs.models import Channel, ChannelAccount
from tests.factories import World, inbound, publish


def web_account(session: Session, world: World) -> ChannelAccount:
    """Songpa's web-form account (follow-ups from the case page arrive on it)."""
    return channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.web, handle="web"
    )


def received(
    session: Session,
    world: World,
    text: str,
    *,
    minutes_ago: int = 0,
    account: ChannelAccount | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    release: bool = True,
) -> Case:
    """A case as a channel hands it over, received `minutes_ago`; released by an operator (공개 검토) unless
    `release` is False or intake hid it as chatter."""
    message = inbound(text, received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago))
    if latitude is not None:
        message = dataclasses.replace(message, latitude=latitude, longitude=longitude)
    case = actions.receive_message(session, account_id=(account or world.x_account).id, inbound=message).case
    if release and case.status is not CaseStatus.rejected:
        publish(session, world, case)
    return case


def answered(session: Session, world: World, text: str, answer: str, **kwargs: object) -> Case:
    """A case triaged to 도로과 and answered by its officer."""
    case = received(session, world, text, **kwargs)  # type: ignore[arg-type]
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body=answer)
    session.refresh(case)
    return case


@contextlib.contextmanager
def another_process() -> Iterator[None]:
    """What happens meanwhile is done by another web process: this process's caches hear nothing of it."""
    saved = list(publication._listeners)
    publication._listeners.clear()
    try:
        yield
    finally:
        publication._listeners[:] = saved
