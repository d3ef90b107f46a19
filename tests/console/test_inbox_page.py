"""The inbox page: every case of the organisation, newest first, with its automatic triage and a masked preview."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from sotong.console.inbox_service import InboxFilters, inbox_page
from sotong.db import utcnow
from tests.console.inbox_support import desk_case
from tests.factories import World, new_case
from tests.web.conftest import login


def test_operator_sees_each_case_with_its_triage(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(
        session, desk, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 연락처 010-1234-5678 보수 부탁드립니다"
    )
    chatter = desk_case(session, desk, text="구청장님 화이팅 좋은 아침입니다")
    login(client, desk.operator)
    page = client.get("/staff/inbox")
    assert page.status_code == 200
    html = page.text
    row = html[html.index(f'id="case-{case.id}"') :]
    row = row[: row.index("\n</li>")]
    assert case.number in row
    assert "도로과" in row  # the suggested department
    assert "신뢰도" in row and "%" in row
    assert "[전화번호]" in row and "010-1234-5678" not in html  # the preview is masked
    assert f'action="/staff/inbox/{case.number}/confirm"' in row
    # Chatter was hidden at intake (no receipt, no department): it is not on the desk's to-do list, and shows with
    # its triage under 숨김.
    assert chatter.status is CaseStatus.rejected
    assert f'id="case-{chatter.id}"' not in html
    hidden = client.get("/staff/inbox", params={"status": "rejected"}).text
    chatter_row = hidden[hidden.index(f'id="case-{chatter.id}"') :]
    assert "badge-chatter" in chatter_row[: chatter_row.index("</li>")]
    assert 'href="/staff/inbox"' in html  # the menu entry


def test_top_three_and_duplicate_link(client: TestClient, desk: World, session: Session) -> None:
    first = desk_case(session, desk, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    second = desk_case(session, desk, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 빨리 보수 부탁드립니다")
    login(client, desk.operator)
    html = client.get("/staff/inbox").text
    row = html[html.index(f'id="case-{second.id}"') :]
    row = row[: row.index("\n</li>")]
    assert f'href="/staff/cases/{first.number}"' in row  # suspected duplicate, linked
    candidates = row[row.index('<ol class="candidates">') : row.index("</ol>")]
    assert candidates.count("<li>") == 2  # the tiny model knows two categories
    assert "road-damage" in candidates or "도로 파손" in candidates


def test_keyset_pages_newest_first_reach_every_case_once(desk: World, session: Session) -> None:
    base = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    # Arrival order is not received order (an e-mail polled late carries its earlier arrival time).
    late = new_case(session, desk, received_at=base + dt.timedelta(hours=2), author="@a")
    early = new_case(session, desk, received_at=base, author="@b")
    tie = new_case(session, desk, received_at=base, author="@c")
    middle = new_case(session, desk, received_at=base + dt.timedelta(hours=1), author="@d")
    actor, now = desk.actor(desk.operator), utcnow()
    seen: list[int] = []
    before: int | None = None
    for _ in range(3):
        page, before = inbox_page(session, actor=actor, filters=InboxFilters(), now=now, before_id=before, limit=2)
        seen += [c.id for c in page]
        if before is None:
            break
    assert seen == [late.id, middle.id, tie.id, early.id]


def test_the_page_links_to_older_cases(client: TestClient, desk: World, session: Session) -> None:
    cases = [desk_case(session, desk) for _ in range(3)]
    login(client, desk.operator)
    with_cursor = client.get(f"/staff/inbox?status=received&before={cases[2].id}").text
    assert f'id="case-{cases[1].id}"' in with_cursor and f'id="case-{cases[2].id}"' not in with_cursor
    assert 'href="/staff/inbox?status=received"' in with_cursor  # back to the newest, filters kept
    assert 'data-live="false"' in with_cursor  # only the first page takes live rows


def test_english_page_has_the_same_structure(client: TestClient, desk: World, session: Session) -> None:
    desk_case(session, desk)
    login(client, desk.operator)
    html = client.get("/staff/inbox", params={"lang": "en"}).text
    assert "Keyboard shortcuts" in html and "Confirm" in html


def test_the_inbox_opens_on_what_waits_for_the_desk(client: TestClient, desk: World, session: Session) -> None:
    from sotong.cases.models import CaseStatus
    from tests.factories import case_in_status

    waiting = [desk_case(session, desk) for _ in range(3)]
    done = [case_in_status(session, desk, s) for s in (CaseStatus.closed, CaseStatus.answered, CaseStatus.rejected)]
    routed = case_in_status(session, desk, CaseStatus.assigned)
    login(client, desk.operator)

    html = client.get("/staff/inbox").text
    shown = {c.number for c in [*waiting, *done, routed] if f'data-number="{c.number}"' in html}
    assert shown == {c.number for c in waiting}
    assert "분류 대기 3건" in html
    assert '<option value="waiting" selected>' in html

    everything = client.get("/staff/inbox", params={"status": "all"}).text
    assert all(f'data-number="{c.number}"' in everything for c in [*waiting, *done, routed])
    closed = client.get("/staff/inbox", params={"status": "closed"}).text
    assert f'data-number="{done[0].number}"' in closed and f'data-number="{waiting[0].number}"' not in closed
    # Other filters keep the to-do view when it is chosen, and the way back after an action keeps it too.
    narrowed = client.get("/staff/inbox", params={"status": "waiting", "channel": "x"}).text
    assert f'data-number="{done[0].number}"' not in narrowed and f'data-number="{waiting[0].number}"' in narrowed
    assert 'name="back" value="/staff/inbox?channel=x&amp;status=waiting"' in narrowed


def test_a_triaged_case_without_a_department_waits_for_review(desk: World, session: Session) -> None:
    from sotong.cases import actions
    from sotong.cases.models import ComplaintType

    case = new_case(session, desk, author="@review")
    actions.triage(session, actor=desk.actor(desk.operator), case_id=case.id, complaint_type=ComplaintType.other)
    cases, _ = inbox_page(session, actor=desk.actor(desk.operator), filters=InboxFilters(waiting=True), now=utcnow())
    assert case.id in {c.id for c in cases}


def test_a_standard_category_the_organisation_has_not_mapped_is_named_in_korean(
    client: TestClient, desk: World, session: Session
) -> None:
    # The model names the standard code "waste"; 송파구 of the test world has no category mapped onto it.
    case = desk_case(session, desk, text="골목에 쓰레기 무단투기가 심해서 냄새가 나요 치워주세요")
    login(client, desk.operator)
    html = client.get("/staff/inbox").text
    row = html[html.index(f'id="case-{case.id}"') :]
    row = row[: row.index("\n</li>")]
    summary = row[row.index('<div class="inbox-triage">') : row.index('<p class="meta">')]  # not the explanation
    assert "쓰레기·청소 (표준 분류)" in summary
    assert "waste" not in summary
