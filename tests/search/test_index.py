"""Search documents are written with the case, morpheme-aware, and only for publicly listed cases."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong import cli
from sotong.cases import actions
from sotong.cases.models import Case, ComplaintType, RejectReason
from sotong.search import index
from sotong.search.models import CaseSearchDoc
from sotong.search.service import matches
from tests.factories import World, new_case, publish


def _public(session: Session, world: World, **kwargs: object) -> Case:
    """A new case released by an operator (공개 검토): only released cases are searchable."""
    return publish(session, world, new_case(session, world, **kwargs))


def test_a_case_waiting_for_review_is_not_searchable_until_released(session: Session, world: World) -> None:
    case = new_case(session, world, text="석촌호수로 가로등이 고장났어요")
    assert _found(session, "가로등") == set()
    publish(session, world, case)
    assert _found(session, "가로등") == {case.number}


def _found(session: Session, query: str) -> set[str]:
    condition = matches(query, session.get_bind().dialect.name)
    assert condition is not None
    return set(session.scalars(select(Case.number).where(condition)))


def test_a_particle_does_not_hide_the_noun(session: Session, world: World) -> None:
    lamp = _public(session, world, text="우리 집 앞 가로등이 밤새 깜빡거려요")
    _public(session, world, text="보도블럭이 깨졌습니다")
    assert _found(session, "가로등") == {lamp.number}
    assert _found(session, "가로등을") == {lamp.number}


def test_every_word_of_the_query_must_match(session: Session, world: World) -> None:
    both = _public(session, world, text="공원 가로등이 꺼져 있습니다")
    _public(session, world, text="공원 벤치가 부서졌습니다")
    _public(session, world, text="골목 가로등이 깜빡입니다")
    assert _found(session, "공원 가로등") == {both.number}
    assert _found(session, "공원 가로등 분수대") == set()


def test_query_words_are_data_not_search_syntax(session: Session, world: World) -> None:
    _public(session, world, text="공원 가로등이 꺼져 있습니다")
    # FTS5 and tsquery operators in a citizen's query are words to look for, not an OR or a prefix search.
    assert _found(session, "공원 OR 분수대") == set()
    assert _found(session, "공원 | 분수대") == set()
    assert _found(session, "가로* NOT 공원") == set()


def test_verbs_meet_on_their_dictionary_form(session: Session, world: World) -> None:
    case = _public(session, world, text="보도블럭이 깨져서 위험합니다")
    assert case.number in _found(session, "깨진 보도블럭")


def test_answers_are_searchable_too(session: Session, world: World) -> None:
    case = _public(session, world, text="공원 벤치가 부서졌어요")
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        department_id=world.roads.id,
    )
    assert _found(session, "교체") == set()
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body="벤치를 새것으로 교체했습니다.")
    assert _found(session, "교체") == {case.number}


def test_private_whistleblower_and_hidden_cases_leave_the_index(session: Session, world: World) -> None:
    op = world.actor(world.operator)
    private = _public(session, world, text="불법 쓰레기 투기 신고합니다")
    whistle = _public(session, world, text="불법 쓰레기 소각 공익신고")
    spam = _public(session, world, text="불법 쓰레기 광고 전단")
    assert _found(session, "쓰레기") == {private.number, whistle.number, spam.number}
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    actions.reject(session, actor=op, case_id=spam.id, reason=RejectReason.spam)
    assert _found(session, "쓰레기") == set()
    assert session.scalar(select(CaseSearchDoc).where(CaseSearchDoc.case_id == private.id)) is None
    actions.restore(session, actor=op, case_id=spam.id)
    assert _found(session, "쓰레기") == {spam.number}


def test_personal_data_is_not_searchable(session: Session, world: World) -> None:
    _public(session, world, text="연락처 010-2345-6789 로 전화 주세요. 가로등 고장")
    assert _found(session, "01023456789") == set()
    assert _found(session, "2345") == set()


def test_reindex_rebuilds_missing_documents(session: Session, world: World) -> None:
    case = _public(session, world, text="가로등이 꺼졌어요")
    with session.begin():
        session.execute(delete(CaseSearchDoc))
    assert _found(session, "가로등") == set()
    assert index.reindex_all(session) >= 1
    assert _found(session, "가로등") == {case.number}


def test_a_query_without_words_is_no_query(session: Session) -> None:
    assert matches("?! ... ㅋㅋㅋ", session.get_bind().dialect.name) is None


def test_reindex_command(session: Session, world: World, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _public(session, world, text="가로등이 꺼졌어요")
    session.execute(delete(CaseSearchDoc))
    session.commit()
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli.app, ["search", "reindex", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "1 public cases indexed" in result.output
    assert _found(session, "가로등") == {case.number}
