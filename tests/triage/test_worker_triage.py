"""The background worker triages new cases: stored, routed above the threshold, once, without blocking delivery."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from sotong.db import make_engine, session_factory
from sotong.errors import IllegalTransition
from sotong.outbox import transports
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import reset_settings_cache
from sotong.triage import actions, model_store
from sotong.triage.models import TriageResult
from sotong.triage.pipeline import TriageModel
from tests.factories import World, build_world, new_case
from tests.outbox.helpers import Recording, queue
from tests.triage.helpers import tiny_model
from tests.worker.helpers import wait_for, worker_thread

Factory = Callable[[], Session]


@pytest.fixture(autouse=True)
def _tiny_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "default_model", tiny_model)


@pytest.fixture
def factory(engine: Engine) -> Factory:
    return session_factory(engine)


def _broken_model() -> TriageModel:
    raise RuntimeError("model file is corrupt")


def test_received_case_is_triaged_and_routed(session: Session, world: World, factory: Factory) -> None:
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")

    assert actions.triage_pending(factory) == 1
    assert actions.triage_pending(factory) == 0  # already triaged: nothing left

    session.expire_all()
    result = session.scalars(select(TriageResult).where(TriageResult.case_id == case.id)).one()
    assert result.auto_routed and result.decided_by.startswith("model")
    assert case.status is CaseStatus.triaged and case.department_id == world.roads.id


def test_uncertain_case_is_triaged_but_waits(session: Session, world: World, factory: Factory) -> None:
    world.songpa.auto_route_threshold = 0.99
    session.commit()
    case = new_case(session, world, text="민원 접수합니다 확인 부탁드려요")

    assert actions.triage_pending(factory) == 1
    assert actions.triage_pending(factory) == 0  # a waiting case is not triaged again on every pass

    session.expire_all()
    result = session.scalars(select(TriageResult).where(TriageResult.case_id == case.id)).one()
    assert not result.auto_routed and case.status is CaseStatus.received


def test_a_case_that_cannot_be_routed_does_not_hold_up_the_others(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    text = "보도블럭이 깨져서 위험합니다 보수 부탁드립니다"
    stuck = new_case(session, world, text="석촌호수 앞 " + text, author="@a")
    fine = new_case(session, world, text="방이동 " + text, author="@b")
    real = actions.case_actions.triage

    def refuse_one(session: Session, **kwargs: Any) -> Any:
        if kwargs["case_id"] == stuck.id:
            raise IllegalTransition("the case moved on meanwhile")
        return real(session, **kwargs)

    monkeypatch.setattr(actions.case_actions, "triage", refuse_one)
    assert actions.triage_pending(factory) == 2
    assert actions.triage_pending(factory) == 0  # the stuck one keeps its decision: not retried on every pass

    session.expire_all()
    results = {r.case_id: r for r in session.scalars(select(TriageResult))}
    assert not results[stuck.id].auto_routed and "자동 처리 실패" in results[stuck.id].explanation
    assert results[fine.id].auto_routed and fine.status is CaseStatus.triaged
    assert stuck.status is CaseStatus.received


def test_nothing_to_triage_loads_no_model(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_store, "default_model", _broken_model)
    assert actions.triage_pending(factory) == 0


def test_a_broken_model_does_not_stop_delivery(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = Recording()
    monkeypatch.setitem(transports.TRANSPORTS, recording.name, recording)
    monkeypatch.setattr(model_store, "default_model", _broken_model)
    monkeypatch.setenv("SOTONG_WORKER_POLL_SECONDS", "0.02")
    reset_settings_cache()
    case = new_case(session, world)
    with worker_thread(factory) as thread:
        for _ in range(3):
            queue(session, org_id=world.songpa.id)
        wait_for(lambda: len(recording.sent) >= 3, 20)

    assert not thread.is_alive()
    assert len(recording.sent) >= 3
    session.expire_all()
    assert (session.scalar(select(func.count()).where(OutboxItem.status == OutboxStatus.sent)) or 0) >= 3
    assert session.scalar(select(func.count()).where(TriageResult.case_id == case.id)) == 0


@pytest.mark.postgres_only
def test_two_workers_triage_each_case_once(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        factory = session_factory(engine)
        with factory() as session:
            world = build_world(session)
            world.songpa.auto_route_threshold = 0.5
            session.commit()
            for n in range(40):
                # Different citizens and places, so no case is a follow-up or duplicate of another.
                new_case(session, world, text=f"{n}번 골목 보도블럭 {n}장이 깨졌어요 보수 부탁", author=f"@c{n}")
        tiny_model()  # trained before the race, not inside it
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def work() -> None:
            barrier.wait()
            total = 0
            while done := actions.triage_pending(factory, limit=5):
                total += done
            counts.append(total)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

        with factory() as session:
            per_case = Counter(session.scalars(select(TriageResult.case_id)))
        assert len(per_case) == 40 and set(per_case.values()) == {1}
        assert sum(counts) == 40, counts
    finally:
        engine.dispose()
