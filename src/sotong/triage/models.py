"""Tables of triage: routing rules, model versions with their evaluation, each decision, operators' labels."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow


class RuleKind(StrEnum):
    keyword = "keyword"  # any of the comma-separated words appears
    regex = "regex"  # the pattern matches the message
    channel_account = "channel_account"  # the message came to this official account (상수도 account → 상수도)
    place = "place"  # the text or address names this place (송파구 → the Songpa organisation)


class RoutingRule(Base):
    """A routing rule that beats the model: evaluated in priority order before any model is asked."""

    __tablename__ = "routing_rules"
    __table_args__ = (Index("ix_routing_rules_org_priority", "org_id", "priority"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind, 16))
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower first
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    pattern: Mapped[str | None] = mapped_column(Text)  # words, regex or place names, by kind
    channel_account_id: Mapped[int | None] = mapped_column(ForeignKey("channel_accounts.id"))
    # What the rule decides; a target organisation other than the rule's own means 이송 to it.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    target_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    complaint_type: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ModelStatus(StrEnum):
    active = "active"  # the one in use for its organisation
    retired = "retired"  # was active, replaced by a version that was not worse
    rejected = "rejected"  # trained, evaluated, worse than the active one: kept for the record


class TriageModelVersion(Base):
    """One trained triage model of an organisation (NULL: the default trained from the seed corpus)."""

    __tablename__ = "triage_models"
    __table_args__ = (
        UniqueConstraint("org_id", "version", name="uq_triage_models_org_version"),
        Index("ix_triage_models_org_status", "org_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[ModelStatus] = mapped_column(str_enum(ModelStatus, 16))
    source: Mapped[str] = mapped_column(String(200))  # what it was trained on: file name, "seed", "labels"
    n_train: Mapped[int] = mapped_column(Integer)
    # The held-out evaluation that decided whether it replaced the previous version.
    evaluation: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TriageResult(Base):
    """What triage decided for one message of a case, and who decided it (a rule or a model version)."""

    __tablename__ = "triage_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    relevant: Mapped[bool] = mapped_column(Boolean)
    relevance_probability: Mapped[float] = mapped_column(Float)
    complaint_type: Mapped[str] = mapped_column(String(16))
    type_confidence: Mapped[float] = mapped_column(Float)
    # Best first: [{"code", "category_id", "department_id", "confidence"}], at most three.
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    target_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    confidence: Mapped[float] = mapped_column(Float)
    decided_by: Mapped[str] = mapped_column(String(200))  # "rule 3 (상수도 계정)", "model default v1"
    explanation: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("triage_models.id"))
    duplicate_of_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    duplicate_kind: Mapped[str | None] = mapped_column(String(16))  # "follow_up" | "same_topic"
    duplicate_score: Mapped[float | None] = mapped_column(Float)
    auto_routed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TriageLabel(Base):
    """A training example from the organisation itself: an operator's correction or an imported old case."""

    __tablename__ = "triage_labels"
    __table_args__ = (Index("ix_triage_labels_org_created_at", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    relevant: Mapped[bool] = mapped_column(Boolean, default=True)
    category_code: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    complaint_type: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # "operator" | "import"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
