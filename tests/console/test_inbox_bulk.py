"""Bulk actions on a selection: each case goes through its own action, failures are reported per case and the
rest carry on."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.models import Answer, Case, CaseStatus, ComplaintType, Message, RejectReason
from sotong.console.desk import THANK_YOU
from sotong.outbox.models import OutboxItem
from sotong.triage.models import TriageLabel
from tests.console.inbox_support import desk_case
from tests.factories import World, case_in_status
from tests.web.conftest import login

JSON = {"Accept": "application/json"}


def _bulk(client: TestClient, token: str, action: str, numbers: list[str], **params: str) -> Any:
    data: dict[str, Any] = {"csrf_token": token, "action": action, "numbers": numbers, **params}
    response = client.post("/staff/inbox/bulk", data=data, headers=JSON)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response


def _fresh(session: Session, case: Case) -> Case:
    session.expire_all()
    fresh = session.get(Case, case.id)
    assert fresh is not None
    return fresh


def _outcome(body: Any) -> dict[str, bool]:
    return {r["number"]: r["ok"] for r in body["results"]}


def test_bulk_confirm(client: TestClient, desk: World, session: Session) -> None:
    a, b = desk_case(session, desk), desk_case(session, desk)
    token = login(client, desk.operator)
    body = _bulk(client, token, "confirm", [a.number, b.number]).json()
    assert body["ok"] and _outcome(body) == {a.number: True, b.number: True}
    assert {r["id"] for r in body["rows"]} == {a.id, b.id}
    for case in (a, b):
        assert _fresh(session, case).status is CaseStatus.triaged
    assert len(session.scalars(select(TriageLabel)).all()) == 2


def test_bulk_route_triages_desk_cases_and_transfers_worked_ones(
    client: TestClient, desk: World, session: Session
) -> None:
    waiting = desk_case(session, desk)
    assigned = case_in_status(session, desk, CaseStatus.assigned)  # 도로과, in work
    closed = case_in_status(session, desk, CaseStatus.closed)
    token = login(client, desk.operator)
    body = _bulk(
        client,
        token,
        "route",
        [waiting.number, assigned.number, closed.number],
        department_id=str(desk.cleaning.id),
        reason="쓰레기 관련 민원",
    ).json()
    assert body["ok"] is False
    assert _outcome(body) == {waiting.number: True, assigned.number: True, closed.number: False}
    [failure] = [r for r in body["results"] if not r["ok"]]
    assert failure["code"] == "illegal_transition"
    routed = _fresh(session, waiting)
    assert routed.status is CaseStatus.triaged and routed.department_id == desk.cleaning.id
    assert routed.category_id is None  # 도로 파손 belongs to 도로과: not carried into 청소행정과
    moved = _fresh(session, assigned)
    assert moved.status is CaseStatus.transferred and moved.department_id == desk.cleaning.id
    transfer = session.scalar(
        select(AuditEvent).where(AuditEvent.case_id == assigned.id, AuditEvent.action == "case.transferred")
    )
    assert transfer is not None and transfer.details["reason"] == "쓰레기 관련 민원"
    assert _fresh(session, closed).status is CaseStatus.closed  # untouched
    label = session.scalar(select(TriageLabel).where(TriageLabel.case_id == waiting.id))
    assert label is not None and label.department_id == desk.cleaning.id  # a routing at the desk is a correction


def test_bulk_route_needs_a_department(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    response = _bulk(client, token, "route", [case.number])
    assert response.status_code == 422 and response.json()["ok"] is False
    assert _fresh(session, case).status is CaseStatus.received


def test_simple_opinion_answers_with_thanks_on_the_citizens_channel_and_closes(
    client: TestClient, desk: World, session: Session
) -> None:
    # A thank-you the model takes for administration (chatter proper is hidden at intake, never at the desk).
    case = desk_case(session, desk, text="골목 쓰레기 수거해 주셔서 감사합니다 깨끗해졌어요")
    token = login(client, desk.operator)
    body = _bulk(client, token, "opinion", [case.number], answer=THANK_YOU).json()
    assert body["ok"], body
    done = _fresh(session, case)
    assert done.status is CaseStatus.closed and done.complaint_type is ComplaintType.opinion
    [answer] = session.scalars(select(Answer).where(Answer.case_id == case.id)).all()
    assert answer.body == THANK_YOU and answer.public_body == THANK_YOU
    queued = session.scalar(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "answer"))
    assert queued is not None
    assert queued.transport == "x" and queued.recipient == case.author_handle
    assert queued.payload["body"] == THANK_YOU


def test_simple_opinion_is_all_or_nothing_per_case(client: TestClient, desk: World, session: Session) -> None:
    ok = desk_case(session, desk)
    hidden = case_in_status(session, desk, CaseStatus.rejected)
    token = login(client, desk.operator)
    body = _bulk(client, token, "opinion", [hidden.number, ok.number]).json()
    assert _outcome(body) == {hidden.number: False, ok.number: True}
    assert _fresh(session, hidden).status is CaseStatus.rejected
    assert session.scalar(select(Answer).where(Answer.case_id == hidden.id)) is None
    assert _fresh(session, ok).status is CaseStatus.closed
    # The default text is the thank-you answer.
    assert session.scalar(select(Answer.body).where(Answer.case_id == ok.id)) == THANK_YOU


def test_bulk_hide_keeps_the_cases_with_their_reason(client: TestClient, desk: World, session: Session) -> None:
    spam, assigned = (
        desk_case(session, desk, text="대출 광고 http://spam.example"),
        case_in_status(session, desk, CaseStatus.assigned),
    )
    token = login(client, desk.operator)
    body = _bulk(
        client, token, "hide", [spam.number, assigned.number], hide_reason="advertising", note="대출 광고"
    ).json()
    assert _outcome(body) == {spam.number: True, assigned.number: False}
    hidden = _fresh(session, spam)
    assert hidden.status is CaseStatus.rejected and hidden.reject_reason is RejectReason.advertising
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.case_id == spam.id, AuditEvent.action == "case.rejected")
    )
    assert event is not None and event.details["note"] == "대출 광고"
    assert _fresh(session, assigned).status is CaseStatus.assigned
    # Duplicates are merged, not hidden: the desk's hide refuses that reason.
    other = desk_case(session, desk)
    refused = _bulk(client, token, "hide", [other.number], hide_reason="duplicate").json()
    assert _outcome(refused) == {other.number: False}


def test_bulk_merge_into_a_case_by_number(client: TestClient, desk: World, session: Session) -> None:
    target = case_in_status(session, desk, CaseStatus.triaged)
    a, b = desk_case(session, desk), desk_case(session, desk)
    token = login(client, desk.operator)
    body = _bulk(client, token, "merge", [a.number, b.number, target.number], into=target.number).json()
    assert _outcome(body) == {a.number: True, b.number: True, target.number: False}  # not into itself
    for dup in (a, b):
        merged = _fresh(session, dup)
        assert merged.status is CaseStatus.rejected and merged.reject_reason is RejectReason.duplicate
    assert len(session.scalars(select(Message).where(Message.case_id == target.id)).all()) == 3
    unknown = _bulk(client, token, "merge", [a.number], into="2026-송파-999999")
    assert unknown.status_code == 404 and unknown.json()["ok"] is False


def test_bulk_reports_other_organisations_cases_as_not_found(client: TestClient, desk: World, session: Session) -> None:
    from sotong.cases import actions
    from tests.factories import inbound

    seoul_case = actions.receive_message(session, account_id=desk.seoul_x_account.id, inbound=inbound()).case
    mine = desk_case(session, desk)
    token = login(client, desk.operator)
    body = _bulk(client, token, "hide", [seoul_case.number, mine.number], hide_reason="spam").json()
    assert _outcome(body) == {seoul_case.number: False, mine.number: True}
    assert [r["code"] for r in body["results"] if not r["ok"]] == ["not_found"]
    assert _fresh(session, seoul_case).status is CaseStatus.received
    assert {r["id"] for r in body["rows"]} == {mine.id}  # nothing of Seoul's is rendered


def test_unknown_action_and_empty_selection_are_refused(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    assert _bulk(client, token, "delete", [case.number]).status_code == 422
    assert _bulk(client, token, "confirm", []).status_code == 422
    assert _fresh(session, case).status is CaseStatus.received
