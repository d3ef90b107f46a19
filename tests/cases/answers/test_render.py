"""Placeholders become the case's values; unknown ones are refused when the template is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI, Actor
from sotong.cases import actions as case_actions
from sotong.cases.answers import actions, render
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.errors import InvalidInput
from sotong.orgs.models import Channel
from tests.cases.conftest import REPAIRED
from tests.factories import World, inbound


def test_placeholders_are_filled_with_the_case_values(case: Case) -> None:
    now = dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC)  # 2026-11-23 00:30 in Seoul: the date is Seoul's
    values = render.case_values(
        case, department="도로과", officer="최주무관", timezone="Asia/Seoul", base_url="https://sotong.example", now=now
    )
    text = render.fill(REPAIRED, values)
    due = case.due_at.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert text.startswith(f"@citizen_kim 님, 도로과입니다. 접수번호 {case.number} 민원에 답변드립니다.")
    assert f"처리기한 {due:%Y-%m-%d}" in text
    assert "오늘 2026-11-23." in text
    assert "최주무관 드림" in text
    assert text.endswith(f"https://sotong.example/cases/{case.number}")
    assert render.unfilled_slots(text) == ["조치 내용", "조치 일시", "담당자 연락처"]  # slots stay for the officer


def test_a_value_with_braces_is_not_filled_again(case: Case) -> None:
    case.author_handle = "{officer}"
    values = render.case_values(
        case,
        department="도로과",
        officer="최주무관",
        timezone="Asia/Seoul",
        base_url="http://x",
        now=dt.datetime.now(dt.UTC),
    )
    assert render.fill("{citizen}/{officer}", values) == "{officer}/최주무관"


@pytest.mark.parametrize("typo", ["{case_no}", "{접수번호}", "{Officer}"])
def test_unknown_placeholder_is_refused_on_save(session: Session, world: World, typo: str) -> None:
    with pytest.raises(InvalidInput, match=r"unknown placeholder .*" + typo.strip("{}")) as refused:
        actions.create_template(
            session,
            actor=Actor.for_user(world.admin),
            org_id=world.songpa.id,
            title="오타",
            body=f"접수번호 {typo} 민원입니다.",
        )
    assert refused.value.extra["unknown"] == [typo.strip("{}")]
    assert session.query(AnswerTemplate).count() == 0


def test_a_required_element_needs_its_slot(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match=r"\[\[조치 일시\]\]"):
        actions.create_template(
            session,
            actor=Actor.for_user(world.admin),
            org_id=world.songpa.id,
            title="빠진 자리",
            body="조치 내용: [[조치 내용]]",
            required_elements=["조치 내용", "조치 일시"],
        )


def test_undeclared_slots_become_required(session: Session, world: World) -> None:
    template = actions.create_template(
        session,
        actor=Actor.for_user(world.admin),
        org_id=world.songpa.id,
        title="자리만",
        body="조치 내용: [[조치 내용]] / 연락처: [[담당자 연락처]]",
    )
    assert template.required_elements == ["조치 내용", "담당자 연락처"]


def test_emptied_slot_lines_are_found() -> None:
    rendered = "안내\n- 조치 내용: [[조치 내용]]\n- 조치 일시: [[조치 일시]]\n"
    written = "안내\n- 조치 내용: 보도블럭 12장 교체\n- 조치 일시: \n"
    assert render.emptied_slots(rendered, written, ["조치 내용", "조치 일시"]) == ["조치 일시"]
    # A labelled line deleted altogether is missing too: the template said the answer must say when.
    assert render.emptied_slots(rendered, "안내\n- 조치 내용: 보도블럭 12장 교체\n", ["조치 내용", "조치 일시"]) == [
        "조치 일시"
    ]
    bare = "안내\n[[조치 내용]]\n"  # a slot without a label: only its marker can be checked
    assert render.emptied_slots(bare, "안내\n11월 22일에 보도블럭을 교체했습니다.", ["조치 내용"]) == []


def test_the_greeting_never_carries_a_phone_number_or_an_address(session: Session, world: World) -> None:
    sms = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.sms, handle="1661-0000"
    )
    by_sms = case_actions.receive_message(session, account_id=sms.id, inbound=inbound(author="010-1234-5678")).case
    by_x = case_actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(author="@minji")).case
    assert by_sms is not None and by_x is not None
    assert render.greeting_name(by_sms) == "민원인"
    assert render.greeting_name(by_x) == "@minji"
