"""A poll page is taken in as one batch: duplicates inside and across pages, replies within the page, a bad
message, another worker storing a message first, numbers, receipts, events and search documents."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.models import Case, Message
from sotong.channels import intake
from sotong.channels.intake import take_in
from sotong.outbox.models import OutboxItem
from sotong.search.models import CaseSearchDoc
from tests.factories import World, inbound, publish


def _count(session: Session, model: type, *where: object) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def test_a_page_opens_one_case_per_message_with_one_receipt_and_one_event_each(session: Session, world: World) -> None:
    page = [inbound(f"잠실역 {n}번 출구 보도블럭 파손", external_id=f"p1-{n}") for n in range(5)]
    result = take_in(session, account_id=world.x_account.id, messages=page)

    assert (result.stored, result.duplicates, result.refused) == (5, 0, 0)
    cases = session.scalars(select(Case).order_by(Case.id)).all()
    assert len(cases) == 5
    # Numbers follow the page's order without gaps, as one by one.
    numbers = [int(case.number.rsplit("-", 1)[1]) for case in cases]
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    for case, sent in zip(cases, page, strict=True):
        receipt = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id)).one()
        assert receipt.kind == "receipt" and receipt.payload["in_reply_to_external_id"] == sent.external_id
        assert receipt.payload["case_number"] == case.number
        assert _count(session, AuditEvent, AuditEvent.case_id == case.id, AuditEvent.action == "case.received") == 1
        assert case.due_at > case.received_at and case.first_response_due_at is not None


def test_duplicates_inside_a_page_and_across_overlapping_pages_are_stored_once(session: Session, world: World) -> None:
    first = [inbound(external_id="a"), inbound(external_id="b"), inbound(external_id="a")]
    assert take_in(session, account_id=world.x_account.id, messages=first).duplicates == 1
    # The next poll overlaps the last one (a cursor that did not move): b again, and c new.
    second = take_in(
        session, account_id=world.x_account.id, messages=[inbound(external_id="b"), inbound(external_id="c")]
    )
    assert (second.stored, second.duplicates) == (1, 1)
    assert _count(session, Message) == 3 and _count(session, Case) == 3 and _count(session, OutboxItem) == 3


def test_a_reply_to_a_message_earlier_in_the_page_follows_up_its_case(session: Session, world: World) -> None:
    page = [
        inbound("가로등이 꺼졌어요", external_id="t1"),
        inbound("사진 추가합니다, 3번 가로등입니다", external_id="t2", in_reply_to="t1"),
    ]
    result = take_in(session, account_id=world.x_account.id, messages=page)

    assert result.stored == 2
    case = session.scalars(select(Case)).one()
    assert {m.external_id for m in session.scalars(select(Message).where(Message.case_id == case.id))} == {"t1", "t2"}
    assert _count(session, OutboxItem, OutboxItem.kind == "receipt") == 1
    # A reply in a later page to a stored message follows it up too.
    take_in(session, account_id=world.x_account.id, messages=[inbound("아직이요", external_id="t3", in_reply_to="t2")])
    assert _count(session, Case) == 1 and _count(session, Message, Message.case_id == case.id) == 3


def test_a_bad_message_is_refused_and_the_rest_of_the_page_lands(session: Session, world: World) -> None:
    page = [inbound(external_id="ok-1"), inbound("   ", external_id="empty"), inbound(external_id="ok-2")]
    result = take_in(session, account_id=world.x_account.id, messages=page)

    assert (result.stored, result.refused) == (2, 1)
    assert set(session.scalars(select(Message.external_id))) == {"ok-1", "ok-2"}


def test_a_message_stored_meanwhile_by_another_worker_rolls_the_batch_back_and_each_lands_once(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    take_in(session, account_id=world.x_account.id, messages=[inbound(external_id="raced")])
    # Our read of what is stored happened before the other worker's commit: the batch meets the unique key.
    monkeypatch.setattr(intake, "_stored_ids", lambda *_args: set())
    page = [inbound(external_id="new-1"), inbound(external_id="raced"), inbound(external_id="new-2")]
    result = take_in(session, account_id=world.x_account.id, messages=page)

    assert (result.stored, result.duplicates) == (2, 1)
    assert _count(session, Message) == 3 and _count(session, Case) == 3 and _count(session, OutboxItem) == 3
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in session.scalars(select(Case.number)))
    assert numbers == list(range(numbers[0], numbers[0] + 3))  # the rolled-back batch gave its numbers back


def test_a_page_is_one_transaction_of_a_few_statements(session: Session, world: World) -> None:
    take_in(session, account_id=world.x_account.id, messages=[inbound(external_id="warm")])
    statements: list[str] = []
    commits: list[bool] = []

    @event.listens_for(session.get_bind(), "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(session, "after_commit", lambda _session: commits.append(True))
    page = [inbound(f"석촌호수 가로등 {n}번 고장", external_id=f"s-{n}") for n in range(50)]
    assert take_in(session, account_id=world.x_account.id, messages=page).stored == 50

    assert len(commits) == 1
    if session.get_bind().dialect.name == "postgresql":
        # Round trips are the cost on a database server (SQLite, in-process, inserts row by row): one by one this
        # was 16 statements per message, 800 here.
        assert len(statements) <= 20, statements


def test_new_cases_are_searchable_as_soon_as_they_are_released(session: Session, world: World) -> None:
    page = [inbound(f"석촌호수 산책로 가로등 {n}번이 꺼졌어요", external_id=f"lamp-{n}") for n in range(3)]
    take_in(session, account_id=world.x_account.id, messages=page)
    assert session.scalars(select(CaseSearchDoc)).all() == []  # waiting in 공개 검토: nobody can find them

    for case in session.scalars(select(Case)).all():
        publish(session, world, case)
    ids = set(session.scalars(select(Case.id)))
    docs = {doc.case_id: doc.terms for doc in session.scalars(select(CaseSearchDoc))}
    assert set(docs) == ids and all("가로등" in terms.split() for terms in docs.values())


def test_one_tweet_mentioning_two_city_accounts_is_a_case_in_each(session: Session, world: World) -> None:
    # A tweet mentioning both @songpaOK and @seoulcity reaches both accounts of the same channel with the same id:
    # each organisation gets its own case, by batch intake and one by one alike.
    for account in (world.x_account, world.seoul_x_account):
        result = take_in(session, account_id=account.id, messages=[inbound(external_id="tweet-2")])
        assert (result.stored, result.duplicates) == (1, 0)
    mine = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="tweet-3"))
    theirs = actions.receive_message(
        session, account_id=world.seoul_x_account.id, inbound=inbound(external_id="tweet-3")
    )
    assert theirs.created and theirs.case.org_id == world.seoul.id and mine.case.org_id == world.songpa.id
    session.expire_all()
    orgs = session.scalars(select(Case.org_id).join(Message).where(Message.external_id == "tweet-2")).all()
    assert sorted(orgs) == sorted([world.songpa.id, world.seoul.id])
