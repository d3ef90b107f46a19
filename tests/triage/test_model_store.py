"""A newly trained model replaces the active one only if it is not worse."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.triage import model_store
from sotong.triage.models import ModelStatus
from tests.factories import World
from tests.triage.helpers import tiny_model


def test_not_worse_compares_every_shared_figure() -> None:
    assert model_store.not_worse({"macro_f1": 0.7, "top3_accuracy": 0.9}, {"macro_f1": 0.7})
    assert not model_store.not_worse({"macro_f1": 0.69, "top3_accuracy": 0.95}, {"macro_f1": 0.7, "top3_accuracy": 0.9})
    assert model_store.not_worse({"relevance_f1": 0.9}, {"macro_f1": 0.7})  # nothing to compare: not worse


def test_first_then_better_then_worse(session: Session, world: World) -> None:
    org = world.songpa.id
    assert model_store.active_version(session, org) is None
    _, version = model_store.active_model(session, org)
    assert version is None and model_store.label(version) == "model default (seed)"

    first = model_store.consider(
        session, actor=CLI, org_id=org, model=tiny_model(), evaluation={"macro_f1": 0.6}, baseline=None, source="a"
    )
    assert first.status is ModelStatus.active and first.version == 1
    better = model_store.consider(
        session, actor=CLI, org_id=org, model=tiny_model(), evaluation={"macro_f1": 0.7}, baseline={"macro_f1": 0.6},
        source="b",
    )  # fmt: skip
    assert better.status is ModelStatus.active and better.version == 2
    session.refresh(first)
    assert first.status is ModelStatus.retired
    worse = model_store.consider(
        session, actor=CLI, org_id=org, model=tiny_model(), evaluation={"macro_f1": 0.5}, baseline={"macro_f1": 0.7},
        source="c",
    )  # fmt: skip
    assert worse.status is ModelStatus.rejected and worse.evaluation["baseline"] == {"macro_f1": 0.7}
    active = model_store.active_version(session, org)
    assert active is not None and active.id == better.id
    loaded, _ = model_store.active_model(session, org)
    assert loaded.categories == ["road-damage", "waste"]
