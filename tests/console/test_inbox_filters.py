"""Narrowing the inbox: channel, account, status, category, department, type, deadline state, keyword."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus, ComplaintType, RejectReason
from sotong.console.inbox_service import DeadlineState, InboxFilters, inbox_page
from sotong.db import atomic, utcnow
from sotong.orgs.models import Channel
from tests.console.inbox_support import desk_case
from tests.factories import World, inbound
from tests.web.conftest import login


def _ids(session: Session, world: World, filters: InboxFilters, now: dt.datetime | None = None) -> set[int]:
    cases, _ = inbox_page(session, actor=world.actor(world.operator), filters=filters, now=now or utcnow())
    return {c.id for c in cases}


def test_each_filter_narrows_to_the_matching_cases(desk: World, session: Session) -> None:
    op = desk.actor(desk.operator)
    road = desk_case(session, desk)
    actions.triage(
        session, actor=op, case_id=road.id, complaint_type=ComplaintType.grievance, category_id=desk.pothole.id
    )
    cleaning = desk_case(session, desk, text="골목에 쓰레기 무단투기가 심해요 전화 010-2222-3333")
    actions.triage(
        session, actor=op, case_id=cleaning.id, complaint_type=ComplaintType.suggestion, department_id=desk.cleaning.id
    )
    toot = actions.receive_message(
        session, account_id=desk.mastodon_account.id, inbound=inbound("마스토돈으로 보낸 가로등 고장 신고", author="@m")
    ).case
    seoul = actions.receive_message(session, account_id=desk.seoul_x_account.id, inbound=inbound(author="@s")).case

    assert _ids(session, desk, InboxFilters()) == {road.id, cleaning.id, toot.id}  # never Seoul's
    assert seoul.id not in _ids(session, desk, InboxFilters(q="보도블럭"))
    assert _ids(session, desk, InboxFilters(channel=Channel.mastodon)) == {toot.id}
    assert _ids(session, desk, InboxFilters(account_id=desk.x_account.id)) == {road.id, cleaning.id}
    assert _ids(session, desk, InboxFilters(status=CaseStatus.received)) == {toot.id}
    assert _ids(session, desk, InboxFilters(category_id=desk.pothole.id)) == {road.id}
    assert _ids(session, desk, InboxFilters(department_id=desk.cleaning.id)) == {cleaning.id}
    assert _ids(session, desk, InboxFilters(complaint_type=ComplaintType.suggestion)) == {cleaning.id}
    assert _ids(session, desk, InboxFilters(q="무단투기")) == {cleaning.id}
    assert _ids(session, desk, InboxFilters(q=toot.number)) == {toot.id}


def test_deadline_states(desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    session.refresh(case)
    due = case.due_at
    # Well before the deadline: neither; within a day of it: due soon; after it: overdue.
    assert case.id not in _ids(session, desk, InboxFilters(deadline=DeadlineState.due_soon), due - dt.timedelta(days=3))
    assert case.id in _ids(session, desk, InboxFilters(deadline=DeadlineState.due_soon), due - dt.timedelta(hours=1))
    assert case.id not in _ids(session, desk, InboxFilters(deadline=DeadlineState.overdue), due - dt.timedelta(hours=1))
    assert case.id in _ids(session, desk, InboxFilters(deadline=DeadlineState.overdue), due + dt.timedelta(minutes=1))
    actions.reject(session, actor=desk.actor(desk.operator), case_id=case.id, reason=RejectReason.spam)
    # A hidden case has no running deadline.
    assert case.id not in _ids(session, desk, InboxFilters(deadline=DeadlineState.overdue), due + dt.timedelta(days=1))


def test_filters_from_the_query_string(client: TestClient, desk: World, session: Session) -> None:
    road = desk_case(session, desk)
    toot = actions.receive_message(
        session, account_id=desk.mastodon_account.id, inbound=inbound("마스토돈 가로등 고장", author="@m")
    ).case
    login(client, desk.operator)
    html = client.get("/staff/inbox", params={"channel": "mastodon", "status": "received", "deadline": "bogus"}).text
    assert f'id="case-{toot.id}"' in html and f'id="case-{road.id}"' not in html
    assert 'data-filter-query="channel=mastodon&amp;status=received"' in html  # polls keep the filters
    html = client.get("/staff/inbox", params={"account_id": str(desk.x_account.id), "q": "보도"}).text
    assert f'id="case-{road.id}"' in html and f'id="case-{toot.id}"' not in html
    assert isinstance(road, Case)


def test_deadline_views_follow_the_deadline_across_pages(desk: World, session: Session) -> None:
    cases = [desk_case(session, desk) for _ in range(3)]
    # Received in this order, but due in another: 0 latest, 1 soonest, 2 in between.
    offsets = {cases[0].id: 20, cases[1].id: 5, cases[2].id: 10}
    with atomic(session):
        for case in cases:
            row = session.get(Case, case.id)
            assert row is not None
            row.due_at = utcnow() + dt.timedelta(hours=offsets[case.id])
    actor, now = desk.actor(desk.operator), utcnow()

    def walk(state: DeadlineState, at: dt.datetime) -> list[int]:
        seen: list[int] = []
        before: int | None = None
        while True:
            page, before = inbox_page(
                session, actor=actor, filters=InboxFilters(deadline=state), now=at, before_id=before, limit=1
            )
            seen += [c.id for c in page]
            if before is None:
                return seen

    assert walk(DeadlineState.due_soon, now) == [cases[1].id, cases[2].id, cases[0].id]  # soonest first
    later = now + dt.timedelta(days=2)
    assert walk(DeadlineState.overdue, later) == [cases[0].id, cases[2].id, cases[1].id]  # just missed first
