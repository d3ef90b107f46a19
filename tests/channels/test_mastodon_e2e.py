"""A citizen mentions @songpa on Mastodon and hears back in the same thread: receipt, then the answer."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.actions import Photo
from sotong.cases.models import Case, CaseStatus, Message
from sotong.channels.mastodon.parse import html_to_text
from sotong.channels.mastodon.poll import poll
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from tests.channels.conftest import answer_case, fall_silent, outbox
from tests.factories import World
from tests.fakes.mastodon import FakeMastodon, weighted_length
from tests.fakes.server import jpeg


def test_mention_to_receipt_to_answer_in_the_thread(
    session: Session, world: World, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    minji = mastodon.citizen()
    post = mastodon.mention("석촌호수 앞 보도블럭이 깨졌어요 <위험>", author=minji)

    result = poll(session, account_id=mastodon_account.id)

    assert result.taken.stored == 1
    case = session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).one()
    assert case.body == "@songpa 석촌호수 앞 보도블럭이 깨졌어요 <위험>"
    assert case.author_handle == "@minji@mastodon.social"
    assert case.department_id == world.roads.id

    assert deliver() == 1
    receipt = mastodon.posted()[-1]
    assert receipt["in_reply_to_id"] == post["id"]
    assert receipt["visibility"] == "public"
    assert case.number in receipt["content"] and "@minji@mastodon.social" in receipt["content"]
    post_request = [r for r in mastodon.requests if r.method == "POST"][-1]
    assert post_request.headers["idempotency-key"] == outbox(session, case.id)[0].idempotency_key
    assert outbox(session, case.id)[0].external_ref == receipt["id"]

    answer_case(session, world, case.id, "보도블럭을 교체했습니다.")
    deliver()

    answer = mastodon.posted()[-1]
    assert answer["in_reply_to_id"] == post["id"]
    assert "보도블럭을 교체했습니다." in answer["content"]
    assert [item.status for item in outbox(session, case.id)] == [OutboxStatus.sent, OutboxStatus.sent]
    assert len(mastodon.posted()) == 2


def test_a_direct_message_is_answered_directly(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    post = mastodon.mention("우리 집 앞 가로등이 꺼졌습니다. 주소는 비밀로 해 주세요.", visibility="direct")
    poll(session, account_id=mastodon_account.id)
    fall_silent(session)  # a private mention is a chat: its case opens once the citizen stops writing

    deliver()

    receipt = mastodon.posted()[-1]
    assert (receipt["visibility"], receipt["in_reply_to_id"]) == ("direct", post["id"])


def test_a_reply_in_the_thread_is_a_follow_up_not_a_new_case(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    minji = mastodon.citizen()
    first = mastodon.mention("쓰레기가 방치되어 있습니다", author=minji)
    poll(session, account_id=mastodon_account.id)
    mastodon.mention("사진 추가합니다, 아직 그대로예요", author=minji, in_reply_to_id=first["id"])

    poll(session, account_id=mastodon_account.id)

    cases = session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).all()
    assert len(cases) == 1 and cases[0].status is CaseStatus.received
    assert len(session.scalars(select(Message).where(Message.case_id == cases[0].id)).all()) == 2


def test_a_long_answer_is_shortened_to_a_reply_with_the_link(
    session: Session, world: World, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    mastodon.mention("도로 포장 상태가 나쁩니다")
    poll(session, account_id=mastodon_account.id)
    case = session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).one()
    deliver()

    answer_case(session, world, case.id, "보수 계획을 안내드립니다. " * 60)
    deliver()

    answer = mastodon.posted()[-1]
    assert weighted_length(html_to_text(answer["content"])) <= 500
    assert f"/cases/{case.number}" in unquote(answer["content"]) and "…" in answer["content"]
    assert [item.status for item in outbox(session, case.id)] == [OutboxStatus.sent, OutboxStatus.sent]


def test_an_answer_with_a_result_photo_posts_the_photo_in_the_thread(
    session: Session, world: World, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    """Yeongdeungpo's "result with photo": the repaired pavement shows up under the citizen's own post."""
    post = mastodon.mention("석촌호수 앞 보도블럭이 깨졌어요")
    poll(session, account_id=mastodon_account.id)
    case = session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).one()
    deliver()  # the receipt: no photo
    assert mastodon.posted()[-1]["media_attachments"] == []

    answer_case(session, world, case.id, "보도블럭을 교체했습니다.", photos=[Photo(jpeg(), "after.jpg")])
    deliver()

    answer = mastodon.posted()[-1]
    assert answer["in_reply_to_id"] == post["id"]
    [photo] = answer["media_attachments"]
    assert photo["type"] == "image" and mastodon.media[photo["id"]]["data"] == jpeg()
    assert [item.status for item in outbox(session, case.id)] == [OutboxStatus.sent, OutboxStatus.sent]
