"""Versioned triage models per organisation, each with the evaluation that let it in.

A newly trained model replaces the active one only if it is not worse on the same held-out rows: a bad import
(wrong column, a month of mislabelled cases) then leaves triage as it was, and the rejected version stays on
record with its figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.triage.models import ModelStatus, TriageModelVersion
from sotong.triage.pipeline import TriageModel, default_model

# Figures compared between versions; a version is worse if any of them drops by more than the tolerance.
COMPARED = ("macro_f1", "top3_accuracy", "relevance_f1")
TOLERANCE = 0.0

_LOADED: dict[int, TriageModel] = {}


def not_worse(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Whether evaluation `new` is at least as good as `old` on every figure both have."""
    for key in COMPARED:
        a, b = new.get(key), old.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float) and a < b - TOLERANCE:
            return False
    return True


def active_version(session: Session, org_id: int | None) -> TriageModelVersion | None:
    """The active stored version of an organisation, or None (it uses the shipped default)."""
    query = select(TriageModelVersion).where(
        TriageModelVersion.status == ModelStatus.active,
        TriageModelVersion.org_id.is_(None) if org_id is None else TriageModelVersion.org_id == org_id,
    )
    return session.scalar(query.order_by(TriageModelVersion.version.desc()).limit(1))


def load(version: TriageModelVersion) -> TriageModel:
    """The model of a stored version (unpickled once per process)."""
    model = _LOADED.get(version.id)
    if model is None:
        model = TriageModel.loads(version.blob)
        _LOADED[version.id] = model
    return model


def active_model(session: Session, org_id: int | None) -> tuple[TriageModel, TriageModelVersion | None]:
    """The model triage uses for an organisation: its active version, else the seed-trained default."""
    version = active_version(session, org_id)
    if version is None:
        return default_model(), None
    return load(version), version


def label(version: TriageModelVersion | None) -> str:
    """How a decision names its model: "model v3" or "model default (seed)"."""
    return f"model v{version.version}" if version is not None else "model default (seed)"


def consider(
    session: Session,
    *,
    actor: Actor,
    org_id: int | None,
    model: TriageModel,
    evaluation: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    source: str,
) -> TriageModelVersion:
    """Store a newly trained model; it becomes active only if `evaluation` is not worse than `baseline`.

    `baseline` is the active model's evaluation on the same held-out rows (None when nothing is active).
    """
    with atomic(session):
        latest = session.scalar(
            select(func.max(TriageModelVersion.version)).where(
                TriageModelVersion.org_id.is_(None) if org_id is None else TriageModelVersion.org_id == org_id
            )
        )
        accepted = baseline is None or not_worse(evaluation, baseline)
        now = utcnow()
        current = active_version(session, org_id)
        if accepted and current is not None:
            current.status = ModelStatus.retired
        version = TriageModelVersion(
            org_id=org_id,
            version=(latest or 0) + 1,
            status=ModelStatus.active if accepted else ModelStatus.rejected,
            source=source[:200],
            n_train=model.n_train,
            evaluation={**evaluation, "baseline": dict(baseline) if baseline else None},
            blob=model.dumps(),
            activated_at=now if accepted else None,
        )
        session.add(version)
        session.flush()
        record(
            session,
            actor=actor,
            action="triage.model_activated" if accepted else "triage.model_rejected",
            org_id=org_id,
            after={"version": version.version, "status": version.status},
            details={"source": source, "evaluation": dict(evaluation), "baseline": dict(baseline or {})},
        )
    return version
