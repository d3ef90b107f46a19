"""A small known data set for the statistics, feed and export tests: every figure can be worked out by hand.

NOW is Friday 2026-11-20 12:00 in Seoul (03:00 UTC). Times are written straight onto the rows after the case
is received through the real intake, so deadlines and answers land exactly where the expected figures need them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Category, Channel
from tests.factories import World, inbound, publish

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@dataclass
class KnownSet:
    a: Case  # 도로과, on time: first reply 1 h, answer 10 h
    b: Case  # 도로과, late: first reply 2 h, answer 50 h
    c: Case  # 도로과, unanswered past its deadline (a miss); received 01:00 Seoul time on the 20th
    d: Case  # 도로과, open inside its deadline (not counted for on-time)
    e: Case  # 청소행정과, 단순의견 answered on time: first reply 3 h, answer 4 h, web
    f: Case  # 청소행정과, 단순의견 unanswered past its deadline, web
    private: Case  # not public
    whistle: Case  # 공익신고
    hidden: Case  # rejected
    old: Case  # 서울특별시, 40 days ago: first reply 6 h, answer 20 h
    waste: Category


def case_at(
    session: Session,
    world: World,
    *,
    received: dt.datetime,
    text: str = "석촌호수 앞 보도블럭이 깨졌어요",
    account_id: int | None = None,
    **fields: object,
) -> Case:
    """A case received through intake at `received` and released by an operator (공개 검토), then given `fields`
    directly (times, department, its public and 공익신고 flags...)."""
    result = actions.receive_message(
        session, account_id=account_id or world.x_account.id, inbound=inbound(text, received_at=received)
    )
    case = result.case
    assert case is not None
    publish(session, world, case)
    for name, value in fields.items():
        setattr(case, name, value)
    session.commit()
    return case


def answered(received: dt.datetime, first_h: float, answer_h: float | None, due_h: float) -> dict[str, Any]:
    """Fields of a case received at `received`: first reply, answer and deadline as hours after receipt."""
    fields: dict[str, Any] = {
        "first_responded_at": received + first_h * H,
        "due_at": received + due_h * H,
    }
    if answer_h is not None:
        fields["answered_at"] = received + answer_h * H
        fields["status"] = CaseStatus.answered
    return fields


def build_known_set(session: Session, world: World) -> KnownSet:
    """The cases described on `KnownSet`."""
    waste = org_actions.create_category(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        code="waste",
        name="쓰레기 무단투기",
        department_id=world.cleaning.id,
    )
    roads: dict[str, Any] = {
        "department_id": world.roads.id,
        "category_id": world.pothole.id,
        "status": CaseStatus.in_progress,
    }
    cleaning: dict[str, Any] = {
        "department_id": world.cleaning.id,
        "category_id": waste.id,
        "complaint_type": ComplaintType.opinion,
        "channel": Channel.web,
        "status": CaseStatus.in_progress,
    }
    ra, rb, re_, rf = NOW - 2 * D, NOW - 3 * D, NOW - 5 * D, NOW - 4 * D
    rc = dt.datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # 2026-11-20 01:00 in Seoul
    a = case_at(session, world, received=ra, **{**roads, **answered(ra, 1, 10, 24)})
    b = case_at(session, world, received=rb, **{**roads, **answered(rb, 2, 50, 24)})
    c = case_at(session, world, received=rc, **roads, due_at=rc + 2 * H, first_responded_at=None)
    d = case_at(session, world, received=NOW - H, **roads, due_at=NOW + 5 * H, first_responded_at=None)
    e = case_at(session, world, received=re_, **{**cleaning, **answered(re_, 3, 4, 10)})
    f = case_at(session, world, received=rf, **cleaning, due_at=rf + 3 * H, first_responded_at=None)
    late = answered(ra, 1, 100, 24)
    private = case_at(session, world, received=ra, text="비공개 요청 민원", **{**roads, **late, "is_public": False})
    whistle = case_at(session, world, received=ra, text="공익신고 민원", **{**roads, **late, "is_whistleblower": True})
    hidden = case_at(session, world, received=ra, text="광고 스팸", **{**late, "status": CaseStatus.rejected})
    ro = NOW - 40 * D
    old = case_at(
        session,
        world,
        received=ro,
        account_id=world.seoul_x_account.id,
        department_id=world.seoul_dept.id,
        **answered(ro, 6, 20, 72),
    )
    return KnownSet(a, b, c, d, e, f, private, whistle, hidden, old, waste)
