"""The preview shows the reply exactly as the channel will carry it, and the public answer masked."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI, Actor
from sotong.cases import actions as case_actions
from sotong.cases.models import Case, ComplaintType
from sotong.channels import accounts as channel_accounts
from sotong.channels.preview import channel_text, preview
from sotong.channels.x.poll import poll
from sotong.channels.x.text import ascii_url, weighted_length
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxItem
from sotong.outbox.transports import Delivery
from tests.channels.conftest import deliver, factory, x, x_account  # noqa: F401 - fixtures of the fake X
from tests.factories import World, inbound
from tests.fakes.x import FakeX

LONG = "석촌호수 동호 산책로 보도블럭 파손 구간을 확인하여 12장을 교체하고 주변 단차를 정비하였습니다. " * 3


def test_x_counts_hangul_double_and_cuts_with_the_link(session: Session, case: Case) -> None:
    body = "가" * 150  # 150 characters, but 300 as X counts them
    result = preview(session, case, body=body)
    channel = result.channel
    assert channel.transport == "x" and channel.limit == 280 and channel.unit == "weighted"
    assert channel.shortened
    assert channel.length == weighted_length(channel.text) <= 280
    # X sees the link percent-encoded (twitter-text would end a link at the Hangul of the case number).
    assert channel.text.endswith(f"… {ascii_url(result.tracking_url)}")
    assert channel.text.startswith(f"[{case.number} 답변] 가가")

    short = preview(session, case, body="보수를 완료했습니다.").channel
    assert not short.shortened
    assert short.text == f"[{case.number} 답변] 보수를 완료했습니다.\n{ascii_url(result.tracking_url)}"


def test_email_carries_the_whole_answer(session: Session, world: World) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.email, handle="minwon@songpa.example"
    )
    case = case_actions.receive_message(
        session, account_id=account.id, inbound=inbound("보도블럭이 깨졌습니다", author="kim@example.com")
    ).case
    channel = preview(session, case, body=LONG).channel
    assert channel.transport == "email" and channel.limit is None and not channel.shortened
    assert LONG.strip() in channel.text


def test_mastodon_keeps_the_mention_within_500(session: Session, world: World) -> None:
    case = case_actions.receive_message(
        session, account_id=world.mastodon_account.id, inbound=inbound("가로등이 꺼졌어요", author="@minji@gov.social")
    ).case
    channel = preview(session, case, body=LONG * 3).channel
    assert channel.transport == "mastodon" and channel.shortened
    assert channel.text.startswith("@minji@gov.social [")
    assert channel.length <= 500


def test_public_version_masks_phone_name_and_handle(session: Session, case: Case) -> None:
    body = "@citizen_kim 님, 담당자 홍길동 주무관(010-1234-5678)이 보수를 완료했습니다."
    public = preview(session, case, body=body).public
    assert "010-1234-5678" not in public and "홍길동" not in public and "@citizen_kim" not in public
    assert "[전화번호]" in public and "[이름]" in public and "[민원인]" in public
    # An explicit public version is what gets masked, not the reply.
    assert (
        preview(session, case, body=body, public_body="보수 완료 (김영희님 확인)").public == "보수 완료 ([이름]님 확인)"
    )


def test_the_preview_is_what_x_really_posts(
    session: Session,
    world: World,
    x: FakeX,  # noqa: F811
    x_account: ChannelAccount,  # noqa: F811
    deliver: Callable[[], int],  # noqa: F811
) -> None:
    x.mention("석촌호수 산책로 보도블럭이 깨졌어요", author=x.user())
    poll(session, account_id=x_account.id)
    case = session.scalars(select(Case).where(Case.channel_account_id == x_account.id)).one()
    case_actions.triage(
        session, actor=world.actor(world.operator), case_id=case.id, complaint_type=ComplaintType.grievance
    )
    deliver()  # the receipt
    expected = preview(session, case, body=LONG).channel
    assert expected.shortened

    case_actions.answer(session, actor=Actor.for_user(world.operator), case_id=case.id, body=LONG)
    deliver()

    posted = x.replies()[-1]
    text = posted["text"].removeprefix("@minji_kim ")  # the handle X puts in front of a reply
    for url in posted.get("entities", {}).get("urls", []):
        text = text.replace(url["url"], url["expanded_url"])
    assert text == expected.text


def test_sms_counts_bytes_and_goes_long_with_the_link(session: Session, world: World) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.sms, handle="#0120"
    )
    case = case_actions.receive_message(
        session, account_id=account.id, inbound=inbound("가로등이 꺼졌어요", author="010-1234-5678")
    ).case
    result = preview(session, case, body="가" * 1200)  # 2,400 bytes in EUC-KR: more than an LMS carries
    channel = result.channel
    assert channel.transport == "sms" and channel.unit == "bytes" and channel.limit == 2000
    assert channel.shortened and channel.length <= 2000 and channel.text.endswith(result.tracking_url)
    assert channel.length > len(channel.text)  # Hangul counts two bytes
    # A text reaches the citizen alone: its link carries their token, in the preview as in the real send.
    assert "?t=" in result.tracking_url


def test_the_preview_is_built_like_the_answer_it_previews(session: Session, world: World) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.sms, handle="#0120"
    )
    case = case_actions.receive_message(
        session, account_id=account.id, inbound=inbound("가로등이 꺼졌어요", author="010-1234-5678")
    ).case
    case_actions.triage(
        session, actor=world.actor(world.operator), case_id=case.id, complaint_type=ComplaintType.grievance
    )
    body = "가로등을 교체했습니다. " * 12
    expected = preview(session, case, body=body).channel
    reply = case_actions.answer(session, actor=world.actor(world.operator), case_id=case.id, body=body)
    item = session.scalars(select(OutboxItem).where(OutboxItem.idempotency_key == f"answer:{case.id}:{reply.id}")).one()
    queued = channel_text(Delivery.of(item))
    assert (queued.text, queued.length) == (expected.text, expected.length)
