"""Reading cases: who sees what, filters, counts, and what the public may see."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.actors import SYSTEM
from sotong.cases import actions, service
from sotong.cases.models import CaseStatus, ComplaintType
from sotong.cases.service import CaseFilters
from sotong.errors import NotFound
from tests.factories import World, case_in_status, inbound, new_case, publish


def test_scoping_by_organisation_and_department(session: Session, world: World) -> None:
    roads_case = case_in_status(session, world, CaseStatus.triaged)
    unrouted = new_case(session, world)
    seoul_case = actions.receive_message(session, account_id=world.seoul_x_account.id, inbound=inbound()).case

    def numbers(user: object) -> set[str]:
        items, total = service.list_cases(session, actor=world.actor(user), filters=CaseFilters())  # type: ignore[arg-type]
        assert total == len(items)
        return {c.number for c in items}

    assert numbers(world.operator) == {roads_case.number, unrouted.number}
    assert numbers(world.viewer) == {roads_case.number, unrouted.number}
    assert numbers(world.officer) == {roads_case.number}
    assert numbers(world.cleaning_officer) == set()
    assert numbers(world.seoul_operator) == {seoul_case.number}
    with pytest.raises(NotFound):
        service.get_case_by_number(session, actor=world.actor(world.cleaning_officer), number=roads_case.number)
    with pytest.raises(NotFound):
        service.get_case_by_number(session, actor=world.actor(world.admin), number=seoul_case.number)
    assert service.get_case_by_number(session, actor=SYSTEM, number=seoul_case.number).id == seoul_case.id


def test_page_size_is_capped_and_pages_do_not_overlap(session: Session, world: World) -> None:
    for _ in range(5):
        new_case(session, world)
    actor = world.actor(world.operator)
    first, total = service.list_cases(session, actor=actor, filters=CaseFilters(page=1, page_size=3))
    second, _ = service.list_cases(session, actor=actor, filters=CaseFilters(page=2, page_size=3))
    assert total == 5 and len(first) == 3 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}
    capped, _ = service.list_cases(session, actor=actor, filters=CaseFilters(page_size=10_000))
    assert len(capped) == 5


def test_status_counts_include_zeros(session: Session, world: World) -> None:
    case_in_status(session, world, CaseStatus.answered)
    new_case(session, world)
    counts = service.status_counts(session, actor=world.actor(world.operator))
    assert counts[CaseStatus.answered] == 1
    assert counts[CaseStatus.received] == 1
    assert counts[CaseStatus.closed] == 0
    assert set(counts) == set(CaseStatus)


def test_text_search_escapes_wildcards(session: Session, world: World) -> None:
    new_case(session, world, text="할인율 50% 광고")
    new_case(session, world, text="가로등 고장")
    actor = world.actor(world.operator)
    assert service.list_cases(session, actor=actor, filters=CaseFilters(q="50%"))[1] == 1
    assert service.list_cases(session, actor=actor, filters=CaseFilters(q="%"))[1] == 1
    assert service.list_cases(session, actor=actor, filters=CaseFilters(q="_"))[1] == 0


def test_public_listing(session: Session, world: World) -> None:
    op = world.actor(world.operator)
    shown = publish(session, world, new_case(session, world))
    private = publish(session, world, new_case(session, world))
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    hidden = case_in_status(session, world, CaseStatus.rejected)
    waiting = new_case(session, world)  # not yet released: 공개 검토
    items, total = service.list_public_cases(session)
    assert [c.number for c in items] == [shown.number] and total == 1
    assert service.get_public_case(session, number=shown.number).id == shown.id
    for case in (private, hidden, waiting):
        with pytest.raises(NotFound):
            service.get_public_case(session, number=case.number)
    assert service.list_public_cases(session, org_id=world.seoul.id)[1] == 0


def test_failed_deliveries_only_for_the_desk(session: Session, world: World) -> None:
    assert service.failed_deliveries(session, actor=world.actor(world.officer)) == []
    assert service.failed_deliveries(session, actor=world.actor(world.operator)) == []
