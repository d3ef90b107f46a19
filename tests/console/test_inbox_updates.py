"""The polling endpoint: rows that arrived since the newest one the browser has, and shown rows that changed."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import ComplaintType
from sotong.console.inbox_service import changed_since
from sotong.db import utcnow
from sotong.triage import actions as triage_actions
from tests.console.inbox_support import desk_case
from tests.factories import World, inbound, new_case
from tests.web.conftest import login


def test_new_rows_arrive_with_the_same_filters(client: TestClient, desk: World, session: Session) -> None:
    before = utcnow()
    first = desk_case(session, desk)
    login(client, desk.operator)
    nothing = client.get("/staff/inbox/updates", params={"since": str(first.id), "after": before.isoformat()})
    assert nothing.status_code == 200
    # The look-back: a case with a lower id created after the last poll (committed late) is not missed...
    assert [r["id"] for r in nothing.json()["new"]] == [first.id]
    later = (utcnow() + dt.timedelta(minutes=1)).isoformat()
    old = client.get("/staff/inbox/updates", params={"since": str(first.id), "after": later}).json()
    assert old["new"] == []  # ...but an older one is not news
    shown = client.get("/staff/inbox/updates", params={"since": str(first.id), "ids": str(first.id)}).json()
    assert shown["new"] == []  # ...but a row the browser shows is not sent again
    second = desk_case(session, desk, text="도로에 포트홀이 생겼어요 010-9999-8888")
    toot = actions.receive_message(
        session, account_id=desk.mastodon_account.id, inbound=inbound("마스토돈 가로등 고장", author="@m")
    ).case
    data = client.get("/staff/inbox/updates", params={"since": str(first.id), "after": before.isoformat()}).json()
    assert [r["id"] for r in data["new"]] == [toot.id, second.id, first.id]  # newest first
    assert data["latest_id"] == toot.id
    html = next(r["html"] for r in data["new"] if r["id"] == second.id)
    assert second.number in html and "[전화번호]" in html and "010-9999-8888" not in html
    assert data["waiting"] == 3
    only_x = client.get(
        "/staff/inbox/updates", params={"since": str(first.id), "after": before.isoformat(), "channel": "x"}
    ).json()
    assert {r["id"] for r in only_x["new"]} == {first.id, second.id}
    assert dt.datetime.fromisoformat(data["now"]).tzinfo is not None


def test_changed_rows_come_back_when_triaged_or_routed(client: TestClient, desk: World, session: Session) -> None:
    routed = desk_case(session, desk)
    untriaged = new_case(session, desk, author="@later")
    quiet = desk_case(session, desk)
    login(client, desk.operator)
    page = client.get("/staff/inbox").text
    mark = page.split('data-polled-at="', 1)[1].split('"', 1)[0]
    after = (dt.datetime.fromisoformat(mark) + dt.timedelta(minutes=1)).isoformat()  # past the look-back
    ids = f"{routed.id},{untriaged.id},{quiet.id}"
    params = {"since": str(quiet.id + 100), "after": after, "ids": ids}
    assert client.get("/staff/inbox/updates", params=params).json()["changed"] == []
    actions.triage(session, actor=desk.actor(desk.operator), case_id=routed.id, complaint_type=ComplaintType.grievance)
    triage_actions.triage_case(session, case_id=untriaged.id)
    params["after"] = mark
    changed = client.get("/staff/inbox/updates", params=params).json()["changed"]
    ids_changed = {r["id"] for r in changed}
    assert routed.id in ids_changed and untriaged.id in ids_changed
    assert all(r["version"] for r in changed)
    row = next(r for r in changed if r["id"] == untriaged.id)
    assert "신뢰도" in row["html"]  # its triage is shown now


def test_a_follow_up_message_updates_its_row(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    login(client, desk.operator)
    page = client.get("/staff/inbox").text
    mark = page.split('data-polled-at="', 1)[1].split('"', 1)[0]
    assert "추가 글" not in page
    first = case.messages[0]
    before_follow_up = utcnow()
    actor = desk.actor(desk.operator)
    assert changed_since(session, actor=actor, ids=[case.id], after=before_follow_up) == []
    actions.receive_message(
        session,
        account_id=desk.x_account.id,
        inbound=inbound("아직도 그대로입니다", author=case.author_handle or "", in_reply_to=first.external_id),
    )
    assert [c.id for c in changed_since(session, actor=actor, ids=[case.id], after=before_follow_up)] == [case.id]
    params = {"since": str(case.id + 100), "after": mark, "ids": str(case.id)}
    changed = client.get("/staff/inbox/updates", params=params).json()["changed"]
    assert [r["id"] for r in changed] == [case.id]
    assert "추가 글 1건" in changed[0]["html"]
