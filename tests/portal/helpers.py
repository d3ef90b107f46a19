"""Public cases driven through the real actions, for the portal tests."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.models import Case, ComplaintType
from sotong.channels import accounts as channel_accounts
from sotong.orgs.models import Channel, ChannelAccount
from tests.factories import World, inbound


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
) -> Case:
    """A case as a channel hands it over, received `minutes_ago`."""
    message = inbound(text, received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago))
    if latitude is not None:
        message = dataclasses.replace(message, latitude=latitude, longitude=longitude)
    return actions.receive_message(session, account_id=(account or world.x_account).id, inbound=message).case


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
